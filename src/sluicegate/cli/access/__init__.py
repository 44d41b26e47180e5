"""``sluice team``, ``sluice user``, ``sluice token`` and ``sluice jit``."""
