"""The population registry: citizens, households, civil-status events, chip ID cards."""
