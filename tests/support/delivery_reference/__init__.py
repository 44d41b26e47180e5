"""Reference implementations of the delivery linking and metrics (differential tests)."""
