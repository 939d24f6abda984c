"""reclib.models."""
