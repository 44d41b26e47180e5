"""The Prometheus text exposition format, and a simulated service that speaks it.

``render_counter`` and ``render_histogram`` write metric families in the text format (version
0.0.4) that Prometheus scrapes. ``SimulatedService`` is a deterministic stand-in for a service
running a baseline and a canary: each variant serves ``requests_per_second`` with an
``error_ratio`` and a typical latency, and ``exposition(now)`` returns

* ``http_requests_total{service, variant, revision, code="200"|"500"}`` (counters) and
* ``http_request_duration_seconds`` (a histogram by ``service, variant, revision``),

so that the demo and the contract tests can put real numbers into a real Prometheus. A test (or
the demo) switches a regression on by changing a variant's ``error_ratio`` or ``latency_seconds``.
Pure Python, no I/O.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "CONTENT_TYPE",
    "LATENCY_BUCKETS",
    "HistogramSeries",
    "SimulatedService",
    "VariantTraffic",
    "render_counter",
    "render_histogram",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_GOLDEN = (math.sqrt(5) - 1) / 2


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def render_counter(
    name: str, help_text: str, samples: Iterable[tuple[Mapping[str, str], float]]
) -> str:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
    lines += [f"{name}{_labels(labels)} {_number(value)}" for labels, value in samples]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class HistogramSeries:
    labels: Mapping[str, str]
    bucket_counts: Sequence[int]  # cumulative counts, one per bound in ``bounds``
    total: float
    count: int


def render_histogram(
    name: str, help_text: str, bounds: Sequence[float], series: Iterable[HistogramSeries]
) -> str:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
    for s in series:
        for bound, cumulative in zip(bounds, s.bucket_counts, strict=True):
            labels = {**s.labels, "le": _number(bound)}
            lines.append(f"{name}_bucket{_labels(labels)} {cumulative}")
        lines.append(f"{name}_bucket{_labels({**s.labels, 'le': '+Inf'})} {s.count}")
        lines.append(f"{name}_sum{_labels(s.labels)} {_number(s.total)}")
        lines.append(f"{name}_count{_labels(s.labels)} {s.count}")
    return "\n".join(lines) + "\n"


@dataclass(slots=True)
class VariantTraffic:
    """What one variant serves; change the fields to simulate a regression."""

    requests_per_second: float = 100.0
    error_ratio: float = 0.01
    latency_seconds: float = 0.1
    revision: str = "r1"
    # accumulated state
    requests: int = 0
    errors: int = 0
    latency_sum: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS))
    _carry: float = 0.0
    _error_carry: float = 0.0

    def _serve(self, seconds: float) -> None:
        due = self._carry + self.requests_per_second * seconds
        new = int(due)
        self._carry = due - new
        for k in range(self.requests, self.requests + new):
            # A deterministic spread of 0.75x .. 1.25x the typical latency.
            latency = self.latency_seconds * (0.75 + 0.5 * ((k * _GOLDEN) % 1.0))
            self.latency_sum += latency
            for i, bound in enumerate(LATENCY_BUCKETS):
                if latency <= bound:
                    self.buckets[i] += 1  # per bucket; exposition() makes them cumulative
                    break
        self.requests += new
        failing = self._error_carry + new * self.error_ratio
        self.errors += int(failing)
        self._error_carry = failing - int(failing)


class SimulatedService:
    """A service with a baseline and a canary; thread-safe, driven by the caller's clock."""

    def __init__(self, service: str = "checkout", *, started_at: float) -> None:
        self.service = service
        self.variants: dict[str, VariantTraffic] = {
            "baseline": VariantTraffic(revision="r1"),
            "canary": VariantTraffic(revision="r2"),
        }
        self._last = started_at
        self._lock = threading.Lock()

    def advance(self, now: float) -> None:
        """Serve the traffic due between the last call and ``now`` (seconds, any epoch)."""
        with self._lock:
            elapsed = max(0.0, now - self._last)
            self._last = max(self._last, now)
            for traffic in self.variants.values():
                traffic._serve(elapsed)

    def set(self, variant: str, now: float, **changes: float) -> None:
        """Serve the traffic due so far at the old settings, then apply ``changes``."""
        self.advance(now)
        with self._lock:
            traffic = self.variants[variant]
            for name, value in changes.items():
                if name not in ("requests_per_second", "error_ratio", "latency_seconds"):
                    raise ValueError(f"unknown traffic setting {name!r}")
                setattr(traffic, name, float(value))

    def exposition(self, now: float) -> str:
        self.advance(now)
        with self._lock:
            counters: list[tuple[Mapping[str, str], float]] = []
            histograms = []
            for variant, t in self.variants.items():
                base = {"service": self.service, "variant": variant, "revision": t.revision}
                counters.append(({**base, "code": "200"}, float(t.requests - t.errors)))
                counters.append(({**base, "code": "500"}, float(t.errors)))
                cumulative = [sum(t.buckets[: i + 1]) for i in range(len(LATENCY_BUCKETS))]
                histograms.append(HistogramSeries(base, cumulative, t.latency_sum, t.requests))
        return render_counter(
            "http_requests_total", "Requests served, by status code.", counters
        ) + render_histogram(
            "http_request_duration_seconds",
            "Request latency.",
            LATENCY_BUCKETS,
            histograms,
        )
