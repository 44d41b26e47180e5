"""Alertmanager webhook notifications read into delivery incidents (issue 14 §3, "Alerts in").

Pure translation, no I/O: the body of an Alertmanager ``webhook_config`` notification (payload
version 4) goes in, the :class:`~sluicegate.domain.delivery.records.Incident` reports it holds
come out, with the alerts that report nothing Sluicegate counts and why (:class:`Alerts`).

================================  ===============================================================
Alertmanager                      incident
================================  ===============================================================
``fingerprint`` and ``startsAt``  ``id``: ``<fingerprint>@<startsAt>`` (:func:`incident_id`), one
                                  firing episode of the alert (its labels' hash)
``AlertRules.source``             ``source`` (default ``alertmanager``)
first of ``AlertRules.service_    ``services`` (one); an alert with none of them is skipped with
labels`` present (``service``,    the reason, not refused
``app``, ``job``)
``labels[AlertRules.severity_     ``severity``; ``unknown`` when the label is absent
label]`` (``severity``)
``startsAt``                      ``created_at``
``endsAt`` when ``status`` is     ``resolved_at`` (a firing alert's ``endsAt`` is ignored:
``resolved``                      Alertmanager sends ``0001-01-01T00:00:00Z``, its zero time)
``annotations.sluicegate_         ``caused_by_deployment`` (the annotation wins over the label)
deployment``, else the label
``labels.change_induced``         ``change_induced``: ``true`` or ``false``
================================  ===============================================================

A body that is not version 4, or holds a field of the wrong type, is a :class:`PayloadError`
naming the field by its JSON path (``alerts.2.startsAt``), and nothing is stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sluicegate.domain.delivery.records import Incident, check_incident
from sluicegate.domain.delivery.sources import PayloadError
from sluicegate.domain.delivery.sources._fields import Node

__all__ = [
    "CHANGE_INDUCED_LABEL",
    "DEPLOYMENT_KEY",
    "UNKNOWN_SEVERITY",
    "AlertRules",
    "Alerts",
    "Skipped",
    "incident_id",
    "parse",
]

#: The annotation (or label) that names the deployment an alert blames.
DEPLOYMENT_KEY = "sluicegate_deployment"
#: The label that says whether a change caused the alert: ``true`` or ``false``.
CHANGE_INDUCED_LABEL = "change_induced"
#: The severity of an alert without the severity label.
UNKNOWN_SEVERITY = "unknown"

MAX_NAME = 200
MAX_SEVERITY = 32
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_STATUSES = ("firing", "resolved")
_BOOLEANS: Mapping[str, bool] = {"true": True, "false": False}


@dataclass(frozen=True, slots=True)
class AlertRules:
    """How alerts map onto incidents: the source name, and the labels to read."""

    source: str = "alertmanager"
    service_labels: tuple[str, ...] = ("service", "app", "job")
    severity_label: str = "severity"


@dataclass(frozen=True, slots=True)
class Skipped:
    """An alert that reports no incident, and why."""

    fingerprint: str
    alertname: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Alerts:
    """What one notification reports."""

    status: str
    receiver: str | None
    group_key: str | None
    truncated: int
    incidents: tuple[Incident, ...] = ()
    skipped: tuple[Skipped, ...] = ()


def _strings(node: Node, key: str, *, required: bool = False) -> Mapping[str, str]:
    """A JSON object of string values (labels, annotations), empty when absent."""
    if required and key not in node.data:
        raise PayloadError.at(node.at(key), "missing")
    found = node.opt_obj(key)
    if found is None:
        if required:
            raise PayloadError.at(node.at(key), "must be an object, not null")
        return {}
    for name, value in found.data.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise PayloadError.at(found.at(str(name)), "must be a string")
    return found.data


def _printable(value: str, path: str, limit: int) -> str:
    if not value.strip() or len(value) > limit or _CONTROL.search(value):
        raise PayloadError.at(path, f"must be 1-{limit} printable characters")
    return value


def _time(node: Node, key: str) -> datetime | None:
    """A time, or None for Alertmanager's zero time (``0001-01-01T00:00:00Z``)."""
    value = node.time(key)
    return None if value.year == 1 else value


def _status(node: Node, key: str) -> str:
    value = node.text(key)
    if value not in _STATUSES:
        raise PayloadError.at(node.at(key), f"must be firing or resolved, not {value[:40]!r}")
    return value


def _alert(item: Node, rules: AlertRules) -> Incident | Skipped:
    status = _status(item, "status")
    labels = _strings(item, "labels", required=True)
    annotations = _strings(item, "annotations")
    labels_path = item.at("labels")
    fingerprint = _printable(item.text("fingerprint"), item.at("fingerprint"), MAX_NAME)
    item.opt_text("generatorURL")
    created_at = _time(item, "startsAt")
    if created_at is None:
        raise PayloadError.at(item.at("startsAt"), "is Alertmanager's zero time, not a time")
    ends_at = item.opt_time("endsAt")
    resolved_at = None
    if status == "resolved":
        resolved_at = None if ends_at is None or ends_at.year == 1 else ends_at
        if resolved_at is None:
            raise PayloadError.at(item.at("endsAt"), "a resolved alert carries when it ended")
    service_label = next((n for n in rules.service_labels if labels.get(n, "").strip()), None)
    if service_label is None:
        tried = ", ".join(rules.service_labels) or "none configured"
        return Skipped(fingerprint, labels.get("alertname"), f"no service label ({tried})")
    service_path = f"{labels_path}.{service_label}"
    service = _printable(labels[service_label], service_path, MAX_NAME)
    severity = labels.get(rules.severity_label, "").strip() or UNKNOWN_SEVERITY
    _printable(severity, f"{labels_path}.{rules.severity_label}", MAX_SEVERITY)
    deployment, deployment_path = annotations.get(DEPLOYMENT_KEY), item.at("annotations")
    if not (deployment or "").strip():
        deployment, deployment_path = labels.get(DEPLOYMENT_KEY), labels_path
    if deployment is not None and not deployment.strip():
        deployment = None
    if deployment is not None:
        _printable(deployment, f"{deployment_path}.{DEPLOYMENT_KEY}", MAX_NAME)
    induced_text = labels.get(CHANGE_INDUCED_LABEL)
    induced = None
    if induced_text is not None:
        induced = _BOOLEANS.get(induced_text.strip().lower())
        if induced is None:
            raise PayloadError.at(f"{labels_path}.{CHANGE_INDUCED_LABEL}", "must be true or false")
    incident = Incident(
        source=rules.source,
        id=incident_id(fingerprint, created_at),
        services=(service,),
        severity=severity,
        created_at=created_at,
        resolved_at=resolved_at,
        caused_by_deployment=deployment,
        change_induced=induced,
    )
    paths = {
        "created_at": item.at("startsAt"),
        "resolved_at": item.at("endsAt"),
        "services": service_path,
    }
    errors = check_incident(incident)
    if errors:
        first = errors[0]
        raise PayloadError.at(paths.get(first.field, item.path), first.reason)
    return incident


def parse(payload: object, rules: AlertRules) -> Alerts:
    """The incidents an Alertmanager notification (webhook payload version 4) reports."""
    root = Node.root(payload)
    version = root.data.get("version")
    if version != "4":
        shown = "missing" if "version" not in root.data else f"{str(version)[:20]!r}"
        raise PayloadError.at("version", f"must be '4' (Alertmanager's payload), not {shown}")
    status = _status(root, "status") if "status" in root.data else "firing"
    receiver = root.opt_text("receiver")
    group_key = root.opt_text("groupKey")
    root.opt_text("externalURL")
    for key in ("groupLabels", "commonLabels", "commonAnnotations"):
        _strings(root, key)
    truncated = root.opt_integer("truncatedAlerts") or 0
    incidents: list[Incident] = []
    skipped: list[Skipped] = []
    for item in root.objects("alerts", required=True):
        found = _alert(item, rules)
        if isinstance(found, Incident):
            incidents.append(found)
        else:
            skipped.append(found)
    return Alerts(
        status=status,
        receiver=receiver,
        group_key=group_key,
        truncated=truncated,
        incidents=tuple(incidents),
        skipped=tuple(skipped),
    )


def incident_id(fingerprint: str, starts_at: datetime) -> str:
    """One firing episode of one alert: ``<fingerprint>@<startsAt, UTC, to the microsecond>``.

    Alertmanager keeps ``startsAt`` while an alert fires (its re-sends are the same incident)
    and gives an alert that fires again after it resolved a new one (a new incident).
    """
    return f"{fingerprint}@{starts_at.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}"
