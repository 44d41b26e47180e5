"""Admin commands that work on the local installation: ``init``, ``serve`` and ``demo``."""

from __future__ import annotations

import getpass
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, guard
from sluicegate.cli.exits import ExitCode
from sluicegate.cli.output import CliError, emit_json, err, out

if TYPE_CHECKING:
    from sluicegate.bootstrap import Settings
    from sluicegate.controller import Controller
    from sluicegate.service.context import Deps, RequestContext

__all__ = ["DEMO_TOKEN_FILE", "admin_app", "admin_token", "demo", "init", "serve"]


def init(
    admin: Annotated[str, typer.Option(help="Username of the first admin.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Create the schema, the audit signing key and the first admin; print its token once."""
    from sluicegate.bootstrap import Settings, prepare
    from sluicegate.service.access.identity import init_admin

    username = admin or _default_admin()
    with guard(as_json):
        settings = Settings.from_env()
        container = prepare(settings)
        try:
            user, issued = init_admin(container.deps, username, username)
        finally:
            container.close()
    if as_json:
        emit_json(
            {
                "user": user.username,
                "token": issued.secret,
                "token_id": issued.record.id,
                "database": settings.url,
                "audit_key_file": str(settings.key_file),
            }
        )
        return
    out.print(issued.secret)
    err.print(
        f"initialised {settings.url}; admin {user.username!r}. The line above is the admin "
        "token: store it now, it is not shown again."
    )


def _default_admin() -> str:
    try:
        name = getpass.getuser().lower()
    except (KeyError, OSError):
        name = "admin"
    cleaned = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in name).strip("-")
    return cleaned if len(cleaned) >= 2 else "admin"


def serve(
    host: Annotated[str | None, typer.Option(help="Interface (SLUICE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (SLUICE_PORT).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Server processes (SLUICE_WORKERS; default 1)."),
    ] = None,
) -> None:
    """Migrate the database if needed and serve the API.

    With --workers N the API runs in N processes on one port. This process migrates, runs the
    rollout controller and supervises them; one worker at a time runs the background jobs.
    """
    from sluicegate.bootstrap import Settings, prepare

    with guard(False):
        settings = Settings.from_env()
        container = prepare(settings)
    _run(container, host or settings.host, port or settings.port, workers or settings.workers)


def _start_controller(container: object) -> Controller | None:
    """The rollout controller in-process (SLUICE_CONTROLLER_INTERVAL > 0); it takes the lease,
    so several servers on one database still run one active controller."""
    from sluicegate.bootstrap import Container
    from sluicegate.controller import Controller

    assert isinstance(container, Container)
    if container.settings.controller_interval_seconds <= 0:
        return None
    controller = Controller(container)
    controller.start()
    return controller


def _run(container: object, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from sluicegate.api.app import create_app
    from sluicegate.bootstrap import Container

    assert isinstance(container, Container)
    controller = _start_controller(container)
    access_log = container.settings.access_log
    try:
        if workers > 1:
            # Each worker builds its own app from the same SLUICE_* environment (the database is
            # migrated above, so they never race to).
            uvicorn.run(
                "sluicegate.api.app:create_app_from_env",
                factory=True,
                workers=workers,
                host=host,
                port=port,
                log_level="info",
                access_log=access_log,
            )
        else:
            uvicorn.run(
                create_app(container), host=host, port=port, log_level="info", access_log=access_log
            )
    finally:
        if controller is not None:
            controller.stop()
        container.close()


#: Where ``make run`` keeps the demo admin's token (mode 0600), so restarts reuse it.
DEMO_TOKEN_FILE = "demo-admin-token"  # noqa: S105 - a file name, not a secret
_DEMO_TOKEN_NAME = "make run (demo)"  # noqa: S105 - a token label, not a secret


def _demo_policy_dir() -> Path | None:
    """The repository's example Rego bundle, which ``make run`` runs from (None if absent)."""
    root = Path(__file__).resolve().parents[3]
    candidate = root / "examples" / "policies"
    return candidate if (candidate / "data.json").is_file() else None


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` created 0600 (never world-readable, not even briefly)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def _demo_token(deps: Deps, home: Path) -> str:
    """The demo admin's token: the stored one while it still works, else a new one.

    A new token replaces the stored one, and the token it replaces is revoked (audited), so
    restarts never pile up live admin tokens.
    """
    from sluicegate.domain.errors import Unauthenticated
    from sluicegate.service.access import identity
    from sluicegate.service.context import RequestContext

    path = home / DEMO_TOKEN_FILE
    previous = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
    if previous:
        try:
            identity.authenticate(deps, previous)
        except Unauthenticated:
            pass
        else:
            return previous
    issued = identity.issue_local_token(deps, "admin", _DEMO_TOKEN_NAME)
    ctx = RequestContext(identity.authenticate(deps, issued.secret), request_id="demo")
    for token in identity.list_tokens(deps, ctx, "admin"):
        if (
            token.name == _DEMO_TOKEN_NAME
            and token.id != issued.record.id
            and token.revoked_at is None
        ):
            identity.revoke_token(deps, ctx, token.id, "replaced by make run")
    _write_private(path, issued.secret + "\n")
    return issued.secret


class _DemoRounds:
    """Keeps the rollout demo alive: a new round (a healthy and a failing canary) every
    ``every`` seconds, once the previous round's rollouts have all ended."""

    def __init__(self, deps: Deps, admin: RequestContext, first: list[str], every: float) -> None:
        self._deps, self._admin, self._every = deps, admin, every
        self._current = first
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-rounds", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        from sluicegate.errors import SluicegateError
        from sluicegate.service.demo import demo_round, round_finished

        log = logging.getLogger("sluicegate.demo")
        round_no = self._next_round()
        while not self._stop.wait(self._every):
            try:
                if self._current and not round_finished(self._deps, self._admin, self._current):
                    continue
                self._current = demo_round(self._deps, self._admin, round_no)
                log.info("demo round %d started: rollouts %s", round_no, ", ".join(self._current))
                round_no += 1
            except SluicegateError as exc:
                # The newcomer may have moved the demo's experiments on; say so and keep going.
                log.warning("demo round %d not started: %s", round_no, exc.message)
                round_no += 1

    def _next_round(self) -> int:
        from sluicegate.service import experiments

        keys = {e.key for e in experiments.list_queue(self._deps, self._admin)}
        n = 2
        while f"search-semantic-{n}" in keys:
            n += 1
        return n


def _print_banner(
    settings: Settings,
    fresh: bool,
    token: str,
    url: str,
    rollout_ids: list[str],
    round_seconds: float,
) -> None:
    """What ``make run`` prints: every line a newcomer can paste as it stands."""
    token_file = settings.home / DEMO_TOKEN_FILE
    lines = [
        f"Sluicegate demo {'initialised' if fresh else 'ready'}: {settings.url}",
        f"  URL:         {url}/",
        f"  API docs:    {url}/api/v1/docs",
        f"  admin token: {token}  (kept in {token_file}, mode 0600)",
    ]
    if settings.policy_dir is not None:
        lines.append(f"  policies:    {settings.policy_dir}")
    lines += [
        "  in another terminal, from this directory:",
        f"    export SLUICE_URL={url} SLUICE_TOKEN=$(cat {token_file})",
        "    .venv/bin/sluice experiment list",
    ]
    lines += [f"    .venv/bin/sluice rollout status --watch {rid}" for rid in rollout_ids]
    if round_seconds > 0:
        lines.append(
            f"  a new healthy and a new failing canary start every {round_seconds:g} s "
            "(`.venv/bin/sluice rollout list`)"
        )
    for line in lines:
        out.print(line, markup=False, highlight=False)


def demo(
    host: Annotated[str | None, typer.Option(help="Interface (SLUICE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (SLUICE_PORT).")] = None,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Load the demo data, print the token and exit.")
    ] = False,
    round_seconds: Annotated[
        float,
        typer.Option(
            help="How often a new pair of demo canaries starts once the last pair has ended "
            "(0: only the first pair)."
        ),
    ] = 180.0,
) -> None:
    """`make run`: initialise on first start, load demo data, print URL and token, serve."""
    from sluicegate.bootstrap import Settings, prepare
    from sluicegate.service.access import identity
    from sluicegate.service.context import RequestContext
    from sluicegate.service.demo import demo_round, load_demo

    rollout_ids: list[str] = []
    with guard(False):
        settings = Settings.from_env()
        changes: dict[str, object] = {}
        if "SLUICE_CONTROLLER_INTERVAL" not in os.environ:
            changes["controller_interval_seconds"] = 2.0
        if settings.policy_dir is None and (bundle := _demo_policy_dir()) is not None:
            changes["policy_dir"] = bundle  # policy gates evaluate instead of failing closed
        settings = settings.model_copy(update=changes)
        container = prepare(settings)
        deps = container.deps
        with deps.uow(readonly=True) as uow:
            fresh = uow.users.count() == 0
        if fresh:
            _admin, issued = identity.init_admin(deps, "admin", "Demo Admin")
            _write_private(settings.home / DEMO_TOKEN_FILE, issued.secret + "\n")
            admin = RequestContext(identity.authenticate(deps, issued.secret), request_id="demo")
            load_demo(deps, admin)
            rollout_ids = demo_round(deps, admin, 1)
            token = issued.secret
        else:
            # Whoever can open the database is trusted locally; a new token is audited.
            token = _demo_token(deps, settings.home)
            admin = RequestContext(identity.authenticate(deps, token), request_id="demo")
    h, p = host or settings.host, port or settings.port
    _print_banner(settings, fresh, token, f"http://{h}:{p}", rollout_ids, round_seconds)
    if no_serve:
        container.close()
        return
    rounds = None
    if round_seconds > 0 and settings.controller_interval_seconds > 0:
        rounds = _DemoRounds(deps, admin, rollout_ids, round_seconds)
        rounds.start()
    try:
        _run(container, h, p)
    finally:
        if rounds is not None:
            rounds.stop()


def admin_token(
    user: Annotated[str, typer.Option(help="The user the token is for.")] = "admin",
    local: Annotated[
        bool,
        typer.Option(
            "--local",
            help="Required: issue the token by opening the database directly (on its host).",
        ),
    ] = False,
    name: Annotated[str, typer.Option(help="A name for the token.")] = "local recovery",
    as_json: JsonOpt = False,
) -> None:
    """Recover access: issue a token for USER from the database host, without the API.

    Whoever can open the database is trusted locally; the token is audited as `system:local`.
    """
    from sluicegate.bootstrap import Settings, build
    from sluicegate.service.access import identity

    with guard(as_json):
        if not local:
            raise CliError(
                "`sluice admin token` opens the database directly; pass --local to confirm",
                ExitCode.USAGE,
            )
        settings = Settings.from_env()
        container = build(settings)
        try:
            issued = identity.issue_local_token(container.deps, user, name)
        finally:
            container.close()
    if as_json:
        emit_json({"user": user, "token": issued.secret, "token_id": issued.record.id})
        return
    out.print(issued.secret, markup=False)
    err.print(f"token {issued.record.id} for {user!r}: store it now, it is not shown again.")


admin_app = new_app(help="Local administration on the database host (no server needed).")
admin_app.command("token")(admin_token)
