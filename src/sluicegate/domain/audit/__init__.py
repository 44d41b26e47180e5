"""Audit: the hash-chained event, its checkpoints, and verification in segments."""
