"""Webhook signature checks (issue 13 §5): each provider's scheme accepts its own proof and
refuses every near miss."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from sluicegate.domain.delivery.sources import SourceKind, SourceRules
from sluicegate.domain.delivery.sources.signatures import WebhookSource, signature_valid

SECRET = "s3cret-s3cret-s3cret"
BODY = b'{"zen": "Design for failure."}'


def _source(kind: SourceKind, username: str | None = None) -> WebhookSource:
    return WebhookSource(SourceRules("src", kind), SECRET, username)


def _github_sig(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_github_accepts_the_hmac_of_the_exact_body() -> None:
    src = _source(SourceKind.GITHUB)
    assert signature_valid(src, {"x-hub-signature-256": _github_sig(BODY)}, BODY)
    upper = "sha256=" + _github_sig(BODY).split("=", 1)[1].upper()
    assert signature_valid(src, {"x-hub-signature-256": upper}, BODY)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(),
        _github_sig(BODY + b" "),
        _github_sig(BODY, "another-secret-value"),
        _github_sig(BODY).replace("sha256=", ""),
        "sha256=" + "é" * 64,
    ],
)
def test_github_refuses_every_other_signature(header: str | None) -> None:
    headers = {} if header is None else {"x-hub-signature-256": header}
    assert not signature_valid(_source(SourceKind.GITHUB), headers, BODY)


def test_github_signature_covers_the_body() -> None:
    src = _source(SourceKind.GITHUB)
    assert not signature_valid(src, {"x-hub-signature-256": _github_sig(BODY)}, b'{"zen": 1}')


def test_gitlab_compares_the_token() -> None:
    src = _source(SourceKind.GITLAB)
    assert signature_valid(src, {"x-gitlab-token": SECRET}, BODY)
    for wrong in ("", SECRET + "x", SECRET[:-1], SECRET.upper(), "ünï"):
        assert not signature_valid(src, {"x-gitlab-token": wrong}, BODY)
    assert not signature_valid(src, {}, BODY)
    # a GitHub-style signature does not pass a GitLab source
    assert not signature_valid(src, {"x-hub-signature-256": _github_sig(BODY)}, BODY)


def test_azure_devops_checks_basic_authentication() -> None:
    src = _source(SourceKind.AZURE_DEVOPS)
    assert signature_valid(src, {"authorization": _basic("anyone", SECRET)}, BODY)
    named = _source(SourceKind.AZURE_DEVOPS, username="sluice")
    assert signature_valid(named, {"authorization": _basic("sluice", SECRET)}, BODY)
    assert not signature_valid(named, {"authorization": _basic("other", SECRET)}, BODY)
    for header in (
        _basic("sluice", SECRET + "x"),
        "Basic not-base64!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Bearer " + SECRET,
        "Basic ",
        "",
    ):
        assert not signature_valid(named, {"authorization": header}, BODY)


def test_the_secret_is_not_in_the_repr() -> None:
    assert SECRET not in repr(_source(SourceKind.GITHUB))
