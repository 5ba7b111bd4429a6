"""Commands: backup (placeholder until written)."""
