"""Valid SLO documents (fresh dicts, to mutate in a test) and the examples' paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["EXAMPLES", "openslo_slo", "sloth_spec"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "slo"

ERRORS = 'sum(rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))'
TOTAL = 'sum(rate(http_requests_total{job="api"}[{{.window}}]))'


def _source(query: str) -> dict[str, Any]:
    return {"metricSource": {"type": "Prometheus", "spec": {"query": query}}}


def openslo_slo() -> dict[str, Any]:
    """An OpenSLO v1 SLO: 99.9 % of api requests without a 5xx, over 28 rolling days."""
    return {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {"name": "availability", "labels": {"team": "core"}},
        "spec": {
            "service": "api",
            "indicator": {
                "metadata": {"name": "api-errors"},
                "spec": {
                    "ratioMetric": {
                        "counter": True,
                        "bad": _source(ERRORS),
                        "total": _source(TOTAL),
                    }
                },
            },
            "timeWindow": [{"duration": "28d", "isRolling": True}],
            "budgetingMethod": "Occurrences",
            "objectives": [{"displayName": "no 5xx", "target": 0.999}],
        },
    }


def sloth_spec() -> dict[str, Any]:
    """A Sloth prometheus/v1 spec with one SLO (99.9 %, events)."""
    return {
        "version": "prometheus/v1",
        "service": "api",
        "labels": {"team": "core"},
        "slos": [
            {
                "name": "availability",
                "objective": 99.9,
                "description": "no 5xx",
                "sli": {"events": {"error_query": ERRORS, "total_query": TOTAL}},
                "alerting": {
                    "name": "ApiAvailability",
                    "labels": {"category": "availability"},
                    "annotations": {"runbook": "https://runbooks.example.com/api"},
                    "page_alert": {"labels": {"severity": "critical"}},
                    "ticket_alert": {"labels": {"severity": "warning"}},
                },
            }
        ],
    }
