"""Pushed metric samples: accept a batch, read them back, prune them after the retention period.

Samples are operational data, not decisions: pushing them is authorised (``metrics:push``) but
not audited sample by sample; the decisions they feed (verdicts, rollbacks) are audited where
they are made. A batch is validated as a whole and either stored whole or refused whole.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.errors import FieldError, InvalidInput, NotFound
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.metrics.ports import METRIC_VARIANTS, MetricSampleRecord

__all__ = [
    "DEFAULT_MAX_BATCH",
    "DEFAULT_READ_LIMIT",
    "METRIC_NAME",
    "SampleIn",
    "prune_samples",
    "push_samples",
    "read_samples",
    "sample_dict",
]

DEFAULT_MAX_BATCH = 1000
DEFAULT_READ_LIMIT = 1000
MAX_LABELS = 16
METRIC_NAME = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:.\-]{0,199}$")
LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_LABEL_VALUE = 256


@dataclass(frozen=True, slots=True)
class SampleIn:
    """One sample as pushed: ``experiment`` is the experiment's key."""

    experiment: str
    metric: str
    variant: str
    value: float
    ts: datetime
    labels: Mapping[str, str] = field(default_factory=dict)


def sample_dict(rec: MetricSampleRecord, experiment_key: str) -> dict[str, Any]:
    return {
        "experiment": experiment_key,
        "metric": rec.metric,
        "variant": rec.variant,
        "value": rec.value,
        "ts": rec.ts.isoformat(),
        "labels": dict(rec.labels),
    }


def _check(sample: SampleIn, path: str) -> list[FieldError]:
    errors = []
    if not METRIC_NAME.fullmatch(sample.metric):
        errors.append(
            FieldError(
                f"{path}.metric", "must match [A-Za-z_:][A-Za-z0-9_:.-]* (at most 200 characters)"
            )
        )
    if sample.variant not in METRIC_VARIANTS:
        errors.append(
            FieldError(f"{path}.variant", f"must be one of {' | '.join(METRIC_VARIANTS)}")
        )
    if isinstance(sample.value, bool) or not math.isfinite(sample.value):
        errors.append(FieldError(f"{path}.value", "must be a finite number (no NaN or Inf)"))
    if sample.ts.tzinfo is None or sample.ts.utcoffset() is None:
        errors.append(FieldError(f"{path}.ts", "must carry a time zone (e.g. Z or +00:00)"))
    if len(sample.labels) > MAX_LABELS:
        errors.append(FieldError(f"{path}.labels", f"at most {MAX_LABELS} labels"))
    for key, value in sample.labels.items():
        if not LABEL_NAME.fullmatch(key) or key in ("experiment", "variant"):
            errors.append(
                FieldError(
                    f"{path}.labels.{key}",
                    "label names match [A-Za-z_][A-Za-z0-9_]*; experiment and variant are fields",
                )
            )
        elif not isinstance(value, str) or len(value) > MAX_LABEL_VALUE:
            errors.append(
                FieldError(
                    f"{path}.labels.{key}", f"must be a string of at most {MAX_LABEL_VALUE} chars"
                )
            )
    return errors


def push_samples(
    deps: Deps,
    ctx: RequestContext,
    samples: Sequence[SampleIn],
    *,
    max_batch: int = DEFAULT_MAX_BATCH,
) -> int:
    """Store a batch of samples; refuse the whole batch (422, naming each field) on any error."""
    authorize(ctx.principal, Action.METRICS_PUSH)
    if not samples:
        raise InvalidInput(
            "the batch is empty", errors=[FieldError("samples", "send at least one sample")]
        )
    if len(samples) > max_batch:
        raise InvalidInput(
            f"the batch has {len(samples)} samples; the limit is {max_batch}",
            errors=[FieldError("samples", f"at most {max_batch} samples per request")],
            hint="Split the samples into several requests.",
        )
    errors = [e for i, s in enumerate(samples) for e in _check(s, f"samples.{i}")]
    now = deps.clock.now()
    with deps.uow() as uow:
        ids: dict[str, str] = {}
        for i, sample in enumerate(samples):
            if sample.experiment in ids:
                continue
            exp = uow.experiments.get_by_key(sample.experiment)
            if exp is None:
                errors.append(
                    FieldError(f"samples.{i}.experiment", f"no experiment {sample.experiment!r}")
                )
                ids[sample.experiment] = ""
            else:
                ids[sample.experiment] = exp.id
        if errors:
            raise InvalidInput(f"the batch is invalid: {len(errors)} problem(s)", errors=errors)
        uow.metric_samples.add_many(
            [
                MetricSampleRecord(
                    id=deps.ids.new_id(),
                    experiment_id=ids[s.experiment],
                    metric=s.metric,
                    variant=s.variant,
                    value=float(s.value),
                    ts=s.ts,
                    labels=dict(s.labels),
                    received_at=now,
                )
                for s in samples
            ]
        )
    return len(samples)


def read_samples(
    deps: Deps,
    ctx: RequestContext,
    experiment: str,
    *,
    metric: str | None = None,
    variant: str | None = None,
    since: datetime | None = None,
    limit: int = DEFAULT_READ_LIMIT,
) -> list[dict[str, Any]]:
    """The samples of one experiment, oldest first (at most ``limit``)."""
    authorize(ctx.principal, Action.METRICS_READ)
    if variant is not None and variant not in METRIC_VARIANTS:
        raise InvalidInput(
            "unknown variant",
            errors=[FieldError("variant", f"must be one of {' | '.join(METRIC_VARIANTS)}")],
        )
    with deps.uow(readonly=True) as uow:
        exp = uow.experiments.get_by_key(experiment)
        if exp is None:
            raise NotFound(f"no experiment {experiment!r}")
        found = uow.metric_samples.query(
            exp.id, metric=metric, variant=variant, since=since, limit=limit
        )
    return [sample_dict(rec, exp.key) for rec in found]


def prune_samples(deps: Deps, retention: timedelta) -> int:
    """Delete samples older than ``retention``; the periodic retention job calls this."""
    if retention <= timedelta(0):
        raise ValueError("retention must be positive")
    with deps.uow() as uow:
        return uow.metric_samples.prune(deps.clock.now() - retention)
