"""Partners of the exchange: who they are, what each purpose releases to them, their
credentials and their rate limits; ``service.authorize`` and ``service.minimise``."""
