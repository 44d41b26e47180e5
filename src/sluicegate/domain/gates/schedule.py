"""Schedule checks for promotions: freeze windows and business hours per environment (pure).

Configuration (a mapping, typically loaded from YAML)::

    timezone: Europe/Berlin              # default IANA zone for every environment
    environments:
      production:
        timezone: Europe/Berlin          # optional override
        freeze_windows:
          - name: year-end               # absolute; naive times are local, a date-only end
            start: "2026-12-20"          # means "until the end of that day"
            end: "2027-01-03"
          - name: weekend                # weekly recurring window
            weekly: {start: "Fri 16:00", end: "Mon 08:00"}
          - name: nightly                # RRULE-lite: these days, crossing midnight if needed
            days: [Mon, Tue, Wed, Thu, Fri]
            start_time: "22:00"
            end_time: "06:00"
        business_hours:
          days: [Mon, Tue, Wed, Thu, Fri]
          start: "09:00"
          end: "17:00"
          holidays: ["2026-12-24", "2026-12-25"]

Wall-clock times are resolved in the environment's zone at each occurrence, so a weekly window
keeps its local start/end across DST changes.  A wall time inside a spring-forward gap is moved
forward by the gap; an ambiguous fall-back wall time means its first occurrence (``fold=0``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sluicegate.domain.errors import InvalidInput

__all__ = [
    "DAY_NAMES",
    "ScheduleConfigError",
    "ScheduleResult",
    "evaluate_schedule",
    "validate_schedule_config",
]

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_HORIZON_DAYS = 400
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_WEEKLY_RE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+(\d\d:\d\d)$", re.I)


class ScheduleConfigError(InvalidInput, ValueError):
    """Invalid schedule configuration; the message starts with the offending path."""

    code = "invalid-schedule"


@dataclass(frozen=True, slots=True)
class ScheduleResult:
    status: Literal["pass", "fail"]
    reasons: tuple[str, ...]
    next_open: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reasons": list(self.reasons),
            "next_open": None if self.next_open is None else self.next_open.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class _Absolute:
    name: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class _Recurring:
    """Starts on ``start_day`` at ``start``; ends ``span_days`` later at ``end`` (local)."""

    name: str
    start_day: int
    start: time
    span_days: int
    end: time


@dataclass(frozen=True, slots=True)
class _BusinessHours:
    days: frozenset[int]
    start: time
    end: time
    holidays: frozenset[date]


@dataclass(frozen=True, slots=True)
class _Environment:
    zone: ZoneInfo
    absolute: tuple[_Absolute, ...]
    recurring: tuple[_Recurring, ...]
    business: _BusinessHours | None


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Aware instant of a local wall time, normalising spring-forward gaps."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone)


def _zone(raw: Any, path: str) -> ZoneInfo:
    if not isinstance(raw, str) or not raw:
        raise ScheduleConfigError(f"{path}: timezone must be an IANA name such as 'Europe/Berlin'")
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleConfigError(f"{path}: unknown timezone {raw!r}") from exc


def _time(raw: Any, path: str) -> time:
    match = _TIME_RE.fullmatch(raw) if isinstance(raw, str) else None
    if match is None:
        raise ScheduleConfigError(f"{path}: {raw!r} is not a time 'HH:MM' (00:00-23:59)")
    return time(int(match.group(1)), int(match.group(2)))


def _day(raw: Any, path: str) -> int:
    if isinstance(raw, str):
        for index, name in enumerate(DAY_NAMES):
            if raw.strip().lower()[:3] == name.lower() and len(raw.strip()) >= 3:
                return index
    raise ScheduleConfigError(f"{path}: {raw!r} is not a day of week ({', '.join(DAY_NAMES)})")


def _days(raw: Any, path: str) -> list[int]:
    if not isinstance(raw, list) or not raw:
        raise ScheduleConfigError(f"{path}: must be a non-empty list of days")
    return sorted({_day(d, f"{path}[{i}]") for i, d in enumerate(raw)})


def _instant(raw: Any, path: str, zone: ZoneInfo, *, is_end: bool) -> datetime:
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime.combine(raw + timedelta(days=1 if is_end else 0), time())
    elif isinstance(raw, str):
        try:
            if len(raw) == 10:
                day = date.fromisoformat(raw)
                value = datetime.combine(day + timedelta(days=1 if is_end else 0), time())
            else:
                value = datetime.fromisoformat(raw)
        except ValueError as exc:
            raise ScheduleConfigError(f"{path}: {raw!r} is not an ISO date or datetime") from exc
    else:
        raise ScheduleConfigError(f"{path}: must be an ISO date or datetime string")
    if value.tzinfo is None:
        return _local(value.date(), value.time(), zone)
    return value


def _window(raw: Any, path: str, zone: ZoneInfo) -> _Absolute | list[_Recurring]:
    if not isinstance(raw, Mapping):
        raise ScheduleConfigError(f"{path}: must be a mapping")
    name = str(raw.get("name", path))
    if "weekly" in raw:
        weekly = raw["weekly"]
        if not isinstance(weekly, Mapping):
            raise ScheduleConfigError(f"{path}.weekly: must have 'start' and 'end'")
        parts = []
        for key in ("start", "end"):
            match = _WEEKLY_RE.fullmatch(str(weekly.get(key, "")).strip())
            if match is None:
                got = weekly.get(key)
                raise ScheduleConfigError(f"{path}.weekly.{key}: {got!r} is not 'Ddd HH:MM'")
            parts.append((_day(match.group(1), f"{path}.weekly.{key}"), match.group(2)))
        (start_day, start_raw), (end_day, end_raw) = parts
        start = _time(start_raw, f"{path}.weekly.start")
        end = _time(end_raw, f"{path}.weekly.end")
        span = (end_day - start_day) % 7
        if span == 0 and end <= start:
            span = 7
        return [_Recurring(name, start_day, start, span, end)]
    if "days" in raw:
        start = _time(raw.get("start_time"), f"{path}.start_time")
        end = _time(raw.get("end_time"), f"{path}.end_time")
        if start == end:
            raise ScheduleConfigError(f"{path}: start_time and end_time must differ")
        span = 0 if end > start else 1
        days = _days(raw["days"], f"{path}.days")
        return [_Recurring(name, d, start, span, end) for d in days]
    if "start" in raw and "end" in raw:
        start_at = _instant(raw["start"], f"{path}.start", zone, is_end=False)
        end_at = _instant(raw["end"], f"{path}.end", zone, is_end=True)
        if end_at <= start_at:
            raise ScheduleConfigError(f"{path}: end must be after start")
        return _Absolute(name, start_at, end_at)
    raise ScheduleConfigError(f"{path}: needs 'start'/'end', 'weekly' or 'days' + times")


def _business(raw: Any, path: str) -> _BusinessHours:
    if not isinstance(raw, Mapping):
        raise ScheduleConfigError(f"{path}: must be a mapping")
    start = _time(raw.get("start"), f"{path}.start")
    end = _time(raw.get("end"), f"{path}.end")
    if end <= start:
        raise ScheduleConfigError(f"{path}: end must be after start on the same day")
    days = _days(raw.get("days", list(DAY_NAMES[:5])), f"{path}.days")
    holidays_raw = raw.get("holidays", [])
    if not isinstance(holidays_raw, list):
        raise ScheduleConfigError(f"{path}.holidays: must be a list of ISO dates")
    holidays = set()
    for i, item in enumerate(holidays_raw):
        try:
            holidays.add(item if isinstance(item, date) else date.fromisoformat(str(item)))
        except ValueError as exc:
            raise ScheduleConfigError(f"{path}.holidays[{i}]: {item!r} is not a date") from exc
    return _BusinessHours(frozenset(days), start, end, frozenset(holidays))


def _environment(config: Mapping[str, Any], name: str) -> _Environment | None:
    if not isinstance(config, Mapping):
        raise ScheduleConfigError("schedule config must be a mapping")
    envs = config.get("environments", {})
    if not isinstance(envs, Mapping):
        raise ScheduleConfigError("environments: must be a mapping")
    raw = envs.get(name, envs.get("default"))
    if raw is None:
        return None
    path = f"environments.{name if name in envs else 'default'}"
    if not isinstance(raw, Mapping):
        raise ScheduleConfigError(f"{path}: must be a mapping")
    zone_raw = raw.get("timezone", config.get("timezone", "UTC"))
    zone = _zone(zone_raw, f"{path}.timezone")
    absolute: list[_Absolute] = []
    recurring: list[_Recurring] = []
    windows = raw.get("freeze_windows", [])
    if not isinstance(windows, list):
        raise ScheduleConfigError(f"{path}.freeze_windows: must be a list")
    for i, item in enumerate(windows):
        parsed = _window(item, f"{path}.freeze_windows[{i}]", zone)
        if isinstance(parsed, _Absolute):
            absolute.append(parsed)
        else:
            recurring.extend(parsed)
    business = raw.get("business_hours")
    hours = None if business is None else _business(business, f"{path}.business_hours")
    return _Environment(zone, tuple(absolute), tuple(recurring), hours)


def validate_schedule_config(config: Mapping[str, Any]) -> None:
    """Raise ScheduleConfigError for the first problem in any environment."""
    if isinstance(config, Mapping) and "timezone" in config:
        _zone(config["timezone"], "timezone")
    envs = config.get("environments", {}) if isinstance(config, Mapping) else None
    if not isinstance(envs, Mapping):
        raise ScheduleConfigError("environments: must be a mapping")
    for name in envs:
        _environment(config, str(name))


def _occurrences(
    window: _Recurring, around: date, zone: ZoneInfo
) -> Iterator[tuple[datetime, datetime]]:
    for back in range(window.span_days + 8):
        day = around - timedelta(days=back)
        if day.weekday() == window.start_day:
            start = _local(day, window.start, zone)
            end = _local(day + timedelta(days=window.span_days), window.end, zone)
            yield start, end


def _business_reason(hours: _BusinessHours, local: datetime, zone: ZoneInfo) -> str | None:
    if local.date() in hours.holidays:
        return f"{local.date().isoformat()} is a holiday"
    if local.weekday() not in hours.days:
        return f"{DAY_NAMES[local.weekday()]} is not a business day"
    if not hours.start <= local.time() < hours.end:
        return (
            f"outside business hours {hours.start:%H:%M}-{hours.end:%H:%M} "
            f"({local:%H:%M} {zone.key})"
        )
    return None


def _blocking(env: _Environment, at: datetime) -> list[str]:
    """A reason for every constraint that is closed at ``at``."""
    found: list[str] = []
    local = at.astimezone(env.zone)
    for window in env.absolute:
        if window.start <= at < window.end:
            until = window.end.astimezone(env.zone).isoformat()
            found.append(f"freeze window {window.name!r} is active until {until}")
    for rec in env.recurring:
        for start, end in _occurrences(rec, local.date() + timedelta(days=1), env.zone):
            if start <= at < end:
                until = end.isoformat()
                found.append(f"recurring freeze window {rec.name!r} is active until {until}")
    if env.business is not None:
        reason = _business_reason(env.business, local, env.zone)
        if reason is not None:
            found.append(reason)
    return found


def _candidates(env: _Environment, now: datetime) -> list[datetime]:
    local_day = now.astimezone(env.zone).date()
    out: set[datetime] = {w.end for w in env.absolute if w.end > now}
    for offset in range(-8, _HORIZON_DAYS):
        day = local_day + timedelta(days=offset)
        for rec in env.recurring:
            if day.weekday() == rec.start_day:
                out.add(_local(day + timedelta(days=rec.span_days), rec.end, env.zone))
        if env.business is not None:
            out.add(_local(day, env.business.start, env.zone))
    return sorted(c for c in out if c > now)


def evaluate_schedule(config: Mapping[str, Any], environment: str, now: datetime) -> ScheduleResult:
    """Pass when ``now`` is outside every freeze window and inside business hours.

    ``next_open`` is the first instant (in the environment's zone) at which a promotion would
    pass, searched up to ~400 days ahead; None when already open or nothing opens in that horizon.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    env = _environment(config, environment)
    if env is None:
        return ScheduleResult("pass", (), None)
    blocking = _blocking(env, now)
    if not blocking:
        return ScheduleResult("pass", (), None)
    reasons = tuple(blocking)
    for candidate in _candidates(env, now):
        if not _blocking(env, candidate):
            return ScheduleResult("fail", reasons, candidate.astimezone(env.zone))
    return ScheduleResult("fail", reasons, None)
