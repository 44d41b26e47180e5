"""The peer for benchmarks/server.py: a bare FastAPI app on the same uvicorn (``--factory``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

__all__ = ["create"]


def create() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok"}

    @app.post("/evaluate")
    async def evaluate(body: dict[str, Any]) -> dict[str, Any]:
        return {
            "key": "flag",
            "value": True,
            "reason": "STATIC",
            "variant": "on",
            "echo": len(body),
        }

    return app
