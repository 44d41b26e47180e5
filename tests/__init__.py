"""Sluicegate test suite."""
