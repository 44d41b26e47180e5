"""``sluice dora show|explain`` and ``sluice kpi show``: the delivery figures, read from the API.

The figures and their definitions are the server's (docs/delivery-metrics.md); this module only
asks and prints. Every command has ``--json`` for machines.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, client_session
from sluicegate.cli.output import emit_json, out, table

__all__ = ["dora_app", "duration", "impact_rows", "kpi_app"]

dora_app = new_app(
    help="The five DORA metrics, each with the facts behind it (docs/delivery-metrics.md).",
    no_args_is_help=True,
)
kpi_app = new_app(
    help="Innovation KPIs beside delivery (docs/delivery-metrics.md).", no_args_is_help=True
)

ServiceOpt = Annotated[str | None, typer.Option(help="One service.")]
TeamOpt = Annotated[str | None, typer.Option(help="The services a team's experiments name.")]
FromOpt = Annotated[
    str | None, typer.Option("--from", help="ISO time with a zone (default: 90 days before --to).")
]
ToOpt = Annotated[str | None, typer.Option("--to", help="ISO time with a zone (default: now).")]
ZoneOpt = Annotated[str, typer.Option("--tz", help="IANA time zone of the buckets.")]
MedianOpt = Annotated[
    str, typer.Option(help="linear (default), or lower: DevLake's reading of an even count.")
]

METRICS = ("deployment-frequency", "lead-time", "cfr", "recovery-time", "rework-rate")


def duration(seconds: float | None) -> str:
    """``seconds`` for people: 3d 4h, 2h 5m, 40m, 12s; a dash when there is no figure."""
    if seconds is None:
        return "-"
    s = round(seconds)
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


def _params(
    service: str | None,
    team: str | None,
    start: str | None,
    end: str | None,
    timezone: str,
    median: str,
    **more: Any,
) -> dict[str, Any]:
    params = {
        "service": service,
        "team": team,
        "from": start,
        "to": end,
        "timezone": timezone,
        "median": median,
        **more,
    }
    return {k: v for k, v in params.items() if v is not None}


def _rate(r: dict[str, Any]) -> str:
    if r["value"] is None:
        return "-"
    return f"{r['value']:.1%} ({r['numerator']}/{r['denominator']})"


def _summary(s: dict[str, Any]) -> str:
    if not s["n"]:
        return "-"
    return (
        f"median {duration(s['median'])}, p75 {duration(s['p75'])}, p90 {duration(s['p90'])} "
        f"(n={s['n']})"
    )


def _frequency(f: dict[str, Any]) -> str:
    if f["per_day"] is None:
        return "-"
    return f"{f['per_day']:.2f}/day, {f['per_week']:.1f}/week ({f['deployments']} deployments)"


def _scope(scope: dict[str, Any]) -> str:
    if scope["kind"] == "service":
        return f"service {scope['service']}"
    if scope["kind"] == "team":
        return f"team {scope['team']} ({', '.join(scope.get('services', [])) or 'no services'})"
    return "every service"


def _rows(m: dict[str, Any]) -> list[tuple[str, str]]:
    recovery = _summary(m["recovery_time"])
    if m["recovery_time"].get("open"):
        recovery += f"; {m['recovery_time']['open']} failure(s) not recovered"
    return [
        ("Deployment frequency", _frequency(m["deployment_frequency"])),
        ("Change lead time", _summary(m["lead_time"])),
        ("Change failure rate", _rate(m["change_fail_rate"])),
        ("Failed deployment recovery time", recovery),
        ("Deployment rework rate", _rate(m["rework_rate"])),
    ]


@dora_app.command("show")
def show(
    service: ServiceOpt = None,
    team: TeamOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    bucket: Annotated[
        str | None, typer.Option(help="Also per day, week or month, in --tz.")
    ] = None,
    timezone: ZoneOpt = "UTC",
    median: MedianOpt = "linear",
    as_json: JsonOpt = False,
) -> None:
    """The five DORA metrics of a service, a team or every service, over a window."""
    params = _params(service, team, start, end, timezone, median, bucket=bucket)
    with client_session(as_json) as client:
        m = client.request("GET", "/api/v1/delivery/metrics", params=params)
    if as_json:
        emit_json(m)
        return
    title = f"DORA metrics, {_scope(m['scope'])}, {m['from'][:10]} to {m['to'][:10]}"
    table(title, ["metric", "figure"], _rows(m))
    phases = m.get("lead_time_phases", {})
    if any(p["n"] for p in phases.values()):
        table(
            "Lead time by phase (pull requests)",
            ["phase", "figure"],
            [(name, _summary(p)) for name, p in phases.items()],
        )
    if m.get("buckets"):
        table(
            f"Per {m['bucket']} ({m['timezone']})",
            ["start", "deploys", "lead time p50", "failure rate", "recovery p50", "rework"],
            [
                (
                    b["start"],
                    str(b["deployment_frequency"]["deployments"]),
                    duration(b["lead_time"]["median"]),
                    _rate(b["change_fail_rate"]),
                    duration(b["recovery_time"]["median"]),
                    _rate(b["rework_rate"]),
                )
                for b in m["buckets"]
            ],
        )
    out.print("`sluice dora explain METRIC` lists the facts behind a figure.")


def _fact(fact: dict[str, Any]) -> str:
    shown = []
    for k, v in fact.items():
        if k in ("deployment", "phases", "rows"):
            continue
        shown.append(f"{k}={duration(v) if k == 'seconds' else v}")
    return ", ".join(shown)


@dora_app.command("explain")
def explain(
    metric: Annotated[str, typer.Argument(help=f"One of {', '.join(METRICS)}.")],
    service: ServiceOpt = None,
    team: TeamOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    timezone: ZoneOpt = "UTC",
    median: MedianOpt = "linear",
    as_json: JsonOpt = False,
) -> None:
    """One metric's figure and every deployment, change and incident link it counts."""
    params = _params(service, team, start, end, timezone, median)
    with client_session(as_json) as client:
        e = client.request("GET", f"/api/v1/delivery/metrics/{metric}/explain", params=params)
    if as_json:
        emit_json(e)
        return
    out.print(f"{e['metric']} for {_scope(e['scope'])}, {e['from'][:10]} to {e['to'][:10]}")
    out.print(f"figure: {e['figure']}")
    table(
        f"{len(e['facts'])} fact(s)",
        ["deployment", "detail"],
        [(str(f.get("deployment", "")), _fact(f)) for f in e["facts"]],
    )
    if e["incident_links"]:
        table(
            "Incidents linked to deployments",
            ["incident", "deployment", "rule"],
            [(i["incident"], i["deployment"], i["rule"]) for i in e["incident_links"]],
        )
    if e["unlinked_incidents"]:
        out.print(f"not linked to any deployment: {', '.join(e['unlinked_incidents'])}")


@kpi_app.command("show")
def show_kpis(
    service: ServiceOpt = None,
    team: TeamOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    target: Annotated[
        float, typer.Option(help="Innovation bandwidth target per team (a share, 0-1).")
    ] = 0.15,
    as_json: JsonOpt = False,
) -> None:
    """The portfolio beside its delivery: states, time to approval and GA, shares, bandwidth."""
    params = _params(service, team, start, end, "UTC", "linear", target=target)
    with client_session(as_json) as client:
        k = client.request("GET", "/api/v1/delivery/kpis", params=params)
    if as_json:
        emit_json(k)
        return
    states = ", ".join(f"{s} {n}" for s, n in k["experiments_by_state"].items()) or "none"
    share = k["category_share_of_experiments"]
    bandwidth = k["innovation_bandwidth"]
    rows = [
        ("Experiments by state", states),
        ("Time to approval", _summary(k["time_to_approval"])),
        ("Time to general availability", _summary(k["time_to_general_availability"])),
        ("Greenfield share (proposed)", _rate(share["greenfield"])),
        ("Tech-debt share (proposed)", _rate(share["tech-debt"])),
        ("Innovation bandwidth", _rate(bandwidth["organisation"])),
        (
            "Budget committed",
            ", ".join(f"{v:,.0f} {c}" for c, v in k["budget_committed"].items()) or "-",
        ),
    ]
    table(f"Innovation KPIs, {_scope(k['scope'])}", ["KPI", "figure"], rows)
    teams = bandwidth["teams"]
    if teams:
        table(
            f"Innovation bandwidth per team (target {target:.0%})",
            ["team", "share", "meets target"],
            [
                (
                    name,
                    _rate(t),
                    "-" if t["meets_target"] is None else ("yes" if t["meets_target"] else "no"),
                )
                for name, t in teams.items()
            ],
        )
    for name, why in k["not_computed"].items():
        out.print(f"not computed: {name} ({why})")


_IMPACT = {
    "deployment_frequency": ("Deployment frequency (per day)", "ratio"),
    "lead_time": ("Change lead time (median)", "duration"),
    "change_fail_rate": ("Change failure rate", "rate"),
    "recovery_time": ("Recovery time (median)", "duration"),
    "rework_rate": ("Deployment rework rate", "rate"),
}


def _value(kind: str, v: float | None) -> str:
    if v is None:
        return "-"
    if kind == "duration":
        return ("-" if v < 0 else "") + duration(abs(v))
    if kind == "rate":
        return f"{v:.1%}"
    return f"{v:.2f}"


def _change(kind: str, c: dict[str, Any]) -> tuple[str, str]:
    est, low, high = c["estimate"], c["ci_low"], c["ci_high"]
    if est is None:
        return "-", c["note"] or "-"
    if kind == "ratio":
        shown = f"x{est:.2f}"
        interval = "-" if low is None else f"x{low:.2f} to x{high:.2f}"
    elif kind == "rate":
        shown = f"{est * 100:+.1f} pts"
        interval = "-" if low is None else f"{low * 100:+.1f} to {high * 100:+.1f} pts"
    else:
        shown = ("+" if est >= 0 else "") + _value(kind, est)
        interval = "-" if low is None else f"{_value(kind, low)} to {_value(kind, high)}"
    if c["significant"]:
        interval += " *"
    return shown, interval


def impact_rows(found: dict[str, Any]) -> dict[str, list[tuple[str, str, str, str, str]]]:
    """One table per comparison: metric, before, the later value, change, interval."""
    tables = {}
    for name, comparison in found["comparisons"].items():
        title = name.replace("_", " ").replace("vs", "against")
        rows = []
        for metric, (label, kind) in _IMPACT.items():
            c = comparison[metric]
            change, interval = _change(kind, c)
            rows.append(
                (label, _value(kind, c["before"]), _value(kind, c["after"]), change, interval)
            )
        tables[f"{title} (* the interval excludes no change)"] = rows
    return tables
