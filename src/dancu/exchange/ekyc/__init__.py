"""Bank eKYC with the chip ID card: passive authentication of the chip (identity's), the
card and the citizen checked against the registry, the claimed data compared, and a signed
result (JWS) carrying only the attributes the customer consented to."""
