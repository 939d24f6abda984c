"""reclib.data."""
