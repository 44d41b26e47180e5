"""Cost-benefit estimates: payback period and return on investment over a horizon.

Input is a JSON object::

    {"one_off_cost": 12000, "maintenance_hours_per_month": 6, "hourly_rate": 95,
     "expected_monthly_benefit": 4000, "horizon_months": 24, "currency": "EUR"}

``payback_months = one_off_cost / (benefit - maintenance)`` (None when the net monthly benefit is
not positive) and ``roi = (benefit * h - cost(h)) / cost(h)`` with
``cost(h) = one_off_cost + maintenance * h`` (None when the total cost is zero).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sluicegate.domain.gates.evidence.document import parse_json
from sluicegate.domain.gates.evidence.errors import EvidenceError

__all__ = ["CostBenefitFacts", "compute_cost_benefit", "parse_cost_benefit"]

_KIND = "cost-benefit"
_FIELDS = (
    "one_off_cost",
    "maintenance_hours_per_month",
    "hourly_rate",
    "expected_monthly_benefit",
)


@dataclass(frozen=True, slots=True)
class CostBenefitFacts:
    one_off_cost: float
    maintenance_hours_per_month: float
    hourly_rate: float
    expected_monthly_benefit: float
    horizon_months: int
    currency: str
    monthly_maintenance_cost: float
    net_monthly_benefit: float
    payback_months: float | None
    roi: float | None

    kind = _KIND
    namespace = "cost_benefit"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "one_off_cost": self.one_off_cost,
            "maintenance_hours_per_month": self.maintenance_hours_per_month,
            "hourly_rate": self.hourly_rate,
            "expected_monthly_benefit": self.expected_monthly_benefit,
            "horizon_months": self.horizon_months,
            "currency": self.currency,
            "monthly_maintenance_cost": self.monthly_maintenance_cost,
            "net_monthly_benefit": self.net_monthly_benefit,
            "payback_months": self.payback_months,
            "roi": self.roi,
        }


def compute_cost_benefit(
    *,
    one_off_cost: float,
    maintenance_hours_per_month: float,
    hourly_rate: float,
    expected_monthly_benefit: float,
    horizon_months: int = 12,
    currency: str = "EUR",
) -> CostBenefitFacts:
    values = {
        "one_off_cost": one_off_cost,
        "maintenance_hours_per_month": maintenance_hours_per_month,
        "hourly_rate": hourly_rate,
        "expected_monthly_benefit": expected_monthly_benefit,
    }
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EvidenceError(_KIND, f"{name} must be a number")
        if not math.isfinite(value) or value < 0:
            raise EvidenceError(_KIND, f"{name} must be a finite, non-negative number")
    if isinstance(horizon_months, bool) or not isinstance(horizon_months, int):
        raise EvidenceError(_KIND, "horizon_months must be an integer")
    if horizon_months <= 0:
        raise EvidenceError(_KIND, "horizon_months must be positive")
    maintenance = maintenance_hours_per_month * hourly_rate
    net = expected_monthly_benefit - maintenance
    payback = one_off_cost / net if net > 0 else None
    total_cost = one_off_cost + maintenance * horizon_months
    total_benefit = expected_monthly_benefit * horizon_months
    roi = (total_benefit - total_cost) / total_cost if total_cost > 0 else None
    return CostBenefitFacts(
        one_off_cost=float(one_off_cost),
        maintenance_hours_per_month=float(maintenance_hours_per_month),
        hourly_rate=float(hourly_rate),
        expected_monthly_benefit=float(expected_monthly_benefit),
        horizon_months=horizon_months,
        currency=currency,
        monthly_maintenance_cost=maintenance,
        net_monthly_benefit=net,
        payback_months=payback,
        roi=roi,
    )


def parse_cost_benefit(data: bytes) -> CostBenefitFacts:
    doc = parse_json(_KIND, data, max_bytes=64 * 1024)
    if not isinstance(doc, dict):
        raise EvidenceError(_KIND, "cost-benefit estimate must be a JSON object")
    missing = [f for f in _FIELDS if f not in doc]
    if missing:
        raise EvidenceError(_KIND, f"missing field(s): {', '.join(missing)}")
    currency = doc.get("currency", "EUR")
    if not isinstance(currency, str) or not currency:
        raise EvidenceError(_KIND, "currency must be a non-empty string")
    return compute_cost_benefit(
        one_off_cost=doc["one_off_cost"],
        maintenance_hours_per_month=doc["maintenance_hours_per_month"],
        hourly_rate=doc["hourly_rate"],
        expected_monthly_benefit=doc["expected_monthly_benefit"],
        horizon_months=doc.get("horizon_months", 12),
        currency=currency,
    )
