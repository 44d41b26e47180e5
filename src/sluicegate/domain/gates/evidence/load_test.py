"""Load-test results: k6 summary JSON and JMeter JTL CSV."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Any

from sluicegate.domain.gates.evidence.document import check_size, parse_json, sniff, text_of
from sluicegate.domain.gates.evidence.errors import DEFAULT_MAX_BYTES, EvidenceError

__all__ = ["JMETER_REQUIRED_COLUMNS", "LoadTestFacts", "parse_jmeter", "parse_k6", "percentile"]

JMETER_REQUIRED_COLUMNS = ("timeStamp", "elapsed", "label", "success")


@dataclass(frozen=True, slots=True)
class LoadTestFacts:
    """Latency percentiles in milliseconds (None when the tool did not report them)."""

    tool: str  # "k6" or "jmeter"
    requests: int
    error_rate: float
    p50_ms: float | None
    p90_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    avg_ms: float | None
    max_ms: float | None

    kind = "load-test"

    @property
    def namespace(self) -> str:
        return self.tool

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "tool": self.tool,
            "requests": self.requests,
            "error_rate": self.error_rate,
            "p50_ms": self.p50_ms,
            "p90_ms": self.p90_ms,
            "p95_ms": self.p95_ms,
            "p99_ms": self.p99_ms,
            "avg_ms": self.avg_ms,
            "max_ms": self.max_ms,
        }


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (the definition JMeter reports use)."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(pct / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def _num(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EvidenceError("k6", f"{where} must be a finite number")
    return float(value)


def _values(metric: Any, name: str) -> dict[str, Any]:
    """Summary-export metrics are flat; handleSummary metrics nest them under ``values``."""
    if not isinstance(metric, dict):
        raise EvidenceError("k6", f"metrics.{name} must be an object")
    values = metric.get("values", metric)
    if not isinstance(values, dict):
        raise EvidenceError("k6", f"metrics.{name}.values must be an object")
    return values


def parse_k6(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadTestFacts:
    doc = parse_json("k6", data, max_bytes=max_bytes)
    if not isinstance(doc, dict) or not isinstance(doc.get("metrics"), dict):
        raise EvidenceError("k6", "not a k6 summary: top-level 'metrics' object missing")
    metrics: dict[str, Any] = doc["metrics"]
    if "http_req_duration" not in metrics:
        raise EvidenceError("k6", "metrics.http_req_duration is missing (no HTTP requests?)")
    duration = _values(metrics["http_req_duration"], "http_req_duration")
    where = "metrics.http_req_duration"
    failed = _values(metrics.get("http_req_failed", {}), "http_req_failed")
    rate = failed.get("rate", failed.get("value"))
    error_rate = _num(rate, "metrics.http_req_failed.rate") if rate is not None else 0.0
    assert error_rate is not None
    if not 0.0 <= error_rate <= 1.0:
        raise EvidenceError("k6", "metrics.http_req_failed rate must be within [0, 1]")
    reqs = _values(metrics.get("http_reqs", {}), "http_reqs").get("count")
    if reqs is None and {"passes", "fails"} <= failed.keys():
        reqs = failed["passes"] + failed["fails"]
    count = _num(reqs, "metrics.http_reqs.count") if reqs is not None else 0.0
    assert count is not None
    p50 = duration.get("med", duration.get("p(50)"))
    return LoadTestFacts(
        tool="k6",
        requests=int(count),
        error_rate=error_rate,
        p50_ms=_num(p50, f"{where}.med"),
        p90_ms=_num(duration.get("p(90)"), f"{where}.p(90)"),
        p95_ms=_num(duration.get("p(95)"), f"{where}.p(95)"),
        p99_ms=_num(duration.get("p(99)"), f"{where}.p(99)"),
        avg_ms=_num(duration.get("avg"), f"{where}.avg"),
        max_ms=_num(duration.get("max"), f"{where}.max"),
    )


def _success(raw: str, line: int) -> bool:
    value = raw.strip().lower()
    if value in ("true", "false"):
        return value == "true"
    raise EvidenceError("jmeter", f"line {line}: success={raw!r} is not true/false")


def parse_jmeter(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadTestFacts:
    check_size("jmeter", data, max_bytes)
    fmt = sniff(data)
    if fmt in ("xml", "html", "json", "binary"):
        raise EvidenceError(
            "jmeter", f"artifact is {fmt.upper()}; only CSV JTL files are supported"
        )
    reader = csv.DictReader(io.StringIO(text_of("jmeter", data), newline=""))
    header = reader.fieldnames or []
    missing = [c for c in JMETER_REQUIRED_COLUMNS if c not in header]
    if missing:
        raise EvidenceError("jmeter", f"CSV header lacks JMeter JTL columns: {', '.join(missing)}")
    elapsed: list[float] = []
    errors = 0
    for row in reader:
        line = reader.line_num
        raw = row.get("elapsed")
        try:
            value = float(raw or "")
        except ValueError as exc:
            raise EvidenceError("jmeter", f"line {line}: elapsed={raw!r} is not a number") from exc
        if value < 0 or not math.isfinite(value):
            raise EvidenceError("jmeter", f"line {line}: elapsed={raw!r} is out of range")
        elapsed.append(value)
        if not _success(row.get("success") or "", line):
            errors += 1
    if not elapsed:
        raise EvidenceError("jmeter", "JTL contains a header but no samples")
    elapsed.sort()
    return LoadTestFacts(
        tool="jmeter",
        requests=len(elapsed),
        error_rate=errors / len(elapsed),
        p50_ms=percentile(elapsed, 50),
        p90_ms=percentile(elapsed, 90),
        p95_ms=percentile(elapsed, 95),
        p99_ms=percentile(elapsed, 99),
        avg_ms=round(sum(elapsed) / len(elapsed), 3),
        max_ms=elapsed[-1],
    )
