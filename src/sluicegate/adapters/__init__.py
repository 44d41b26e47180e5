"""Adapters that implement the service ports: database, policy engine, notifiers."""
