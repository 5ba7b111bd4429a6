"""Commands: repo (placeholder until written)."""
