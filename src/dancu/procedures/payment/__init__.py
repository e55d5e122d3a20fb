"""Paying a dossier's fee: the VietQR transfer payload (``vietqr``), the payment-gateway
adapters whose signed confirmations are checked (``gateway``), and the confirmations
recorded once each (``service``, ``models``)."""
