"""Delivery commands: events in (``deploy``, ``change``, ``incident``, ``delivery import``) and
metrics out (``dora``, ``kpi``); each module loads only when its command runs."""
