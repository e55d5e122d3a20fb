"""The exchange: the one door through which other systems use population data.

Sub-packages, each with the domain's usual file names:

- ``partners``: partner organizations (hospitals, banks, the social-insurance agency, sector
  agencies), their purposes and the exact fields each purpose releases, their credentials
  (OIDC client-credentials clients that expire, rotate with overlap and are revoked), and
  per-partner / per-purpose rate limits. ``partners.service.authorize`` is the check every
  exchange request passes; ``partners.service.minimise`` the one filter every answer passes.
- ``messagelog``: every request and answer through the door, hash-chained and signed
  (X-Road's security server keeps the same kind of log), verifiable offline.
- ``insurance``: health-insurance cards from the insurer, linked to citizens.
- ``checkin``: hospital check-in by ID number, chip-card MRZ or wallet QR; the kiosk.
- ``consent``: a partner's request for more than its purpose's fields, the citizen's answer.
- ``hygiene``: who holds access to citizen data, dormant and over-privileged accounts,
  suspension, the quarterly review campaign.
- ``ekyc``: bank eKYC with the chip ID card, a signed (JWS) result with only consented fields.
- ``cleaning``: a bank's customer list checked against the registry by the linkage engine.
- ``registries``: the GovStack Digital Registries API over the registry, X-Road metaservices.

``door.py`` runs one exchange request: authorize, work, minimise, log (docs/exchange.md).
"""
