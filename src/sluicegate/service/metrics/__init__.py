"""Metrics: metric sources (Prometheus, push) and pushed samples for analysis."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluicegate.service.lazy import exports

if TYPE_CHECKING:
    from sluicegate.service.metrics.ports import (
        LABEL_VARIANT as LABEL_VARIANT,
    )
    from sluicegate.service.metrics.ports import (
        METRIC_VARIANTS as METRIC_VARIANTS,
    )
    from sluicegate.service.metrics.ports import (
        MetricQuery as MetricQuery,
    )
    from sluicegate.service.metrics.ports import (
        MetricQueryError as MetricQueryError,
    )
    from sluicegate.service.metrics.ports import (
        MetricSampleRecord as MetricSampleRecord,
    )
    from sluicegate.service.metrics.ports import (
        MetricSampleRepository as MetricSampleRepository,
    )
    from sluicegate.service.metrics.ports import (
        MetricSource as MetricSource,
    )
    from sluicegate.service.metrics.ports import (
        MetricSourceError as MetricSourceError,
    )
    from sluicegate.service.metrics.ports import (
        MetricSourceUnavailable as MetricSourceUnavailable,
    )
    from sluicegate.service.metrics.ports import (
        RequestCounts as RequestCounts,
    )
    from sluicegate.service.metrics.ports import (
        escape_label_value as escape_label_value,
    )
    from sluicegate.service.metrics.ports import (
        format_duration as format_duration,
    )
    from sluicegate.service.metrics.ports import (
        render_template as render_template,
    )
    from sluicegate.service.metrics.samples import (
        DEFAULT_MAX_BATCH as DEFAULT_MAX_BATCH,
    )
    from sluicegate.service.metrics.samples import (
        DEFAULT_READ_LIMIT as DEFAULT_READ_LIMIT,
    )
    from sluicegate.service.metrics.samples import (
        LABEL_NAME as LABEL_NAME,
    )
    from sluicegate.service.metrics.samples import (
        MAX_LABEL_VALUE as MAX_LABEL_VALUE,
    )
    from sluicegate.service.metrics.samples import (
        MAX_LABELS as MAX_LABELS,
    )
    from sluicegate.service.metrics.samples import (
        METRIC_NAME as METRIC_NAME,
    )
    from sluicegate.service.metrics.samples import (
        SampleIn as SampleIn,
    )
    from sluicegate.service.metrics.samples import (
        prune_samples as prune_samples,
    )
    from sluicegate.service.metrics.samples import (
        push_samples as push_samples,
    )
    from sluicegate.service.metrics.samples import (
        read_samples as read_samples,
    )
    from sluicegate.service.metrics.samples import (
        sample_dict as sample_dict,
    )

__all__ = [
    "DEFAULT_MAX_BATCH",
    "DEFAULT_READ_LIMIT",
    "LABEL_NAME",
    "LABEL_VARIANT",
    "MAX_LABELS",
    "MAX_LABEL_VALUE",
    "METRIC_NAME",
    "METRIC_VARIANTS",
    "MetricQuery",
    "MetricQueryError",
    "MetricSampleRecord",
    "MetricSampleRepository",
    "MetricSource",
    "MetricSourceError",
    "MetricSourceUnavailable",
    "RequestCounts",
    "SampleIn",
    "escape_label_value",
    "format_duration",
    "prune_samples",
    "push_samples",
    "read_samples",
    "render_template",
    "sample_dict",
]

_TABLE = {
    "DEFAULT_MAX_BATCH": "samples",
    "DEFAULT_READ_LIMIT": "samples",
    "LABEL_NAME": "samples",
    "LABEL_VARIANT": "ports",
    "MAX_LABELS": "samples",
    "MAX_LABEL_VALUE": "samples",
    "METRIC_NAME": "samples",
    "METRIC_VARIANTS": "ports",
    "MetricQuery": "ports",
    "MetricQueryError": "ports",
    "MetricSampleRecord": "ports",
    "MetricSampleRepository": "ports",
    "MetricSource": "ports",
    "MetricSourceError": "ports",
    "MetricSourceUnavailable": "ports",
    "RequestCounts": "ports",
    "SampleIn": "samples",
    "escape_label_value": "ports",
    "format_duration": "ports",
    "prune_samples": "samples",
    "push_samples": "samples",
    "read_samples": "samples",
    "render_template": "ports",
    "sample_dict": "samples",
}
__getattr__, __dir__ = exports(__name__, _TABLE)
