"""Response models of ``api/routes/health.py``."""

from __future__ import annotations

from pydantic import Field

from sluicegate.api.schemas import Schema

__all__ = ["Health"]


class Health(Schema):
    status: str = Field(description="ok, or degraded (503)")
    version: str
    database: str = Field(description="ok, or unreachable: <error>")
    dialect: str | None = Field(None, description="sqlite or postgresql; absent when degraded")
