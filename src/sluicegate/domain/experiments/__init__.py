"""Experiments: the proposal format, the lifecycle and the priority score."""
