"""sem_ver parsing and precedence, against flagd's normalisation and the semver package."""

from __future__ import annotations

import pytest
import semver

from sluicegate.flags.versions import SEMVER_OPERATORS, parse_version

ORDERED = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.2.0",
    "2.0.0",
]


def test_precedence_follows_semver_2() -> None:
    parsed = [parse_version(v) for v in ORDERED]
    assert all(p is not None for p in parsed)
    assert parsed == sorted(parsed)  # type: ignore[type-var]
    for a in ORDERED:
        for b in ORDERED:
            expected = semver.Version.parse(a).compare(b)
            assert (parse_version(a) < parse_version(b)) == (expected < 0)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("v1.0.0", "1.0.0"), ("V2", "2.0.0"), ("1.2", "1.2.0"), (3, "3.0.0"), ("1.0.0+b.7", "1.0.0")],
)
def test_lenient_inputs_are_normalised(raw: object, normal: str) -> None:
    assert parse_version(raw) == parse_version(normal)


@pytest.mark.parametrize("raw", ["", "1.0.0.0", "01.0.0", "x", None, True, "1.0.0-", "1.0.0-01"])
def test_invalid_versions(raw: object) -> None:
    assert parse_version(raw) is None


def test_operators() -> None:
    v = parse_version
    assert SEMVER_OPERATORS["^"](v("1.9.3"), v("1.0.0"))  # type: ignore[arg-type]
    assert not SEMVER_OPERATORS["^"](v("2.0.0"), v("1.0.0"))  # type: ignore[arg-type]
    assert SEMVER_OPERATORS["~"](v("1.2.9"), v("1.2.0"))  # type: ignore[arg-type]
    assert not SEMVER_OPERATORS["~"](v("1.3.0"), v("1.2.0"))  # type: ignore[arg-type]
    assert SEMVER_OPERATORS["!="](v("1.0.0-rc.1"), v("1.0.0"))  # type: ignore[arg-type]
    assert SEMVER_OPERATORS["="](v("1.0.0+x"), v("1.0.0+y"))  # type: ignore[arg-type]
