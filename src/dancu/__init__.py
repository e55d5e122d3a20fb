"""dancu: a Project 06 platform (population data, identification and e-authentication)."""

__version__ = "0.1.0"
