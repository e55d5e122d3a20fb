"""Electronic identity: e-ID accounts, OpenID Connect, chip-card verification, wallet."""
