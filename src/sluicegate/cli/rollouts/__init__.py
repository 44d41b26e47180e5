"""``sluice rollout``, ``sluice controller`` and ``sluice judge``."""
