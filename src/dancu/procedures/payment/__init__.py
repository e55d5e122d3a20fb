"""Paying a dossier's fee: the VietQR transfer payload and its reference (``vietqr``), the
payment-gateway adapters whose signed confirmations are checked (``gateway``), the
confirmations and matched transfers recorded once each (``service``, ``models``), and the
collecting account's camt.053 statements matched to dossiers' fees (``statements``,
``camt`` writes one for the demo and the tests)."""
