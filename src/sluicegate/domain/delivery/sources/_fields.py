"""Reading a webhook body by JSON path, for the provider modules (private).

Every accessor names the JSON path of what it reads in the :class:`PayloadError` it raises, so a
body of the right event type but the wrong shape (a key missing, a list where an object belongs,
a timestamp that does not parse, an id too large to be one) is a ``PayloadError`` and never a
``KeyError``, ``TypeError`` or ``ValueError``. :func:`checked` runs the records' own checks (and
the bounds the HTTP API puts on the same fields) on what a provider built, naming the JSON path
each record field came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from sluicegate.domain.delivery.changes import Change, ChangeKind, check_change
from sluicegate.domain.delivery.records import Deployment, check_deployment
from sluicegate.domain.delivery.sources import Parsed, PayloadError
from sluicegate.domain.errors import FieldError

__all__ = [
    "Node",
    "checked",
    "clean_title",
    "first_line",
    "labels",
    "parse_time",
    "pushed_commits",
    "revert_of_commit",
]

T = TypeVar("T")

#: Ids larger than a signed 64-bit integer are no provider's ids.
MAX_ID = 2**63 - 1
#: The last second of year 9999: later epochs are not times.
MAX_EPOCH = 253_402_300_799
MAX_TIME_TEXT = 64
MAX_NAME = 200
MAX_ENVIRONMENT = 64
MAX_EXPERIMENT = 64
MAX_LABEL = 100
MAX_TITLE = 500
MAX_LABELS = 50
MAX_REVIEWS = 200
MAX_COMMITS = 1000

_SHA = re.compile(r"[0-9a-fA-F]{7,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A timestamp's zone at its end: "Z", " UTC" (GitLab pipelines), "+02:00", "+0200" and GitLab's
# " +0200" (a space before the offset).
_ZONE = re.compile(
    r"(?P<body>.+?)\s*(?:(?P<utc>Z|UTC)|(?P<sign>[+-])(?P<hh>\d{2}):?(?P<mm>\d{2}))",
    re.ASCII,
)
# More than the six fractional digits datetime keeps (Azure DevOps sends seven).
_FRACTION = re.compile(r"(\.\d{6})\d+")
_REVERTS_COMMIT = re.compile(
    r"^\s*This reverts commit ([0-9a-fA-F]{7,64})\b", re.MULTILINE | re.ASCII
)


_KIND_NAMES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "a boolean"),
    ((int, float), "a number"),
    (str, "a string"),
    (Mapping, "an object"),
    ((list, tuple), "a list"),
)


def _kind(value: object) -> str:
    """How an error names what it found instead."""
    if value is None:
        return "null"
    for types, name in _KIND_NAMES:
        if isinstance(value, types):
            return name
    return type(value).__name__


def parse_time(text: str) -> datetime | None:
    """``text`` as an aware UTC datetime, or None when it is not an ISO 8601 time with a zone."""
    text = text.strip()
    if not text or len(text) > MAX_TIME_TEXT:
        return None
    m = _ZONE.fullmatch(text)
    if m is None:
        return None
    zone = "+00:00" if m["utc"] else f"{m['sign']}{m['hh']}:{m['mm']}"
    body = _FRACTION.sub(r"\1", m["body"])
    try:
        value = datetime.fromisoformat(body + zone)
        if value.utcoffset() is None:
            return None
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


class Node:
    """One JSON object of a webhook body and the path it sits at ("" for the body itself)."""

    __slots__ = ("data", "path")

    def __init__(self, data: Mapping[str, Any], path: str = "") -> None:
        self.data = data
        self.path = path

    @classmethod
    def root(cls, payload: object) -> Node:
        if not isinstance(payload, Mapping):
            raise PayloadError.at("$", f"must be a JSON object, not {_kind(payload)}")
        return cls(payload)

    def at(self, key: str) -> str:
        """The JSON path of ``key`` in this object."""
        return f"{self.path}.{key}" if self.path else key

    def _fail(self, key: str, reason: str) -> PayloadError:
        return PayloadError.at(self.at(key), reason)

    def _required(self, key: str) -> Any:
        if key not in self.data:
            raise self._fail(key, "missing")
        return self.data[key]

    def _wrong(self, key: str, expected: str, value: object) -> PayloadError:
        return self._fail(key, f"must be {expected}, not {_kind(value)}")

    # objects and lists

    def obj(self, key: str) -> Node:
        value = self._required(key)
        if not isinstance(value, Mapping):
            raise self._wrong(key, "an object", value)
        return Node(value, self.at(key))

    def opt_obj(self, key: str) -> Node | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self._wrong(key, "an object", value)
        return Node(value, self.at(key))

    def objects(self, key: str, *, required: bool = False) -> list[Node]:
        """The objects listed at ``key`` (none when it is absent or null, unless required)."""
        value = self._required(key) if required else self.data.get(key)
        if value is None and not required:
            return []
        if not isinstance(value, list):
            raise self._wrong(key, "a list", value)
        found: list[Node] = []
        for i, item in enumerate(value):
            path = f"{self.at(key)}.{i}"
            if not isinstance(item, Mapping):
                raise PayloadError.at(path, f"must be an object, not {_kind(item)}")
            found.append(Node(item, path))
        return found

    # scalars

    def text(self, key: str) -> str:
        """A non-empty string."""
        value = self._required(key)
        if not isinstance(value, str):
            raise self._wrong(key, "a string", value)
        if not value.strip():
            raise self._fail(key, "must not be empty")
        return value

    def opt_text(self, key: str) -> str | None:
        """A string, or None when absent, null or empty."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._wrong(key, "a string", value)
        return value if value.strip() else None

    def integer(self, key: str, *, low: int = 0, high: int = MAX_ID) -> int:
        value = self._required(key)
        return self._integer(key, value, low, high)

    def opt_integer(self, key: str, *, low: int = 0, high: int = MAX_ID) -> int | None:
        value = self.data.get(key)
        return None if value is None else self._integer(key, value, low, high)

    def _integer(self, key: str, value: object, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, "an integer", value)
        if not low <= value <= high:
            raise self._fail(key, f"must be between {low} and {high}")
        return value

    def ident(self, key: str) -> str:
        """An id: a non-negative integer or a non-empty string of printable characters."""
        value = self._required(key)
        if isinstance(value, str):
            if not value.strip() or len(value) > MAX_NAME or _CONTROL.search(value):
                raise self._fail(key, f"must be 1-{MAX_NAME} printable characters")
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, "an integer or a string", value)
        return str(self._integer(key, value, 0, MAX_ID))

    def flag(self, key: str) -> bool:
        value = self._required(key)
        if not isinstance(value, bool):
            raise self._wrong(key, "a boolean", value)
        return value

    def opt_flag(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self._wrong(key, "a boolean", value)
        return value

    def time(self, key: str) -> datetime:
        """An ISO 8601 time with a zone, in UTC."""
        value = self._required(key)
        if not isinstance(value, str):
            raise self._wrong(key, "an ISO 8601 time string", value)
        parsed = parse_time(value)
        if parsed is None:
            raise self._fail(key, "must be an ISO 8601 time with a zone (e.g. Z or +00:00)")
        return parsed

    def opt_time(self, key: str) -> datetime | None:
        return None if self.data.get(key) is None else self.time(key)

    def epoch_or_time(self, key: str) -> datetime:
        """Seconds since the epoch (GitHub's push ``pushed_at``) or an ISO 8601 time."""
        value = self._required(key)
        if isinstance(value, str):
            return self.time(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, "epoch seconds or an ISO 8601 time", value)
        if not 0 <= value <= MAX_EPOCH:
            raise self._fail(key, "is not a time (epoch seconds out of range)")
        return datetime.fromtimestamp(value, UTC)

    def sha(self, key: str) -> str:
        """A commit sha (7-64 hex digits), lower case."""
        value = self._required(key)
        if not isinstance(value, str):
            raise self._wrong(key, "a commit sha string", value)
        if not _SHA.fullmatch(value):
            raise self._fail(key, "must be a commit sha (7-64 hex digits)")
        return value.lower()

    def opt_sha(self, key: str) -> str | None:
        return None if self.data.get(key) is None else self.sha(key)

    def choice(self, key: str, table: Mapping[str, T]) -> T:
        """The entry of ``table`` that the string at ``key`` names."""
        value = self.text(key)
        if value not in table:
            raise self._fail(key, f"must be one of {', '.join(sorted(table))}, not {value!r}")
        return table[value]


def first_line(message: str) -> str | None:
    """A commit message's subject: its first non-blank line, as a title."""
    for line in message.splitlines():
        if line.strip():
            return clean_title(line)
    return None


def clean_title(title: str | None) -> str | None:
    """A title fit to store: control characters as spaces, at most 500 characters, or None."""
    if title is None:
        return None
    cleaned = _CONTROL.sub(" ", title).strip()
    return cleaned[:MAX_TITLE].rstrip() or None


def labels(items: Iterable[Node], key: str) -> tuple[str, ...]:
    """The distinct label names at ``key`` of each item, in their order."""
    found: dict[str, None] = {}
    for item in items:
        name = item.text(key)
        if len(name) > MAX_LABEL or _CONTROL.search(name):
            raise PayloadError.at(item.at(key), f"must be 1-{MAX_LABEL} printable characters")
        found[name] = None
    return tuple(found)


def revert_of_commit(message: str | None) -> str | None:
    """The sha in a git revert message's "This reverts commit <sha>." line."""
    if not message:
        return None
    m = _REVERTS_COMMIT.search(message)
    return m.group(1).lower() if m else None


def _bounded(value: str | None, name: str, limit: int, errors: list[FieldError]) -> None:
    if value is not None and (not value.strip() or len(value) > limit or _CONTROL.search(value)):
        errors.append(FieldError(name, f"must be 1-{limit} printable characters"))


def _deployment_errors(d: Deployment) -> list[FieldError]:
    errors = check_deployment(d)
    _bounded(d.id, "id", MAX_NAME, errors)
    _bounded(d.service, "service", MAX_NAME, errors)
    _bounded(d.environment, "environment", MAX_ENVIRONMENT, errors)
    _bounded(d.rollback_of, "rollback_of", MAX_NAME, errors)
    _bounded(d.experiment, "experiment", MAX_EXPERIMENT, errors)
    for i, rev in enumerate(d.revisions):
        _bounded(rev.repo, f"revisions.{i}.repo", MAX_NAME, errors)
    return errors


def _change_errors(c: Change) -> list[FieldError]:
    errors = check_change(c)
    _bounded(c.id, "id", MAX_NAME, errors)
    _bounded(c.repo, "repo", MAX_NAME, errors)
    _bounded(c.reverts, "reverts", MAX_NAME, errors)
    for i, review in enumerate(c.reviews):
        _bounded(review.reviewer, f"reviews.{i}.reviewer", MAX_NAME, errors)
    for name, items, limit in (
        ("labels", c.labels, MAX_LABELS),
        ("reviews", c.reviews, MAX_REVIEWS),
        ("commits", c.commits, MAX_COMMITS),
    ):
        if len(items) > limit:
            errors.append(FieldError(name, f"at most {limit}"))
    return errors


def _raise_first(errors: list[FieldError], paths: Mapping[str, str]) -> None:
    if errors:
        first = errors[0]
        head = first.field.split(".", 1)[0]
        raise PayloadError.at(paths.get(first.field, paths.get(head, first.field)), first.reason)


def checked(parsed: Parsed, paths: Mapping[str, str]) -> Parsed:
    """``parsed`` once every event in it passes its checks, else the first error as a
    PayloadError at the JSON path ``paths`` gives for the record field (the field's own name
    when it gives none)."""
    for d in parsed.deployments:
        _raise_first(_deployment_errors(d), paths)
    for c in parsed.changes:
        _raise_first(_change_errors(c), paths)
    return parsed


#: one pushed commit: its node, sha, author time, the time it landed, its reverts and title
Pushed = tuple[Node, str, datetime, datetime, str | None, str | None]


def pushed_commits(
    source: str, repo: str, commits: Iterable[Pushed], paths: Mapping[str, str]
) -> Parsed:
    """The commit changes of a push to the default branch, each checked (errors at ``paths``,
    ``reverts`` at the commit's own message), a sha listed twice counted once."""
    changes: dict[str, Change] = {}
    for node, sha, authored, landed, reverts, title in commits:
        change = Change(
            source=source,
            id=sha,
            kind=ChangeKind.COMMIT,
            repo=repo,
            authored_at=authored,
            sha=sha,
            merged_at=landed,
            reverts=reverts,
            title=title,
        )
        checked(Parsed(changes=(change,)), {**paths, "reverts": node.at(paths["reverts"])})
        changes.setdefault(sha, change)
    return Parsed(changes=tuple(changes.values()))
