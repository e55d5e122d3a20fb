"""Sector data exchange: the one door through which other systems use population data
(bank eKYC with the chip, customer-record cleaning, the GovStack Digital Registries API)."""
