"""Azure DevOps service hook deliveries (no event header: the body's ``eventType`` says it).

Repositories are named ``{project}/{repository}`` (``rules.services`` keys); a GitHub repository
built by Azure Pipelines keeps its own ``owner/repo`` name.

What each ``eventType`` becomes:

* ``ms.vss-release.deployment-completed-event``: a deployment ``{project}/deployments/{id}`` of
  ``resource.deployment``. ``deploymentStatus`` ``succeeded`` -> success, ``failed`` and
  ``partiallySucceeded`` -> failure, ``canceled`` -> cancelled (``notDeployed`` and the rest
  are ignored); from ``startedOn`` (``queuedOn`` if it never started) to ``completedOn``; to
  ``resource.environment.name``. Its service is ``rules.service`` of
  ``{project}/{release definition name}`` (a release definition is not a repository, so that is
  the key to list in ``rules.services``). Its revisions are the release artifacts that name a
  commit: a Build artifact's ``definitionReference.sourceVersion.id`` in its
  ``definitionReference.repository`` (else ``{project}/{alias}``), a Git or GitHub artifact's
  ``version.id`` in its ``definition``; a version that is no sha (a build number, a TFVC
  changeset) names none, and a release with no commit at all is ignored.
* ``build.complete``: a build of a definition in ``rules.deploy_workflows`` is a deployment
  ``{project}/builds/{id}`` to ``rules.deploy_environment``: ``result`` ``succeeded`` ->
  success, ``failed`` and ``partiallySucceeded`` -> failure, ``canceled`` -> cancelled
  (``none`` ignored), from ``startTime`` to ``finishTime``, revision ``sourceVersion`` in
  ``resource.repository``. Other definitions are ignored.
* ``git.pullrequest.merged`` and ``git.pullrequest.updated``: a ``completed`` pull request is a
  change ``{project}/{repo}!{pullRequestId}`` opened at ``creationDate``, merged at
  ``closedDate`` as ``lastMergeCommit.commitId``, with its active labels. "merged" also fires
  when a merge commit is only created to preview the merge, so any other status is ignored.
  Reviewers' votes (10 approved, -10 rejected) carry no time, so they are not read as reviews.
* ``git.push``: a push that updates the default branch (``repository.defaultBranch``, else
  ``rules.default_branch``): one commit change per ``commits[]`` entry, authored at
  ``author.date`` and merged at the push ``date`` (or at the commit's own time if later). The
  payload lists the push's commits, not each ref's, so a push that also updates other refs
  lands them all.
* anything else is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sluicegate.domain.delivery.changes import Change, ChangeKind
from sluicegate.domain.delivery.records import Deployment, DeploymentStatus, Revision
from sluicegate.domain.delivery.sources import Parsed, PayloadError, SourceRules
from sluicegate.domain.delivery.sources._fields import (
    Node,
    checked,
    clean_title,
    first_line,
    labels,
    pushed_commits,
    revert_of_commit,
)

__all__ = ["parse"]

_RESULTS: Mapping[str, DeploymentStatus | None] = {
    "succeeded": DeploymentStatus.SUCCESS,
    "failed": DeploymentStatus.FAILURE,
    "partiallySucceeded": DeploymentStatus.FAILURE,
    "canceled": DeploymentStatus.CANCELLED,
    "cancelled": DeploymentStatus.CANCELLED,
    "none": None,
    "notDeployed": None,
    "inProgress": None,
    "undefined": None,
    "all": None,
}
_NO_COMMIT = "0" * 40
_NO_DATE = "0001-01-01T00:00:00"
_SHA = re.compile(r"[0-9a-fA-F]{7,64}")


def parse(event: str, payload: Mapping[str, Any], rules: SourceRules) -> Parsed:
    """The events in one Azure DevOps delivery.

    Service hooks send no event header: the body's ``eventType`` names the event, and
    ``event`` is only read when the body has none.
    """
    body = Node.root(payload)
    event_type = body.opt_text("eventType") or event
    if not event_type:
        raise PayloadError.at("eventType", "missing")
    handler = _HANDLERS.get(event_type)
    if handler is None:
        return Parsed(ignored=f"event {event_type!r} is not read")
    return handler(body, rules)


def _repo_name(project: str, repository: Node) -> str:
    """``{project}/{name}`` of an Azure Repos repository; a GitHub one's own ``owner/repo``."""
    name = repository.opt_text("name") or repository.text("id")
    return name if repository.opt_text("type") == "GitHub" else f"{project}/{name}"


def _artifact_revision(project: str, artifact: Node) -> Revision | None:
    """The commit a release artifact was built from (Build) or is (Git, GitHub), if it names one.

    A version that is not a commit sha (a build number, a TFVC changeset) names none.
    """
    kind = artifact.opt_text("type")
    ref = artifact.opt_obj("definitionReference")
    version = (
        None if ref is None else ref.opt_obj("sourceVersion" if kind == "Build" else "version")
    )
    if ref is None or version is None:
        return None
    sha = version.opt_text("id")
    if sha is None or not _SHA.fullmatch(sha):
        return None
    holder = ref.opt_obj("repository" if kind == "Build" else "definition")
    name = None if holder is None else holder.opt_text("name")
    if name is None:
        return Revision(f"{project}/{artifact.text('alias')}", sha.lower())
    return Revision(name if kind == "GitHub" else f"{project}/{name}", sha.lower())


def _started(deployment: Node) -> datetime:
    """``startedOn``, else ``queuedOn`` for a deployment that never started (Azure DevOps
    writes "0001-01-01T00:00:00", its empty date, or null)."""
    raw = deployment.data.get("startedOn")
    if raw is None or (isinstance(raw, str) and raw.startswith(_NO_DATE)):
        return deployment.time("queuedOn")
    return deployment.time("startedOn")


def _release_deployment(body: Node, rules: SourceRules) -> Parsed:
    resource = body.obj("resource")
    deployment = resource.obj("deployment")
    status = deployment.choice("deploymentStatus", _RESULTS)
    if status is None:
        return Parsed(
            ignored=f"release deployment {deployment.text('deploymentStatus')}: not deployed"
        )
    project = resource.obj("project").text("name")
    definition = deployment.obj("releaseDefinition").text("name")
    release = deployment.obj("release")
    revisions: dict[str, Revision] = {}
    for artifact in release.objects("artifacts"):
        revision = _artifact_revision(project, artifact)
        if revision is not None:
            revisions.setdefault(revision.repo, revision)
    if not revisions:
        return Parsed(ignored="release deployment: no artifact of the release names a commit")
    key = f"{project}/{definition}"
    event = Deployment(
        source=rules.name,
        id=f"{project}/deployments/{deployment.ident('id')}",
        service=rules.service(key),
        environment=rules.environment(resource.obj("environment").text("name")),
        status=status,
        started_at=_started(deployment),
        finished_at=deployment.time("completedOn"),
        revisions=tuple(revisions.values()),
    )
    return checked(
        Parsed(deployments=(event,)),
        {
            "id": "resource.deployment.id",
            "service": "resource.deployment.releaseDefinition.name",
            "environment": "resource.environment.name",
            "started_at": "resource.deployment.startedOn",
            "finished_at": "resource.deployment.completedOn",
            "revisions": "resource.deployment.release.artifacts",
        },
    )


def _build(body: Node, rules: SourceRules) -> Parsed:
    resource = body.obj("resource")
    definition = resource.obj("definition").text("name")
    if definition not in rules.deploy_workflows:
        return Parsed(ignored=f"build definition {definition!r} is not a deployment")
    status = resource.choice("result", _RESULTS)
    if status is None:
        return Parsed(ignored=f"build result {resource.text('result')}: not finished")
    project = resource.obj("project").text("name")
    repo = _repo_name(project, resource.obj("repository"))
    event = Deployment(
        source=rules.name,
        id=f"{project}/builds/{resource.ident('id')}",
        service=rules.service(repo),
        environment=rules.deploy_environment,
        status=status,
        started_at=resource.time("startTime"),
        finished_at=resource.time("finishTime"),
        revisions=(Revision(repo, resource.sha("sourceVersion")),),
    )
    return checked(
        Parsed(deployments=(event,)),
        {
            "id": "resource.id",
            "service": "resource.repository.name",
            "started_at": "resource.startTime",
            "finished_at": "resource.finishTime",
            "revisions": "resource.repository.name",
        },
    )


def _pull_request(body: Node, rules: SourceRules) -> Parsed:
    resource = body.obj("resource")
    status = resource.text("status")
    if status != "completed":
        return Parsed(ignored=f"pull request {status}: only completed pull requests are read")
    repository = resource.obj("repository")
    repo = _repo_name(repository.obj("project").text("name"), repository)
    active = [
        label for label in resource.objects("labels") if label.opt_flag("active") is not False
    ]
    change = Change(
        source=rules.name,
        id=f"{repo}!{resource.integer('pullRequestId')}",
        kind=ChangeKind.PULL_REQUEST,
        repo=repo,
        authored_at=resource.time("creationDate"),
        sha=resource.obj("lastMergeCommit").sha("commitId"),
        merged_at=resource.time("closedDate"),
        labels=labels(active, "name"),
        reverts=revert_of_commit(resource.opt_text("description")),
        title=clean_title(resource.opt_text("title")),
    )
    return checked(
        Parsed(changes=(change,)),
        {
            "id": "resource.pullRequestId",
            "repo": "resource.repository.name",
            "authored_at": "resource.creationDate",
            "merged_at": "resource.closedDate",
            "reverts": "resource.description",
            "labels": "resource.labels",
        },
    )


def _push(body: Node, rules: SourceRules) -> Parsed:
    resource = body.obj("resource")
    repository = resource.obj("repository")
    default = repository.opt_text("defaultBranch") or rules.default_branch
    if not default.startswith("refs/"):
        default = f"refs/heads/{default}"
    updates = resource.objects("refUpdates", required=True)
    if not any(u.text("name") == default and u.text("newObjectId") != _NO_COMMIT for u in updates):
        return Parsed(ignored=f"push does not update the default branch {default}")
    repo = _repo_name(repository.obj("project").text("name"), repository)
    pushed_at = resource.time("date")
    commits = []
    for commit in resource.objects("commits"):
        sha = commit.sha("commitId")
        authored = commit.obj("author").time("date")
        comment = commit.opt_text("comment") or ""
        reverts, title = revert_of_commit(comment), first_line(comment)
        commits.append((commit, sha, authored, max(pushed_at, authored), reverts, title))
    if not commits:
        return Parsed(ignored="push lists no commits")
    paths = {"repo": "resource.repository.name", "reverts": "comment"}
    return pushed_commits(rules.name, repo, commits, paths)


_HANDLERS: Mapping[str, Callable[[Node, SourceRules], Parsed]] = {
    "ms.vss-release.deployment-completed-event": _release_deployment,
    "build.complete": _build,
    "git.pullrequest.merged": _pull_request,
    "git.pullrequest.updated": _pull_request,
    "git.push": _push,
}
