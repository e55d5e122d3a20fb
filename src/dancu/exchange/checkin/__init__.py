"""Hospital check-in with the chip ID card (by number, MRZ or wallet QR), and the kiosk."""
