"""Applying SLOs: one transaction per input, a revision and an audit event per changed SLO.

The input is validated whole before anything is stored: every error of every document is
reported by its field's path, and nothing is written. An SLO whose normalised spec is the one
already stored is left as it is (no revision, no audit event); a dry run stores nothing.
"""

from __future__ import annotations

from typing import Any

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.errors import FieldError, InvalidInput
from sluicegate.domain.events import AuditAction
from sluicegate.domain.slo import Slo, parse_documents
from sluicegate.domain.slo.stored import formats_of, load_text, slo_to_dict
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.slo.payloads import slo_payload
from sluicegate.service.slo.ports import StoredSlo

__all__ = ["MAX_FILENAME", "apply_slos"]

#: The longest filename stored with a revision (the table's column).
MAX_FILENAME = 255


def _parse(text: str) -> list[tuple[Slo, str]]:
    """Each SLO of ``text`` with its format; InvalidInput (SloSpecError) names every error."""
    documents = load_text(text)
    slos = parse_documents(documents)  # names are <= 128 characters (domain/slo/fields.py)
    formats = formats_of(documents)
    return [(slo, formats.get((slo.service, slo.name), "openslo")) for slo in slos]


def apply_slos(
    deps: Deps,
    ctx: RequestContext,
    text: str,
    filename: str | None = None,
    *,
    dry_run: bool = False,
) -> list[dict[str, Any]]:
    """Store a new revision of every SLO of ``text`` whose normalised spec changed.

    Returns per SLO ``{service, name, revision, changed}``: the revision stored (or, for an
    unchanged SLO, the one already stored; on a dry run, the one that would be stored).
    """
    authorize(ctx.principal, Action.SLO_WRITE)
    if filename is not None and len(filename) > MAX_FILENAME:
        raise InvalidInput(
            "the filename is too long",
            errors=[FieldError("filename", f"at most {MAX_FILENAME} characters")],
        )
    parsed = _parse(text)
    results: list[dict[str, Any]] = []
    with deps.uow(readonly=dry_run) as uow:
        for slo, fmt in parsed:
            spec = slo_to_dict(slo)
            latest = uow.slos.latest(slo.service, slo.name)
            if latest is not None and latest.spec == spec:
                results.append(_result(slo, latest.revision, changed=False))
                continue
            revision = 1 if latest is None else latest.revision + 1
            results.append(_result(slo, revision, changed=True))
            if dry_run:
                continue
            stored = StoredSlo(
                service=slo.service,
                name=slo.name,
                revision=revision,
                format=fmt,
                source=text,
                filename=filename,
                spec=spec,
                objective=slo.objective,
                window_days=slo.window_days,
                recorded_at=deps.clock.now(),
                recorded_by=ctx.actor,
            )
            uow.slos.append(stored)
            record(
                deps,
                uow,
                ctx,
                AuditAction.SLO_APPLY,
                "slo",
                f"{slo.service}/{slo.name}",
                before=None if latest is None else slo_payload(latest),
                after=slo_payload(stored),
            )
    return results


def _result(slo: Slo, revision: int, *, changed: bool) -> dict[str, Any]:
    return {"service": slo.service, "name": slo.name, "revision": revision, "changed": changed}
