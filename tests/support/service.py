"""The service layer without HTTP: the use cases' dependencies on a seeded database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sluicegate.bootstrap import Container
from sluicegate.service.access import identity
from sluicegate.service.context import Deps, RequestContext
from tests.support.app import FakeClock, open_seeded

__all__ = ["ServiceWorld", "make_service"]


@dataclass
class ServiceWorld:
    """``Deps`` over a database holding the admin, the teams and the users of ``USERS``."""

    container: Container
    clock: FakeClock
    tokens: dict[str, str]

    @property
    def deps(self) -> Deps:
        return self.container.deps

    def ctx(self, who: str, request_id: str | None = None) -> RequestContext:
        """The request context of ``who``, authenticated with their seeded token."""
        return RequestContext(identity.authenticate(self.deps, self.tokens[who]), request_id)

    def close(self) -> None:
        self.container.close()


def make_service(home: Path, url: str) -> ServiceWorld:
    container, clock, tokens = open_seeded(home, url)
    return ServiceWorld(container, clock, tokens)
