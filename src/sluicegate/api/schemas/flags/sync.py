"""Response models of ``api/routes/sync.py`` (the SDK sync protocol)."""

from __future__ import annotations

from typing import Any

from pydantic import RootModel

__all__ = ["FlagdDocument"]


class FlagdDocument(RootModel[dict[str, Any]]):
    """The flagd flag set document (https://flagd.dev/reference/schema/), as stored."""
