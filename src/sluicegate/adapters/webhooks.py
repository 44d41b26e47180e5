"""The webhook sender: one HTTP POST per attempt with httpx, translated to a :class:`SendResult`."""

from __future__ import annotations

import httpx

from sluicegate import __version__
from sluicegate.service.notifications import SendResult

__all__ = ["HttpxWebhookSender"]


class HttpxWebhookSender:
    """Sends with one pooled client; redirects are not followed (a signed body stays put)."""

    def __init__(self, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(
            follow_redirects=False, headers={"User-Agent": f"Sluicegate-Webhooks/{__version__}"}
        )

    def send(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> SendResult:
        try:
            response = self._client.post(url, content=body, headers=headers, timeout=timeout)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            # httpx's messages name the failure, not the URL (chat webhook URLs carry a secret).
            return SendResult(None, f"{type(exc).__name__}: {exc}"[:500])
        return SendResult(response.status_code)

    def close(self) -> None:
        self._client.close()
