"""One catalogue of audit actions and notification event types, used everywhere (issue #9)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sluicegate
from sluicegate.domain.events import (
    NOT_NOTIFIED,
    NOTIFIED_AS,
    NOTIFIED_BY_USE_CASE,
    AuditAction,
    EventType,
)
from sluicegate.domain.notifications import EVENT_TYPES

SRC = Path(sluicegate.__file__).parent
DOCS = SRC.parents[1] / "docs"


def _calls(name: str) -> list[tuple[str, ast.Call]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                f = node.func
                called = f.id if isinstance(f, ast.Name) else getattr(f, "attr", None)
                if called == name:
                    out.append((str(path.relative_to(SRC)), node))
    return out


def test_audit_actions_are_never_string_literals() -> None:
    literal = [
        (rel, call.lineno)
        for rel, call in _calls("record")
        if len(call.args) >= 4 and isinstance(call.args[3], ast.Constant | ast.JoinedStr)
    ]
    assert literal == []


def test_notification_events_are_never_string_literals() -> None:
    literal = [
        (rel, call.lineno)
        for rel, call in _calls("enqueue")
        if len(call.args) >= 2 and isinstance(call.args[1], ast.Constant | ast.JoinedStr)
    ]
    assert literal == []


def test_every_catalogued_action_is_recorded_somewhere() -> None:
    text = "\n".join(p.read_text() for p in SRC.rglob("*.py"))
    used = set(re.findall(r"AuditAction\.([A-Z_]+)", text))
    # rollout controls are named by their verb: AuditAction(f"rollout.{verb}")
    dynamic = {"ROLLOUT_START", "ROLLOUT_PAUSE", "ROLLOUT_RESUME", "ROLLOUT_PROMOTE"}
    assert {a.name for a in AuditAction} - used - dynamic == set()


def test_the_ledger_docs_list_exactly_the_catalogue() -> None:
    doc = (DOCS / "audit-ledger.md").read_text()
    section = doc.split("## Actions", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`([a-z-]+\.[a-z-]+)`", section))
    assert listed == {a.value for a in AuditAction}


def test_the_notification_docs_list_exactly_the_event_types() -> None:
    doc = (DOCS / "notifications.md").read_text()
    table = doc.split("## Events", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z-]+\.[a-z-]+)`", table, flags=re.M))
    assert listed == {e.value for e in EventType} == set(EVENT_TYPES)


def test_every_audited_state_change_can_be_subscribed_to() -> None:
    """Issue 12 §3: each AuditAction has an event type, or an explained exemption."""
    for action in AuditAction:
        if action in NOT_NOTIFIED:
            assert action not in NOTIFIED_AS
            assert len(NOT_NOTIFIED[action].split()) >= 8, action  # an explanation, not a tag
            continue
        assert action in NOTIFIED_AS, f"{action} has no event type and no exemption"
        assert NOTIFIED_AS[action].value in EVENT_TYPES
    assert set(NOTIFIED_AS) | set(NOT_NOTIFIED) == set(AuditAction)
    # the actions whose use case sends its own notification are exactly those that enqueue it
    text = "\n".join(p.read_text() for p in SRC.rglob("*.py") if p.name != "events.py")
    enqueued = {EventType[name] for name in re.findall(r"EventType\.([A-Z_]+)", text)}
    for action in NOTIFIED_BY_USE_CASE:
        assert NOTIFIED_AS[action] in enqueued, action


def test_the_notification_docs_say_which_action_each_event_reports() -> None:
    doc = (DOCS / "notifications.md").read_text()
    table = doc.split("## Events", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z-]+\.[a-z-]+)` +\|[^|]*\| ([^|]*)\|", table, flags=re.M)
    documented = {event: set(re.findall(r"`([a-z-]+\.[a-z-]+)`", cell)) for event, cell in rows}
    for action, event in NOTIFIED_AS.items():
        assert action.value in documented.get(event.value, set()), (action, event)
    exempt = doc.split("## Events", 1)[1]
    for action in NOT_NOTIFIED:
        assert f"`{action.value}`" in exempt
