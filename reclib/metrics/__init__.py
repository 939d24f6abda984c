"""reclib.metrics."""
