"""The controller process: hold the leader lease, tick every rollout, sleep, repeat.

Exactly one controller is active among replicas: each iteration takes or renews the lease with one
``UPDATE ... WHERE expires_at < now() OR holder = me`` (docs/adr/0008-leader-election.md). A
standby keeps trying and takes over within the lease time once the leader stops renewing. The
leader renews the lease inside every transaction that moves a rollout (a fence), so a leader that
stalled past its lease cannot write after the standby has taken over.

Run it as ``sluice controller run`` (or ``python -m sluicegate controller run``), or in-process
with ``sluice serve``/``sluice demo`` (``SLUICE_CONTROLLER_INTERVAL`` > 0).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from sluicegate.adapters.simulated_metrics import SimulatedMetricSource
from sluicegate.bootstrap import Container
from sluicegate.controller.engine import Engine
from sluicegate.service.metrics.ports import MetricSource, MetricSourceUnavailable
from sluicegate.service.rollouts import EngineSettings, LeaseLost

__all__ = ["Controller", "holder_id"]

log = logging.getLogger("sluicegate.controller")


def holder_id() -> str:
    """A lease holder name unique to this process: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class _Sources:
    """Metric sources by ``analysis.source``: the configured one, push, Prometheus, simulated."""

    def __init__(self, container: Container) -> None:
        self._container = container
        self._simulated: dict[str, SimulatedMetricSource] = {}

    def __call__(self, spec: Mapping[str, Any]) -> MetricSource:
        kind = spec.get("kind", "default")
        if kind == "simulated":
            key = repr(sorted(spec.items()))
            if key not in self._simulated:
                self._simulated[key] = SimulatedMetricSource(spec)
            return self._simulated[key]
        if kind == "push":
            return self._container.push_metric_source()
        if kind == "prometheus" and not self._container.settings.prometheus_url:
            raise MetricSourceUnavailable(
                "the plan asks for Prometheus but SLUICE_PROMETHEUS_URL is not set"
            )
        return self._container.metric_source()


class Controller:
    def __init__(
        self,
        container: Container,
        *,
        interval: float | None = None,
        lease_seconds: float | None = None,
        holder: str | None = None,
    ) -> None:
        s = container.settings
        self.container = container
        self.interval = s.controller_interval_seconds if interval is None else interval
        self.holder = holder or holder_id()
        settings = EngineSettings(
            lease_seconds=s.controller_lease_seconds if lease_seconds is None else lease_seconds,
            service_cooldown_seconds=s.breaker_cooldown_seconds,
        )
        self.engine = Engine(
            container.deps,
            _Sources(container),
            gates=container.gates,
            settings=settings,
            holder=self.holder,
        )
        self.leader = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _acquire(self) -> bool:
        s = self.engine.settings
        deps = self.container.deps
        with deps.uow() as uow:
            leader = uow.leases.acquire(
                s.lease_name, self.holder, s.lease_seconds, deps.clock.now()
            )
        if leader != self.leader:
            log.info("%s %s the controller lease", self.holder, "holds" if leader else "lost")
        self.leader = leader
        return leader

    def run_once(self) -> list[str]:
        """Renew or take the lease; as the leader tick every live rollout."""
        if not self._acquire():
            return []
        try:
            return self.engine.tick_all()
        except LeaseLost as exc:
            log.warning("%s; standing by", exc)
            self.leader = False
            return []

    def run(self) -> None:
        """Loop until :meth:`stop`; errors are logged and the next iteration retries."""
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("controller iteration failed; retrying in %.1f s", self.interval)
            self._stop.wait(self.interval)
        self.release()

    def release(self) -> None:
        """Give the lease up (a clean stop), so that a standby takes over at once."""
        if not self.leader:
            return
        with self.container.deps.uow() as uow:
            uow.leases.release(self.engine.settings.lease_name, self.holder)
        self.leader = False

    def start(self) -> None:
        """Run in a background thread (in-process with the API server or the demo)."""
        self._thread = threading.Thread(target=self.run, name="rollout-controller", daemon=True)
        self._thread.start()

    def stop_soon(self) -> None:
        """Ask :meth:`run` to end after the current iteration (safe from a signal handler)."""
        self._stop.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
