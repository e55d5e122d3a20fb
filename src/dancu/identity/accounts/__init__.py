"""e-ID accounts: registration, dependants, officers and organizations, the level-2 desk,
usage history, and what identity reads from the registry."""
