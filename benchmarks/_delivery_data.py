"""The delivery benchmark's data set: a generated history and its bulk loaders.

The shape follows issue 13 §6 (500 services over 2 years: ~1M deployments, ~3M commits, ~50k
incidents), scaled by the number of services and years. Per service, production deployments
arrive about every 8.8 hours (exponential gaps: 2.74 a day); each ships 1 to 5 commits (3 on
average) authored since the previous deployment, and deploys the last of them. 3 % of the
deployments fail and are rolled back 10 to 90 minutes later (a ``rollback`` deployment of the
last good sha, ``rollback_of`` the failed one); what they would have shipped goes out with the
next deployment. 5 % of the successful deployments are followed by an incident on the service
(opened 0.2 to 6 hours after the deployment finished, resolved after 0.2 h plus an exponential
3 h); 60 % of the incidents name the deployed sha as their root cause, the rest name nothing
(Sluicegate links those by its 24 h window rule, Four Keys does not link them).

Everything derives from the seed: the same arguments give the same rows. The rows go straight
into Sluicegate's own tables (``delivery_deployments``, ``delivery_changes``,
``delivery_incidents``: revision 1 of each event, as the service layer would store it, without
the audit events) and into the Four Keys-shaped tables of benchmarks/_fourkeys.py.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import create_engine, insert

from sluicegate.adapters.db.delivery import (
    delivery_changes,
    delivery_deployments,
    delivery_incidents,
)

__all__ = [
    "END",
    "SOURCE",
    "Commit",
    "Deployment",
    "History",
    "Incident",
    "generate",
    "load_pg",
    "load_sqlite",
    "service_name",
]

#: The end of the generated history ("now" for every query): fixed, so runs compare.
END = datetime(2026, 12, 1, tzinfo=UTC)
SOURCE = "bench"
RECORDED_BY = "token:bench"
DEPLOYS_PER_DAY = 2.74
FAIL_RATE = 0.03
INCIDENT_RATE = 0.05
ROOT_CAUSE_SHARE = 0.6
_EMPTY_DETAILS = json.dumps({"commits": [], "reviews": [], "labels": []}, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    repo: str
    service: str
    authored_at: datetime


@dataclass(frozen=True, slots=True)
class Deployment:
    id: str
    service: str
    repo: str
    status: str  # success | failure
    kind: str  # normal | rollback
    started_at: datetime
    finished_at: datetime
    sha: str
    rollback_of: str | None
    #: The commits Four Keys lists in ``deployments.changes`` (the push behind the deployed sha).
    changes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    service: str
    severity: str
    created_at: datetime
    acknowledged_at: datetime
    resolved_at: datetime
    root_cause_sha: str | None
    #: Four Keys' incidents.sql: the earlier of the root cause's deployment and the opening.
    fourkeys_created_at: datetime


@dataclass
class History:
    deployments: list[Deployment] = field(default_factory=list)
    commits: list[Commit] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)

    @property
    def events(self) -> int:
        return len(self.deployments) + len(self.commits) + len(self.incidents)


def service_name(i: int) -> str:
    return f"svc-{i:04d}"


def _sha(rnd: random.Random) -> str:
    return f"{rnd.getrandbits(160):040x}"


def _service(
    rnd: random.Random, service: str, start: datetime, end: datetime, out: History
) -> None:
    repo = f"org/{service}"
    mean_gap_h = 24 / DEPLOYS_PER_DAY
    t = start + timedelta(hours=rnd.expovariate(1 / mean_gap_h))
    previous = start
    last_good: Deployment | None = None
    pending: list[Commit] = []
    n = 0
    while True:
        started = t
        finished = started + timedelta(minutes=rnd.uniform(3, 25))
        if finished >= end:
            return
        span = (started - previous).total_seconds()
        fresh = sorted(
            previous + timedelta(seconds=rnd.uniform(0, max(span - 300, 1)))
            for _ in range(rnd.randint(1, 5))
        )
        for authored in fresh:
            commit = Commit(_sha(rnd), repo, service, authored)
            out.commits.append(commit)
            pending.append(commit)
        previous = started
        n += 1
        ident = f"{service}-{n}"
        head = pending[-1]
        if rnd.random() < FAIL_RATE and last_good is not None:
            out.deployments.append(
                Deployment(
                    ident, service, repo, "failure", "normal", started, finished, head.sha, None, ()
                )
            )
            back = finished + timedelta(minutes=rnd.uniform(10, 90))
            out.deployments.append(
                Deployment(
                    f"{ident}-rollback",
                    service,
                    repo,
                    "success",
                    "rollback",
                    back,
                    back + timedelta(minutes=5),
                    last_good.sha,
                    ident,
                    last_good.changes,
                )
            )
            t = back + timedelta(minutes=5, hours=rnd.expovariate(1 / mean_gap_h))
            previous = back
            continue
        shipped = tuple(c.sha for c in pending)
        d = Deployment(
            ident, service, repo, "success", "normal", started, finished, head.sha, None, shipped
        )
        out.deployments.append(d)
        last_good, pending = d, []
        if rnd.random() < INCIDENT_RATE:
            opened = finished + timedelta(hours=rnd.uniform(0.2, 6))
            resolved = opened + timedelta(hours=0.2 + rnd.expovariate(1 / 3))
            root = head.sha if rnd.random() < ROOT_CAUSE_SHARE else None
            if resolved < end:
                out.incidents.append(
                    Incident(
                        f"{ident}-incident",
                        service,
                        rnd.choice(("sev1", "sev2", "sev3")),
                        opened,
                        opened + timedelta(minutes=rnd.uniform(2, 30)),
                        resolved,
                        root,
                        min(finished, opened) if root is not None else opened,
                    )
                )
        t = started + timedelta(hours=rnd.expovariate(1 / mean_gap_h))


def generate(services: int, days: float, *, end: datetime = END, seed: int = 13) -> History:
    """``days`` of history for ``services`` services, ending before ``end``."""
    out = History()
    start = end - timedelta(days=days)
    for i in range(services):
        rnd = random.Random(seed * 100_003 + i)  # benchmark data, not security
        _service(rnd, service_name(i), start, end, out)
    return out


# --- Sluicegate's tables ------------------------------------------------------------------------


def _deployment_row(d: Deployment, recorded_at: datetime) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "id": d.id,
        "revision": 1,
        "service": d.service,
        "environment": "production",
        "status": d.status,
        "kind": d.kind,
        "started_at": d.started_at,
        "finished_at": d.finished_at,
        "revisions": json.dumps([{"repo": d.repo, "sha": d.sha}], separators=(",", ":")),
        "rollback_of": d.rollback_of,
        "planned": None,
        "experiment": None,
        "recorded_at": recorded_at,
        "recorded_by": RECORDED_BY,
    }


def _change_row(c: Commit, recorded_at: datetime) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "id": c.sha,  # by convention a commit's id is its sha
        "revision": 1,
        "kind": "commit",
        "repo": c.repo,
        "sha": c.sha,
        "authored_at": c.authored_at,
        "merged_at": None,
        "landed_at": c.authored_at,
        "merge_method": None,
        "reverts": None,
        "title": None,
        "details": _EMPTY_DETAILS,
        "recorded_at": recorded_at,
        "recorded_by": RECORDED_BY,
    }


def _incident_row(i: Incident, recorded_at: datetime) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "id": i.id,
        "revision": 1,
        "services": json.dumps([i.service], separators=(",", ":")),
        "severity": i.severity,
        "created_at": i.created_at,
        "acknowledged_at": i.acknowledged_at,
        "resolved_at": i.resolved_at,
        "caused_by_deployment": None,
        "root_cause_sha": i.root_cause_sha,
        "change_induced": None,
        "recorded_at": recorded_at,
        "recorded_by": RECORDED_BY,
    }


def _rows(
    history: History, recorded_at: datetime
) -> Iterator[tuple[str, Iterator[dict[str, Any]]]]:
    yield "delivery_deployments", (_deployment_row(d, recorded_at) for d in history.deployments)
    yield "delivery_changes", (_change_row(c, recorded_at) for c in history.commits)
    yield "delivery_incidents", (_incident_row(i, recorded_at) for i in history.incidents)


_TABLES = {
    "delivery_deployments": delivery_deployments,
    "delivery_changes": delivery_changes,
    "delivery_incidents": delivery_incidents,
}


def load_sqlite(url: str, history: History, *, chunk: int = 20_000) -> None:
    """Insert the rows through SQLAlchemy Core (executemany, the project's column types)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for name, rows in _rows(history, END):
                batch: list[dict[str, Any]] = []
                for row in rows:
                    batch.append(row)
                    if len(batch) >= chunk:
                        conn.execute(insert(_TABLES[name]), batch)
                        batch = []
                if batch:
                    conn.execute(insert(_TABLES[name]), batch)
    finally:
        engine.dispose()


def copy_rows(conn: psycopg.Connection[Any], table: str, columns: Sequence[str], rows: Any) -> int:
    n = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


def load_pg(dsn: str, history: History) -> None:
    """COPY the rows into Sluicegate's tables, then ANALYZE them."""
    with psycopg.connect(dsn) as conn:
        for name, rows in _rows(history, END):
            columns = [c.name for c in _TABLES[name].columns]
            copy_rows(conn, name, columns, (tuple(r[c] for c in columns) for r in rows))
        conn.commit()
        conn.autocommit = True
        for name in _TABLES:
            conn.execute(f"ANALYZE {name}")
