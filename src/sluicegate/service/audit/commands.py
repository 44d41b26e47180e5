"""Audit writes that are not an event of their own: checkpoints by time, publishing the signed
tree heads outside the database, and rotating the checkpoint key by a signed statement."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sluicegate.domain.audit.chain import Checkpoint
from sluicegate.domain.events import AuditAction
from sluicegate.service.audit.ports import HeadPublisher, KeyRecord
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext, ts_string
from sluicegate.service.ports import Signer

__all__ = ["HeadPublication", "checkpoint_due", "rotate_key"]

log = logging.getLogger("sluicegate.audit")


def _parse_ts(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def checkpoint_due(deps: Deps, every_seconds: float, *, force: bool = False) -> Checkpoint | None:
    """Sign a checkpoint if events arrived since the last one and it is ``every_seconds`` old
    (or ``force``: start-up and shutdown). No audit event: a timed checkpoint changes nothing."""
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        last = uow.audit.last_checkpoint()
        size = uow.audit.max_seq()
    if size == 0 or (last is not None and last.tree_size >= size):
        return None
    young = last is not None and (now - _parse_ts(last.ts)).total_seconds() < every_seconds
    if young and not force:
        return None
    with deps.uow() as uow:
        return uow.audit.checkpoint(ts_string(now))


@dataclass
class HeadPublication:
    """Publishes every new signed tree head to each publisher, in order, and remembers how far
    each got; a failing publisher is retried from its last success on the next run. A publisher
    that has published nothing in this process starts at the newest head."""

    publishers: Sequence[HeadPublisher]
    published: dict[str, int] = field(default_factory=dict)

    def run(self, deps: Deps) -> list[Checkpoint]:
        if not self.publishers:
            return []
        with deps.uow(readonly=True) as uow:
            last = uow.audit.last_checkpoint()
            if last is None:
                return []
            fresh = last.tree_size - 1  # a publisher new to this process starts at the newest
            starts = {p.name: self.published.get(p.name, fresh) for p in self.publishers}
            heads = uow.audit.checkpoints_after(min(starts.values()))
        done: list[Checkpoint] = []
        for publisher in self.publishers:
            for head in (h for h in heads if h.tree_size > starts[publisher.name]):
                try:
                    publisher.publish(head)
                except Exception as exc:
                    log.warning(
                        "publishing the tree head at size %d to %s failed: %s",
                        head.tree_size,
                        publisher.name,
                        exc,
                    )
                    break
                self.published[publisher.name] = head.tree_size
                done.append(head)
        return done


def rotate_key(
    deps: Deps,
    ctx: RequestContext,
    old: Signer,
    new: Signer,
    statement: Callable[[int, str], str],
    install: Callable[[], None],
) -> KeyRecord:
    """Hand the checkpoint key over from ``old`` to ``new`` in one transaction.

    Holding the chain head: the hand-over is audited, ``old`` signs ``statement(tree_size, ts)``
    and a last checkpoint at that size, the new key is registered with the statement, and
    ``install`` puts the new private key in place before the commit (the caller restores the
    old key file if the commit fails). Checkpoints beyond that size signed by ``old`` are not
    trusted afterwards.
    """
    ts = ts_string(deps.clock.now())
    with deps.uow() as uow:
        event = record(
            deps,
            uow,
            ctx,
            AuditAction.AUDIT_KEY_REGISTER,
            "audit-key",
            new.key_id,
            after={
                "key_id": new.key_id,
                "public_key": new.public_key_pem(),
                "endorsed_by": old.key_id,
            },
        )
        text = statement(event.seq, ts)
        endorsement = KeyRecord(
            new.key_id, new.public_key_pem(), old.key_id, text, old.sign(text.encode())
        )
        if not uow.audit.register_key(
            new.key_id, new.public_key_pem(), deps.clock.now(), endorsement
        ):
            raise ValueError(f"audit key {new.key_id} is already registered")
        uow.audit.checkpoint(ts)
        install()
    return endorsement
