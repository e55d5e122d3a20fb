"""Access hygiene: who holds access to citizen data, flags, suspension, quarterly reviews."""
