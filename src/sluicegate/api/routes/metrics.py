"""Pushed metric samples: ``POST /api/v1/metrics`` (a batch) and ``GET /api/v1/metrics``.

For systems without Prometheus, and for the demo. The push metric source reads what is pushed
here (docs/metrics.md). Samples are operational data: authorised, validated, not audited.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from sluicegate.api.deps import Ctx, ServiceDeps, container
from sluicegate.api.schemas.metrics import Accepted, Samples
from sluicegate.api.schemas.numbers import JsonAwareDatetime
from sluicegate.api.schemas.problems import READ, WRITE, problem_responses
from sluicegate.bootstrap import Container
from sluicegate.service import metrics as svc

__all__ = ["prune_loop", "router"]

router = APIRouter(tags=["metrics"])
log = logging.getLogger("sluicegate.jobs")

Key = Annotated[str, StringConstraints(min_length=1, max_length=64)]
MetricName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_:][A-Za-z0-9_:.\-]{0,199}$")]
LabelValue = Annotated[str, StringConstraints(max_length=svc.MAX_LABEL_VALUE)]
Variant = Literal["baseline", "canary"]
#: Label names as service/metrics/samples.py checks them: Prometheus names, but not the two
#: names that are fields of the sample.
#: (Said in the schema only: the lookahead is beyond the validator's regex engine.)
_LABEL_NAMES = {"pattern": r"^(?!(experiment|variant)$)[A-Za-z_][A-Za-z0-9_]{0,63}$"}


class SampleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    experiment: Key = Field(description="The experiment's key.")
    metric: MetricName
    variant: Variant
    value: Annotated[float, Field(strict=True, allow_inf_nan=False, description="A finite number.")]
    ts: JsonAwareDatetime = Field(
        description="ISO 8601 with a time zone, e.g. 2026-11-21T12:00:00Z."
    )
    labels: Annotated[
        dict[str, LabelValue],
        Field(max_length=svc.MAX_LABELS, json_schema_extra={"propertyNames": _LABEL_NAMES}),
    ] = Field(default_factory=dict)


class PushBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    samples: Annotated[list[SampleBody], Field(min_length=1)]


@router.post(
    "/metrics",
    summary="Push a batch of metric samples",
    response_model=Accepted,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def push(body: PushBody, request: Request, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    samples = [
        svc.SampleIn(
            experiment=s.experiment,
            metric=s.metric,
            variant=s.variant,
            value=s.value,
            ts=s.ts,
            labels=s.labels,
        )
        for s in body.samples
    ]
    max_batch = container(request).settings.metrics_max_batch
    return {"accepted": svc.push_samples(deps, ctx, samples, max_batch=max_batch)}


@router.get(
    "/metrics",
    summary="Read pushed metric samples",
    response_model=Samples,
    response_model_exclude_unset=True,
    responses=problem_responses(*READ),
)
def read(
    deps: ServiceDeps,
    ctx: Ctx,
    experiment: Annotated[Key, Query()],
    metric: Annotated[MetricName | None, Query()] = None,
    variant: Annotated[Variant | None, Query()] = None,
    since: Annotated[AwareDatetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = svc.DEFAULT_READ_LIMIT,
) -> dict[str, Any]:
    found = svc.read_samples(
        deps, ctx, experiment, metric=metric, variant=variant, since=since, limit=limit
    )
    return {"samples": found, "count": len(found)}


async def prune_loop(app_container: Container, interval: float) -> None:
    """The retention job: delete samples older than ``metrics_retention_days``."""
    retention = timedelta(days=app_container.settings.metrics_retention_days)
    while True:
        try:
            pruned = await run_in_threadpool(svc.prune_samples, app_container.deps, retention)
            if pruned:
                log.info("pruned %d metric samples older than %s", pruned, retention)
        except Exception:
            log.exception("the metric retention job failed; it runs again in %.0f s", interval)
        await asyncio.sleep(interval)
