"""Response models of the flag routes."""
