"""Response models of the access routes."""
