"""Admin commands that work on the local installation: ``init``, ``serve`` and ``demo``."""

from __future__ import annotations

import getpass
import os
from typing import TYPE_CHECKING, Annotated

import typer

from sluicegate.cli.common import JsonOpt, guard
from sluicegate.cli.output import emit_json, err, out

if TYPE_CHECKING:
    from sluicegate.controller import Controller

__all__ = ["demo", "init", "serve"]


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
) -> None:
    """Migrate the database if needed and serve the API."""
    from sluicegate.bootstrap import Settings, prepare

    with guard(False):
        settings = Settings.from_env()
        container = prepare(settings)
    _run(container, host or settings.host, port or settings.port)


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


def _run(container: object, host: str, port: int) -> None:
    import uvicorn

    from sluicegate.api.app import create_app
    from sluicegate.bootstrap import Container

    assert isinstance(container, Container)
    controller = _start_controller(container)
    try:
        uvicorn.run(create_app(container), host=host, port=port, log_level="info")
    finally:
        if controller is not None:
            controller.stop()
        container.close()


def demo(
    host: Annotated[str | None, typer.Option(help="Interface (SLUICE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (SLUICE_PORT).")] = None,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Load the demo data, print the token and exit.")
    ] = False,
) -> None:
    """``make run``: initialise on first start, load demo data, print URL and token, serve."""
    from sluicegate.bootstrap import Settings, prepare
    from sluicegate.service.access import identity
    from sluicegate.service.context import RequestContext
    from sluicegate.service.demo import load_demo, load_rollout_demo

    rollout_ids: list[str] = []
    with guard(False):
        settings = Settings.from_env()
        if "SLUICE_CONTROLLER_INTERVAL" not in os.environ:
            settings = settings.model_copy(update={"controller_interval_seconds": 2.0})
        container = prepare(settings)
        deps = container.deps
        with deps.uow(readonly=True) as uow:
            fresh = uow.users.count() == 0
        if fresh:
            _admin, issued = identity.init_admin(deps, "admin", "Demo Admin")
            principal = identity.authenticate(deps, issued.secret)
            load_demo(deps, RequestContext(principal, request_id="demo-seed"))
            rollout_ids = load_rollout_demo(deps, RequestContext(principal, request_id="demo-seed"))
        else:
            # Whoever can open the database is trusted locally; the new token is audited.
            issued = identity.issue_local_token(deps, "admin", "make run (demo)")
    h, p = host or settings.host, port or settings.port
    out.print(f"Sluicegate demo {'initialised' if fresh else 'ready'}: {settings.url}")
    out.print(f"  URL:         http://{h}:{p}/api/v1/docs")
    out.print(f"  admin token: {issued.secret}")
    out.print(
        f"  try:         SLUICE_URL=http://{h}:{p} SLUICE_TOKEN=<token> sluice experiment list"
    )
    for rollout_id in rollout_ids:
        out.print(
            f"  watch:       SLUICE_URL=http://{h}:{p} SLUICE_TOKEN=<token> "
            f"sluice rollout status --watch {rollout_id}"
        )
    if not no_serve:
        _run(container, h, p)
    else:
        container.close()
