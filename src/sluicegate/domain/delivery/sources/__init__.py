"""Webhook payloads of delivery tools, read into delivery events (issue 13 §1).

Pure translation, no I/O: a provider's JSON body and its event name go in, the deployments,
changes and incidents it reports come out (:class:`Parsed`), or the reason it reports nothing
Sluicegate counts (``Parsed.ignored``: a ping, a pull request closed without merge, a push to
another branch, a workflow that is not a deployment). A body that claims to be a known event but
lacks a field the translation needs is a :class:`PayloadError` naming the field by its JSON path,
and nothing is stored.

One module per provider (``github``, ``gitlab``, ``azure_devops``), each with
``parse(event, payload, rules) -> Parsed``; :func:`parse` dispatches on ``rules.kind``. The
signature checks are in :mod:`.signatures`. docs/delivery.md ("Webhooks") lists what each event
becomes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sluicegate.domain.delivery.changes import Change
from sluicegate.domain.delivery.records import Deployment, Incident
from sluicegate.domain.errors import FieldError, InvalidInput

__all__ = [
    "Parsed",
    "PayloadError",
    "SourceKind",
    "SourceRules",
    "parse",
]


class SourceKind(StrEnum):
    GITHUB = "github"
    GITLAB = "gitlab"
    AZURE_DEVOPS = "azure-devops"


@dataclass(frozen=True, slots=True)
class SourceRules:
    """How one configured source's payloads map onto Sluicegate's names.

    * ``name``: the source name every event from it carries (``Deployment.source``...), and the
      ``{source}`` of its webhook URL;
    * ``services``: repository (GitHub ``owner/repo``, GitLab ``group/project``, Azure DevOps
      ``project/repo``) -> service; a repository not listed is the service named like its last
      path segment;
    * ``environments``: the provider's environment name -> Sluicegate's (``prod`` ->
      ``production``); a name not listed is kept as it is;
    * ``deploy_workflows``: the GitHub workflow names, GitLab pipeline names and Azure DevOps
      build definition names whose finished runs are deployments (to ``deploy_environment``);
      empty: such runs are ignored (GitLab deployment and GitHub deployment_status events
      report deployments themselves);
    * ``default_branch``: the branch whose pushes land changes when the payload does not say
      (GitHub says: ``repository.default_branch``).
    """

    name: str
    kind: SourceKind
    services: Mapping[str, str] = field(default_factory=dict)
    environments: Mapping[str, str] = field(default_factory=dict)
    deploy_workflows: frozenset[str] = frozenset()
    deploy_environment: str = "production"
    default_branch: str = "main"

    def service(self, repo: str) -> str:
        found = self.services.get(repo)
        return found if found is not None else repo.rstrip("/").rsplit("/", 1)[-1]

    def environment(self, name: str) -> str:
        return self.environments.get(name, name)


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one webhook delivery reports; all empty with ``ignored`` set when nothing counts."""

    deployments: tuple[Deployment, ...] = ()
    changes: tuple[Change, ...] = ()
    incidents: tuple[Incident, ...] = ()
    ignored: str | None = None


class PayloadError(InvalidInput):
    """A known event's body lacks a field, or holds one of the wrong type, that it must carry."""

    code = "invalid-webhook-payload"
    default_hint = (
        "Send the provider's own webhook body unchanged; docs/delivery.md lists the fields "
        "each event needs."
    )

    @classmethod
    def at(cls, path: str, reason: str) -> PayloadError:
        return cls(f"webhook payload: {path}: {reason}", errors=[FieldError(path, reason)])


def parse(event: str, payload: Mapping[str, Any], rules: SourceRules) -> Parsed:
    """The events in ``payload`` (the provider's event name in ``event``, "" when it has none)."""
    from sluicegate.domain.delivery.sources import azure_devops, github, gitlab

    match rules.kind:
        case SourceKind.GITHUB:
            return github.parse(event, payload, rules)
        case SourceKind.GITLAB:
            return gitlab.parse(event, payload, rules)
        case SourceKind.AZURE_DEVOPS:
            return azure_devops.parse(event, payload, rules)
