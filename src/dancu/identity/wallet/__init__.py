"""Wallet documents: SD-JWT VCs issued to accounts, presented by QR code, verified,
revoked through status lists."""
