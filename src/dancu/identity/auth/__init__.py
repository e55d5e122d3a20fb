"""Signing in: passwords, second factors (SMS codes, authenticator apps, passkeys),
throttling, the login session, and account recovery."""
