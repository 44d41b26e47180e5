"""Audit use cases: paging, export, checkpoints and verification of the whole ledger."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import replace

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.audit.chain import AuditEvent, Checkpoint, VerifyReport, apply_coverage
from sluicegate.domain.audit.coverage import CoveragePolicy
from sluicegate.domain.audit.merkle import consistency_proof, verify_consistency
from sluicegate.domain.audit.segments import combine_segments, plan_segments
from sluicegate.domain.events import AuditAction
from sluicegate.service.audit.ports import AuditFilter, TrustAnchor
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext, ts_string

__all__ = ["check_against", "checkpoint", "export", "page", "verify"]


def page(deps: Deps, ctx: RequestContext, flt: AuditFilter) -> list[AuditEvent]:
    authorize(ctx.principal, Action.AUDIT_READ)
    with deps.uow(readonly=True) as uow:
        return uow.audit.page(flt)


def export(deps: Deps, ctx: RequestContext | None) -> Iterator[AuditEvent]:
    """Stream every event in order (``ctx`` None means a local admin command)."""
    if ctx is not None:
        authorize(ctx.principal, Action.AUDIT_READ)
    with deps.uow(readonly=True) as uow:
        for row in uow.audit.iter_rows():
            yield AuditEvent(*row)


def checkpoint(deps: Deps, ctx: RequestContext) -> Checkpoint | None:
    """Sign a checkpoint over the log so far (on demand). The request itself is audited first."""
    authorize(ctx.principal, Action.AUDIT_CHECKPOINT)
    with deps.uow() as uow:
        record(deps, uow, ctx, AuditAction.AUDIT_CHECKPOINT, "audit", "ledger")
        return uow.audit.checkpoint(ts_string(deps.clock.now()))


def verify(
    deps: Deps,
    trust: TrustAnchor,
    progress: Callable[[int], None] | None = None,
    *,
    workers: int | None = None,
    segment_minimum: int = 1 << 17,
    policy: CoveragePolicy | None = None,
    against: Checkpoint | None = None,
) -> VerifyReport:
    """Verify the keys, the chain, every checkpoint signature, the checkpoint coverage
    (``policy``) and, with ``against``, that the log extends that published tree head.

    Keys are trusted only if ``trust`` pins them or a trusted key endorses them; any other key
    in ``audit_keys`` fails verification. Logs longer than ``segment_minimum`` are verified in
    segments, in up to ``workers`` processes (default: one per CPU); the result is the same as
    verifying the rows one by one.
    """
    with deps.uow(readonly=True) as uow:
        keys = uow.audit.key_records()
        checkpoints = uow.audit.checkpoints()
        max_seq = uow.audit.max_seq()
    problem = trust.admit(keys)
    if problem is not None:
        return VerifyReport(False, 0, 0, None, None, problem)
    cpus = workers if workers is not None else (os.cpu_count() or 1)
    plan = plan_segments(max_seq, cpus, minimum=segment_minimum)
    sizes = frozenset(c.tree_size for c in checkpoints)
    segments = deps.audit_scanner(plan, sizes, cpus, progress)
    report = apply_coverage(combine_segments(segments, checkpoints, trust), checkpoints, policy)
    if against is None or not report.ok:
        return report
    with deps.uow(readonly=True) as uow:
        return check_against(report, against, trust, uow.audit.range_root)


def check_against(
    report: VerifyReport,
    head: Checkpoint,
    trust: Callable[[Checkpoint], bool],
    range_root: Callable[[int, int], bytes],
) -> VerifyReport:
    """Prove with an RFC 6962 consistency proof that the verified log extends ``head``.

    ``range_root(lo, hi)`` is the tree hash of the events ``lo < seq <= hi`` of the log.
    """
    m, n = head.tree_size, report.count
    seen: dict[str, object] = {"tree_size": m, "root": head.root, "ts": head.ts}
    if not trust(head):
        seen["consistent"] = False
        return replace(report, against=seen).failed(
            None,
            f"the published head at size {m} ({head.ts}) is not signed by a trusted key "
            f"(key {head.key_id})",
        )
    if m > n:
        seen["consistent"] = False
        return replace(report, against=seen).failed(
            n + 1,
            f"the log has {n} events but the published head of {head.ts} covers {m}: events "
            f"{n + 1}..{m} were removed (truncated, or rewritten shorter)",
        )
    proof = consistency_proof(m, n, range_root)
    assert report.root is not None
    ok = verify_consistency(m, n, bytes.fromhex(head.root), bytes.fromhex(report.root), proof)
    seen.update(consistent=ok, proof=[p.hex() for p in proof])
    if not ok:
        return replace(report, against=seen).failed(
            m,
            f"the log does not extend the published head of {head.ts} at size {m}: events "
            f"at or before {m} were rewritten (the RFC 6962 consistency proof from size {m} "
            f"to {n} fails)",
        )
    return replace(report, against=seen)
