"""Commands: restore (placeholder until written)."""
