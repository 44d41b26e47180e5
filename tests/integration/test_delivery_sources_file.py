"""The webhook sources file (``SLUICE_DELIVERY_SOURCES``): private, every bad entry named by
its path, secrets from the file, the environment or a side file, and re-read when it changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sluicegate.adapters.delivery_sources import InvalidSources, SourcesFile, load_sources
from sluicegate.domain.delivery.sources import SourceKind
from sluicegate.domain.errors import Unavailable

SECRET = "0123456789abcdef-secret"


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def fields(exc: pytest.ExceptionInfo[InvalidSources]) -> set[str]:
    return {e.field for e in exc.value.errors}


def test_a_missing_file_is_no_sources(tmp_path: Path) -> None:
    assert load_sources(tmp_path / "nope.yaml") == {}


def test_sources_load_with_their_rules(tmp_path: Path) -> None:
    side = write(tmp_path / "gl.secret", SECRET + "\n")
    path = write(
        tmp_path / "s.yaml",
        f"""
sources:
  github-acme:
    kind: github
    secret: {SECRET}
    services: {{acme/shop: checkout}}
    environments: {{prod: production}}
    deploy_workflows: [Deploy]
  gitlab:
    kind: gitlab
    secret_file: {side.name}
  ado:
    kind: azure-devops
    secret_env: ADO_SECRET
    username: sluice
""",
    )
    found = load_sources(path, {"ADO_SECRET": SECRET + "-ado"})
    assert set(found) == {"github-acme", "gitlab", "ado"}
    gh = found["github-acme"]
    assert gh.rules.kind is SourceKind.GITHUB
    assert gh.rules.service("acme/shop") == "checkout"
    assert gh.rules.service("acme/search") == "search"
    assert gh.rules.environment("prod") == "production"
    assert gh.rules.environment("staging") == "staging"
    assert gh.rules.deploy_workflows == frozenset({"Deploy"})
    assert found["gitlab"].secret == SECRET
    assert found["ado"].secret == SECRET + "-ado"
    assert found["ado"].username == "sluice"


def test_a_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.yaml", f"sources: {{a: {{kind: github, secret: {SECRET}}}}}\n", 0o644
    )
    with pytest.raises(InvalidSources) as exc:
        load_sources(path)
    assert fields(exc) == {"file"}
    assert SECRET not in str(exc.value)


def test_every_bad_entry_is_named_by_its_path(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.yaml",
        f"""
sources:
  Bad Name: {{kind: github, secret: {SECRET}}}
  nokind: {{secret: {SECRET}}}
  short: {{kind: gitlab, secret: abc}}
  two: {{kind: gitlab, secret: {SECRET}, secret_env: X}}
  noenv: {{kind: gitlab, secret_env: NOT_SET_ANYWHERE}}
  typo: {{kind: github, secret: {SECRET}, servics: {{}}}}
  lists: {{kind: github, secret: {SECRET}, deploy_workflows: Deploy, services: [a]}}
  user: {{kind: github, secret: {SECRET}, username: me}}
  nofile: {{kind: github, secret_file: missing.secret}}
""",
    )
    with pytest.raises(InvalidSources) as exc:
        load_sources(path, {})
    assert fields(exc) == {
        "sources.Bad Name",
        "sources.nokind.kind",
        "sources.short.secret",
        "sources.two.secret",
        "sources.noenv.secret_env",
        "sources.typo.servics",
        "sources.lists.deploy_workflows",
        "sources.lists.services",
        "sources.user.username",
        "sources.nofile.secret_file",
    }
    assert SECRET not in str(exc.value) + "".join(e.reason for e in exc.value.errors)


def test_a_side_file_others_can_read_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "x.secret", SECRET, 0o640)
    path = write(tmp_path / "s.yaml", "sources: {a: {kind: github, secret_file: x.secret}}\n")
    with pytest.raises(InvalidSources) as exc:
        load_sources(path)
    assert fields(exc) == {"sources.a.secret_file"}


@pytest.mark.parametrize("text", ["[1, 2]", "other: 1", "sources: [a]", "sources: {a: 1}", "{"])
def test_a_malformed_file_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(InvalidSources):
        load_sources(write(tmp_path / "s.yaml", text))


def test_the_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", f"sources: {{a: {{kind: github, secret: {SECRET}}}}}\n")
    sources = SourcesFile(path)
    assert sources.find("a") is not None
    assert sources.find("b") is None
    write(path, f"sources: {{b: {{kind: gitlab, secret: {SECRET}xx}}}}\n")
    os.utime(path, ns=(1, 1))  # a different mtime even on a coarse clock
    assert sources.find("a") is None
    assert sources.find("b") is not None
    path.chmod(0o644)
    os.utime(path, ns=(2, 2))
    with pytest.raises(Unavailable):
        sources.find("b")
    with pytest.raises(InvalidSources):
        sources.all()
    path.unlink()
    assert sources.find("b") is None
