"""``sluice rollout ...`` (client commands over the API) and ``sluice controller run``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sluicegate.cli import complete
from sluicegate.cli.apps import new_app
from sluicegate.cli.client import Client
from sluicegate.cli.common import JsonOpt, client_session, guard
from sluicegate.cli.exits import ExitCode
from sluicegate.cli.output import CliError, emit_json, err, out, table

if TYPE_CHECKING:
    from rich.console import Group

    from sluicegate.controller import Controller

__all__ = ["app", "controller_app"]

app = new_app(help="Progressive delivery: start, watch and steer rollouts.", no_args_is_help=True)
controller_app = new_app(help="The rollout controller process.", no_args_is_help=True)

FINAL = {"succeeded", "rolled-back", "aborted"}
FAILED = {"rolled-back", "aborted"}
#: Statuses in which the controller no longer moves the rollout forward: a hold no longer applies.
ENDING = FINAL | {"rolling-back"}


def _hold(r: dict[str, Any]) -> str | None:
    """The hold reason while it still holds the rollout (not once it is ending or over)."""
    reason = r.get("hold_reason")
    return str(reason) if reason and r["status"] not in ENDING else None


def _outcome(r: dict[str, Any]) -> str | None:
    """How it ended (or is ending): result, who and why."""
    outcome = r.get("outcome")
    if not outcome or r["status"] not in ENDING:
        return None
    text = str(outcome.get("result") or r["status"])
    if outcome.get("by"):
        text += f" by {outcome['by']}"
    if outcome.get("reason"):
        text += f": {outcome['reason']}"
    return text


IdArg = Annotated[
    str,
    typer.Argument(
        help="The rollout id (`sluice rollout list`).", autocompletion=complete.rollouts
    ),
]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why (audited).")]


def _read_plan(path: str) -> dict[str, Any]:
    import yaml

    try:
        text = (
            Path(path).read_text(encoding="utf-8")
            if path != "-"
            else typer.get_text_stream("stdin").read()
        )
        doc = yaml.safe_load(text)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}", ExitCode.USAGE) from exc
    except yaml.YAMLError as exc:
        raise CliError(f"{path} is not valid YAML: {exc}", ExitCode.USAGE) from exc
    if not isinstance(doc, dict):
        raise CliError(f"{path} must hold a mapping", ExitCode.USAGE)
    return doc


def _exit_for(status: str) -> None:
    if status in FAILED:
        raise typer.Exit(int(ExitCode.ANALYSIS_FAILED))


def _line(r: dict[str, Any]) -> str:
    w = r["weights"]
    parts = [
        r["status"],
        f"step {r['current_step']}/{len(r['steps'])}",
        f"canary {w['canary']}% stable {w['stable']}%",
    ]
    if r.get("rings"):
        parts.append("rings " + ",".join(r["rings"]))
    decision = (r.get("analysis") or {}).get("last_decision")
    if decision:
        parts.append(f"monitor {decision['action']}")
    hold, outcome = _hold(r), _outcome(r)
    if hold:
        parts.append(f"held: {hold}")
    if outcome:
        parts.append(f"outcome: {outcome}")
    return " | ".join(parts)


def _view(r: dict[str, Any]) -> Group:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    t = Table(
        title=Text(f"rollout {r['id']} ({r['experiment']}): {r['status']}"), title_justify="left"
    )
    for col in ("#", "step", "state"):
        t.add_column(col)
    marks = {
        "done": Text("done", style="green"),
        "current": Text("now", style="bold yellow"),
        "pending": Text("-", style="dim"),
    }
    for s in r["steps"]:
        t.add_row(
            Text(str(s["index"])), Text(s["describe"]), marks.get(s["state"], Text(s["state"]))
        )
    w = r["weights"]
    lines = [Text(f"weights: canary {w['canary']}%  stable {w['stable']}%")]
    decision = (r.get("analysis") or {}).get("last_decision")
    if decision:
        lines.append(Text(f"monitor: {decision['action']} - {decision['reason']}"))
    hold, outcome = _hold(r), _outcome(r)
    if hold:
        lines.append(Text(f"held: {hold}", style="yellow"))
    if outcome:
        lines.append(Text(f"outcome: {outcome}", style="red" if r["status"] != "succeeded" else ""))
    for h in r.get("history", [])[-5:]:
        lines.append(Text(f"  {h['seq']:>3} step {h['step']} {h['action']}: {h['status']}"))
    return Group(t, *lines)


def _fetch(client: Client, rollout_id: str) -> dict[str, Any]:
    body: dict[str, Any] = client.request("GET", f"/api/v1/rollouts/{rollout_id}")
    return body


def _watch(client: Client, rollout_id: str, interval: float, as_json: bool) -> dict[str, Any]:
    r = _fetch(client, rollout_id)
    if out.is_terminal and not as_json:
        from rich.live import Live

        with Live(_view(r), console=out, refresh_per_second=4) as live:
            while r["status"] not in FINAL:
                time.sleep(interval)
                r = _fetch(client, rollout_id)
                live.update(_view(r))
        return r
    last = None
    while True:
        line = _line(r)
        if line != last:
            if not as_json:
                out.print(line, markup=False, highlight=False)
            last = line
        if r["status"] in FINAL:
            return r
        time.sleep(interval)
        r = _fetch(client, rollout_id)


@app.command("start")
def start(
    rollout_id: Annotated[
        str | None,
        typer.Argument(
            help="Start this pending rollout (one made with --no-start) instead of a new one.",
            autocompletion=complete.rollouts,
        ),
    ] = None,
    file: Annotated[
        str | None, typer.Option("-f", "--file", help="Plan YAML/JSON ('-' = stdin).")
    ] = None,
    experiment: Annotated[
        str | None,
        typer.Option(
            help="Experiment key (else the file's `experiment`).",
            autocompletion=complete.experiments,
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="A name for the rollout.")] = None,
    no_start: Annotated[
        bool, typer.Option("--no-start", help="Create it pending; start it later by its id.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Attach a plan to an experiment and start it (the controller then moves it), or start
    a pending rollout by its id."""
    with client_session(as_json) as client:
        if (rollout_id is None) == (file is None):
            raise CliError(
                "give -f PLAN for a new rollout, or the id of a pending one (not both)",
                ExitCode.USAGE,
            )
        if rollout_id is not None:
            if experiment or name or no_start:
                raise CliError(
                    "--experiment, --name and --no-start apply to a new rollout (-f PLAN)",
                    ExitCode.USAGE,
                )
            r = client.request("POST", f"/api/v1/rollouts/{rollout_id}/start")
        else:
            assert file is not None
            doc = _read_plan(file)
            body: dict[str, Any] = doc if "plan" in doc else {"plan": doc}
            if experiment:
                body["experiment"] = experiment
            if name:
                body["name"] = name
            r = client.request("POST", "/api/v1/rollouts", json=body)
            if not no_start:
                r = client.request("POST", f"/api/v1/rollouts/{r['id']}/start")
    if as_json:
        emit_json(r)
        return
    out.print(r["id"])
    err.print(f"rollout {r['id']} of {r['experiment']} is {r['status']}: {len(r['steps'])} steps")
    if r["status"] == "pending":
        err.print(f"start it with: sluice rollout start {r['id']}")


@app.command("list")
def list_(
    experiment: Annotated[
        str | None,
        typer.Option(help="Only this experiment.", autocompletion=complete.experiments),
    ] = None,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Rollouts, newest first."""
    params = {k: v for k, v in {"experiment": experiment, "status": status}.items() if v}
    with client_session(as_json) as client:
        items = client.request("GET", "/api/v1/rollouts", params=params)["items"]
    if as_json:
        emit_json(items)
        return
    rows = [
        (r["id"], r["experiment"], r["status"], r["current_step"], r["weights"]["canary"])
        for r in items
    ]
    table(
        "Rollouts",
        ["id", "experiment", "status", "step", "canary %"],
        rows,
        keep=["id", "experiment"],
    )


@app.command("status")
def status(
    rollout_id: IdArg,
    watch: Annotated[bool, typer.Option("--watch", "-w", help="Follow until it ends.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 2.0,
    as_json: JsonOpt = False,
) -> None:
    """Steps, weights and verdicts; exit 4 when the rollout rolled back or was aborted."""
    with client_session(as_json) as client:
        r = _watch(client, rollout_id, interval, as_json) if watch else _fetch(client, rollout_id)
    if as_json:
        emit_json(r)
    elif not watch:
        out.print(_view(r))
    _exit_for(r["status"])


def _control(path: str, body: dict[str, Any] | None, as_json: bool) -> None:
    with client_session(as_json) as client:
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        r = client.request("POST", path, **kwargs)
    if as_json:
        emit_json(r)
    else:
        out.print(_line(r), markup=False, highlight=False)


@app.command("pause")
def pause(rollout_id: IdArg, reason: ReasonOpt = None, as_json: JsonOpt = False) -> None:
    """Hold the rollout where it is (the controller skips it)."""
    _control(f"/api/v1/rollouts/{rollout_id}/pause", {"reason": reason} if reason else {}, as_json)


@app.command("resume")
def resume(rollout_id: IdArg, as_json: JsonOpt = False) -> None:
    """Let a paused rollout go on."""
    _control(f"/api/v1/rollouts/{rollout_id}/resume", None, as_json)


@app.command("promote")
def promote(rollout_id: IdArg, reason: ReasonOpt = None, as_json: JsonOpt = False) -> None:
    """Approve the current pause or analysis step (reviewers)."""
    _control(
        f"/api/v1/rollouts/{rollout_id}/promote", {"reason": reason} if reason else {}, as_json
    )


@app.command("abort")
def abort(
    rollout_id: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (required, audited).")],
    as_json: JsonOpt = False,
) -> None:
    """Roll back by hand: weights to 0, or the flag to its definition before the rollout."""
    _control(f"/api/v1/rollouts/{rollout_id}/abort", {"reason": reason}, as_json)


@app.command("weights")
def weights(rollout_id: IdArg, as_json: JsonOpt = False) -> None:
    """The desired canary/stable weights a traffic router should apply now."""
    with client_session(as_json) as client:
        w = client.request("GET", f"/api/v1/rollouts/{rollout_id}/weights")
    if as_json:
        emit_json(w)
        return
    shown = "  ".join(f"{k} {v}%" for k, v in w["weights"].items())
    nxt = f", next {w['next_weight']}%" if w["next_weight"] is not None else ""
    out.print(f"{w['rollout']} ({w['experiment']}) {w['status']} step {w['step']}: {shown}{nxt}")


@app.command("breakers")
def breakers(as_json: JsonOpt = False) -> None:
    """Circuit breakers per service and per rollout: open ones hold new rollouts back."""
    with client_session(as_json) as client:
        items = client.request("GET", "/api/v1/rollouts/breakers")["items"]
    if as_json:
        emit_json(items)
        return
    rows = [
        (b["key"], b["state"], f"{b['failures']}/{b['threshold']}", b["opened_at"], b["reason"])
        for b in items
    ]
    table(
        "Circuit breakers",
        ["key", "state", "failures", "opened", "reason"],
        rows,
        keep=["key"],
        flex=["reason"],
    )


@app.command("incidents")
def incidents(
    experiment: Annotated[
        str | None,
        typer.Option(help="Only this experiment.", autocompletion=complete.experiments),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Incidents opened by rolled-back rollouts, with their evidence (--json)."""
    params = {"experiment": experiment} if experiment else {}
    with client_session(as_json) as client:
        items = client.request("GET", "/api/v1/incidents", params=params)["items"]
    if as_json:
        emit_json(items)
        return
    rows = [
        (i["id"], i["rollout"], i["experiment"], i["status"], i["opened_at"], i["title"])
        for i in items
    ]
    table(
        "Incidents",
        ["id", "rollout", "experiment", "status", "opened", "title"],
        rows,
        keep=["id", "rollout", "experiment"],
        flex=["title"],
    )


@controller_app.command("run")
def run(
    interval: Annotated[
        float | None, typer.Option(help="Seconds between ticks (SLUICE_CONTROLLER_INTERVAL).")
    ] = None,
    lease: Annotated[
        float | None, typer.Option(help="Lease seconds (SLUICE_CONTROLLER_LEASE).")
    ] = None,
) -> None:
    """Run the rollout controller until SIGTERM/SIGINT; one replica leads, the rest stand by.

    Does not migrate: prepare the database first (`sluice init` or one `sluice serve`).
    """
    import logging
    import signal

    from sluicegate.bootstrap import Settings, build
    from sluicegate.controller import Controller

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with guard(False):
        container = build(Settings.from_env())
    tick = interval if interval is not None else container.settings.controller_interval_seconds
    controller = Controller(container, interval=tick if tick > 0 else 5.0, lease_seconds=lease)
    signal.signal(signal.SIGTERM, lambda *_: controller.stop_soon())
    err.print(f"controller {controller.holder} running (tick {controller.interval:g} s)")
    controller.start()
    try:
        _report_role(controller)
    except KeyboardInterrupt:
        controller.stop()
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    finally:
        controller.stop()
        container.close()


def _report_role(controller: Controller) -> None:
    """Say whether this replica leads or stands by (and for whom), now and on every change,
    until the controller's thread ends. The lease row is the truth: read it, do not guess."""
    import threading

    name = controller.engine.settings.lease_name
    deps = controller.container.deps
    thread = next(t for t in threading.enumerate() if t.name == "rollout-controller")
    last: tuple[str, str] | None = None
    poll = min(controller.interval, 1.0)
    while thread.is_alive():
        with deps.uow(readonly=True) as uow:
            held = uow.leases.get(name)
        # A released or expired lease (holder "" or an expiry in the past) has no leader.
        live = held is not None and bool(held[0]) and held[1] > deps.clock.now()
        if held is not None and live and held[0] == controller.holder:
            now = ("leading", f"leading (holds the lease {name!r})")
        elif held is not None and live:
            now = (
                held[0],
                f"standing by; {held[0]} leads until {held[1].isoformat()} unless it renews",
            )
        else:
            now = ("", "standing by; no replica holds the lease yet")
        if last is None or now[0] != last[0]:
            err.print(f"controller {controller.holder}: {now[1]}")
            last = now
        thread.join(poll)
