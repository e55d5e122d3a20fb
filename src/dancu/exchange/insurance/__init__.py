"""Health-insurance cards from the social-insurance agency, linked to citizens."""
