"""Sluicegate benchmarks: ``make bench`` runs every module listed in ``benchmarks.__main__``."""
