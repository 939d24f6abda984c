"""reclib.reasons."""
