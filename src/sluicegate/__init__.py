"""Sluicegate: a control plane for governed innovation in DevOps.

The light core (``sluicegate.flags``, ``sluicegate.sdk``, the CLI client) installs with
``pip install sluicegate``; the server needs ``pip install 'sluicegate[server]'``.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
