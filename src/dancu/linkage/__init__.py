"""Sector-data linkage: import, normalization, matching to the registry, cleaning."""
