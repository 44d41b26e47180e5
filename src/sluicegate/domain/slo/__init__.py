"""SLOs as code: OpenSLO v1 and Sloth ``prometheus/v1`` specs, and the Prometheus rules
(recorded error ratios, SRE Workbook burn-rate alerts) generated from them (docs/slo.md).

The domain takes parsed documents (dicts and lists) and returns the rule file as a dict; the
CLI reads and writes the YAML.
"""

from __future__ import annotations

from sluicegate.domain.slo.documents import parse_documents
from sluicegate.domain.slo.openslo import parse_openslo
from sluicegate.domain.slo.rules import rule_file, slo_groups
from sluicegate.domain.slo.sloth import parse_sloth
from sluicegate.domain.slo.spec import (
    WINDOWS,
    Alerting,
    AlertSpec,
    Query,
    RatioSli,
    RawSli,
    Sli,
    Slo,
    SloSpecError,
    ThresholdSli,
    default_factors,
)

__all__ = [
    "WINDOWS",
    "AlertSpec",
    "Alerting",
    "Query",
    "RatioSli",
    "RawSli",
    "Sli",
    "Slo",
    "SloSpecError",
    "ThresholdSli",
    "default_factors",
    "parse_documents",
    "parse_openslo",
    "parse_sloth",
    "rule_file",
    "slo_groups",
]
