"""The risk matrix and the priority weights (admin-replaceable, audited)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from sluicegate.api.deps import Ctx, ServiceDeps
from sluicegate.api.documents import parse_document
from sluicegate.api.schemas.problems import LIST, WRITE, problem_responses
from sluicegate.api.schemas.risk import PriorityWeights, RiskAssessment, RiskMatrix
from sluicegate.domain.access.identity import ReviewerDomain
from sluicegate.domain.errors import FieldError, InvalidInput
from sluicegate.domain.experiments.priority import CRITERIA, MAX_WEIGHT
from sluicegate.domain.experiments.proposal import RiskInput
from sluicegate.domain.risk import FACTOR_VALUES, RiskLevel
from sluicegate.service import experiments as exp_svc
from sluicegate.service import risk as svc

router = APIRouter(tags=["settings"])


@router.get(
    "/risk-matrix",
    response_model=RiskMatrix,
    response_model_exclude_unset=True,
    responses=problem_responses(*LIST),
)
def get_matrix(deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    matrix, source = svc.current_matrix(deps, ctx)
    return {"source": source, "matrix": dict(matrix.source)}


def _matrix_schema() -> dict[str, Any]:
    """The matrix's shape as domain/risk.py checks it, built from the same enumerations.

    Two rules stay in the domain: bands must increase and the last must cover the top score.
    """
    levels = [level.value for level in RiskLevel]
    strings = {"type": "array", "items": {"type": "string"}}
    weight = {"type": "integer", "minimum": 1}
    factors = {
        name: {
            "type": "object",
            "properties": dict.fromkeys(values, weight),
            "required": list(values),
            "additionalProperties": False,
        }
        for name, values in FACTOR_VALUES.items()
    }
    when = {
        name: {
            "oneOf": [
                {"type": "string", "enum": list(values)},
                {"type": "array", "items": {"type": "string", "enum": list(values)}},
            ]
        }
        for name, values in FACTOR_VALUES.items()
    }
    policy = {
        "type": "object",
        "properties": {
            "signoffs": {
                "type": "array",
                "items": {"type": "string", "enum": [d.value for d in ReviewerDomain]},
            },
            "evidence": strings,
            "environments": strings,
        },
    }
    return {
        "type": "object",
        "required": ["factors", "bands", "levels"],
        "properties": {
            "factors": {
                "type": "object",
                "properties": factors,
                "required": list(FACTOR_VALUES),
                "additionalProperties": False,
            },
            "bands": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["max", "level"],
                    "properties": {"max": {"type": "integer"}, "level": {"enum": levels}},
                },
            },
            "escalations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "when", "at_least"],
                    "properties": {
                        "name": {"type": "string"},
                        "description": {"type": "string"},
                        "when": {
                            "type": "object",
                            "properties": when,
                            "minProperties": 1,
                            "additionalProperties": False,
                        },
                        "at_least": {"enum": levels},
                    },
                },
            },
            "levels": {
                "type": "object",
                "properties": dict.fromkeys(levels, policy),
                "required": levels,
                "additionalProperties": False,
            },
        },
    }


_MATRIX_BODY = {
    "requestBody": {
        "required": True,
        "description": "The risk matrix as JSON or YAML (docs/risk-matrix.md).",
        "content": {
            "application/json": {"schema": _matrix_schema()},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


@router.put(
    "/risk-matrix",
    summary="Replace the risk matrix (admin; JSON or YAML body)",
    openapi_extra=_MATRIX_BODY,
    response_model=RiskMatrix,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
async def put_matrix(
    request: Request,
    deps: ServiceDeps,
    ctx: Ctx,
    reason: Annotated[str | None, Query(max_length=1000)] = None,
) -> dict[str, Any]:
    doc = parse_document(await request.body(), request.headers.get("content-type"))
    matrix = await run_in_threadpool(svc.replace_matrix, deps, ctx, doc, reason)
    return {"source": "replaced", "matrix": dict(matrix.source)}


@router.post(
    "/risk-matrix/assess",
    summary="Preview the assessment of three risk factors",
    response_model=RiskAssessment,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def assess(body: RiskInput, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    from pydantic import ValidationError

    matrix, _ = svc.current_matrix(deps, ctx)
    try:
        return svc.preview(matrix, body.model_dump(mode="json")).to_dict()
    except ValidationError as exc:
        raise InvalidInput(
            "invalid risk factors",
            errors=[
                FieldError(".".join(str(p) for p in err["loc"]), err["msg"]) for err in exc.errors()
            ],
        ) from None


@router.get(
    "/settings/priority-weights",
    response_model=PriorityWeights,
    response_model_exclude_unset=True,
    responses=problem_responses(*LIST),
)
def get_weights(deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    svc.current_matrix(deps, ctx)  # authorises a read (any authenticated role)
    with deps.uow(readonly=True) as uow:
        return exp_svc.priority_weights(uow).to_dict()


#: The weights body as the domain checks it (domain/experiments/priority.py): known criteria only,
#: each a number >= 0, a missing one keeps its default, and not every weight may be zero (some
#: criterion is missing, so it keeps its positive default, or is above zero).
_WEIGHTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        c: {"type": "number", "minimum": 0, "maximum": MAX_WEIGHT} for c in CRITERIA
                    },
                    "additionalProperties": False,
                    "anyOf": [{"properties": {c: {"exclusiveMinimum": 0}}} for c in CRITERIA],
                }
            }
        },
    }
}


@router.put(
    "/settings/priority-weights",
    openapi_extra=_WEIGHTS_BODY,
    response_model=PriorityWeights,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def put_weights(body: dict[str, Any], deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return exp_svc.set_priority_weights(deps, ctx, body).to_dict()
