"""Cashless social payments: benefit programmes with their amounts as dated data,
beneficiaries linked to registry citizens and re-checked against the registry before every
cycle, bank accounts verified through an ID -> financial-address mapper, monthly payment
cycles under maker-checker, ISO 20022 files (pain.001 out; pain.002 and camt.054 in,
reconciled line by line), the postal cash list, and the life events (death, residence
change) that stop, move or open payments. docs/payments.md is the map."""
