"""Commands: endpoint (placeholder until written)."""
