"""The signing-key store (rotation with a verification grace) and secrets sealed at rest."""
