"""Reading and replacing the risk matrix, and previewing an assessment."""

from __future__ import annotations

from typing import Any

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.events import AuditAction
from sluicegate.domain.risk import RiskAssessment, RiskMatrix
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext

__all__ = ["current_matrix", "replace_matrix"]


def current_matrix(deps: Deps, ctx: RequestContext) -> tuple[RiskMatrix, str]:
    """The matrix in force and where it comes from ("default" or "replaced")."""
    authorize(ctx.principal, Action.RISK_MATRIX_READ)
    with deps.uow(readonly=True) as uow:
        stored = uow.settings.get("risk_matrix")
    if stored is None:
        return deps.default_risk_matrix, "default"
    return RiskMatrix.from_dict(stored), "replaced"


def replace_matrix(deps: Deps, ctx: RequestContext, doc: Any, reason: str | None) -> RiskMatrix:
    """Validate and store a new matrix (admin only, audited with before and after).

    Existing experiments keep the assessment recorded at intake; new proposals use the new matrix.
    """
    authorize(ctx.principal, Action.RISK_MATRIX_WRITE)
    matrix = RiskMatrix.from_dict(doc)
    with deps.uow() as uow:
        before = uow.settings.get("risk_matrix") or dict(deps.default_risk_matrix.source)
        uow.settings.put("risk_matrix", dict(matrix.source), deps.clock.now())
        record(
            deps,
            uow,
            ctx,
            AuditAction.RISK_MATRIX_REPLACE,
            "settings",
            "risk_matrix",
            before=before,
            after=dict(matrix.source),
            reason=reason,
        )
    return matrix


def preview(matrix: RiskMatrix, factors: Any) -> RiskAssessment:
    from sluicegate.domain.experiments.proposal import RiskInput

    return matrix.assess(RiskInput.model_validate(factors).factors())
