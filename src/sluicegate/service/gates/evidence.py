"""Evidence use cases: parse an uploaded CI artifact into facts and keep the facts (not the file).

A malformed artifact is refused with the parser's reason before anything is written. The facts
of an experiment, keyed by namespace (latest upload wins; links are summarised), are what gate
checks and policies see as ``evidence``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sluicegate.domain.access.identity import Action, authorize, require_team
from sluicegate.domain.errors import FieldError, InvalidInput, NotFound
from sluicegate.domain.events import AuditAction
from sluicegate.domain.gates.evidence import DEFAULT_MAX_BYTES, EvidenceError, parse_evidence
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.gates.ports import EvidenceRecord

__all__ = ["InvalidEvidence", "add_evidence", "evidence_dict", "facts_of", "list_evidence"]


class InvalidEvidence(InvalidInput):
    """The artifact is not what its kind says (HTML sent as JUnit, truncated XML, ...)."""

    code = "invalid-evidence"
    default_hint = (
        "Upload the artifact your CI tool wrote, with the matching --kind (docs/evidence.md)."
    )


def evidence_dict(rec: EvidenceRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "kind": rec.kind,
        "namespace": rec.namespace,
        "facts": rec.facts,
        "filename": rec.filename,
        "sha256": rec.sha256,
        "size": rec.size,
        "uploaded_by": rec.uploaded_by,
        "uploaded_at": rec.uploaded_at.isoformat(),
    }


def facts_of(records: list[EvidenceRecord]) -> dict[str, Mapping[str, Any]]:
    """The facts document: the latest artifact per namespace; links summarised as ``links``."""
    doc: dict[str, Mapping[str, Any]] = {}
    links: list[Mapping[str, Any]] = []
    for rec in sorted(records, key=lambda r: (r.uploaded_at, r.id)):
        if rec.namespace == "link":
            links.append(rec.facts)
        else:
            doc[rec.namespace] = rec.facts
    if links:
        doc["links"] = {
            "count": len(links),
            "types": sorted({str(link.get("type")) for link in links}),
            "urls": [str(link.get("url")) for link in links],
        }
    return doc


def add_evidence(
    deps: Deps,
    ctx: RequestContext,
    key: str,
    kind: str,
    data: bytes,
    filename: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> EvidenceRecord:
    authorize(ctx.principal, Action.EVIDENCE_ADD)
    try:
        facts = parse_evidence(kind, data, filename, max_bytes=max_bytes)
    except EvidenceError as exc:
        raise InvalidEvidence(
            f"the artifact is not valid {kind} evidence: {exc.reason}",
            errors=[FieldError("body", exc.reason)],
        ) from exc
    digest = hashlib.sha256(data).hexdigest()
    with deps.uow() as uow:
        exp = uow.experiments.get_by_key(key)
        if exp is None:
            raise NotFound(f"experiment {key!r} not found")
        require_team(ctx.principal, exp.owner_team)
        rec = EvidenceRecord(
            id=deps.ids.new_id(),
            experiment_id=exp.id,
            kind=kind,
            namespace=facts.namespace,
            facts=facts.to_dict(),
            filename=filename,
            sha256=digest,
            size=len(data),
            uploaded_by=ctx.actor,
            uploaded_at=deps.clock.now(),
        )
        uow.gates.add_evidence(rec)
        record(
            deps,
            uow,
            ctx,
            AuditAction.EVIDENCE_ADD,
            "experiment",
            key,
            after={
                "evidence_id": rec.id,
                "kind": kind,
                "filename": filename,
                "sha256": digest,
                "size": rec.size,
            },
        )
    return rec


def list_evidence(deps: Deps, ctx: RequestContext, key: str) -> list[EvidenceRecord]:
    authorize(ctx.principal, Action.EXPERIMENT_READ)
    with deps.uow(readonly=True) as uow:
        exp = uow.experiments.get_by_key(key)
        if exp is None:
            raise NotFound(f"experiment {key!r} not found")
        return uow.gates.evidence_for(exp.id)
