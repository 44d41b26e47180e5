"""``sluice gate``, ``override``, ``process``, ``policy`` and ``evidence``."""
