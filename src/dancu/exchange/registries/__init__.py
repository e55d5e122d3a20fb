"""The GovStack Digital Registries building-block API over the population registry, and
X-Road-style metaservices describing the exchange's services.

The contract is the building block's published OpenAPI document (Data API 1.3.0,
``tests/exchange/specs/``): paths ``/data/{registryName}/{versionNumber}/...``, camelCase
fields. The building block's Gherkin suite predates the camelCase renaming (``read-value``,
``update-or-create``, ``/data/MyPersonalDataUsage/1.0``, ``ID``/``FirstName`` ...), so the
older spellings are served too (``schemas.Spelling``).
"""
