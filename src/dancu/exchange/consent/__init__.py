"""Consent: a partner asks a citizen for more than its purpose's default fields."""
