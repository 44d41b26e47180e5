"""Freeze windows and business hours, including DST transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sluicegate.domain.gates.schedule import (
    ScheduleConfigError,
    evaluate_schedule,
    validate_schedule_config,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")

WEEKEND: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "environments": {
        "production": {
            "freeze_windows": [
                {"name": "weekend", "weekly": {"start": "Fri 16:00", "end": "Mon 08:00"}}
            ]
        }
    },
}


def _weekend_status(now: datetime) -> str:
    return evaluate_schedule(WEEKEND, "production", now).status


def _berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("now", "status"),
    [
        (_berlin(2026, 11, 20, 15, 59), "pass"),  # Friday just before the freeze
        (_berlin(2026, 11, 20, 16, 0), "fail"),
        (_berlin(2026, 11, 22, 12, 0), "fail"),  # Sunday
        (_berlin(2026, 11, 23, 7, 59), "fail"),
        (_berlin(2026, 11, 23, 8, 0), "pass"),  # Monday, window end is exclusive
        (_berlin(2026, 11, 25, 12, 0), "pass"),
    ],
)
def test_weekly_window_boundaries(now: datetime, status: str) -> None:
    assert evaluate_schedule(WEEKEND, "production", now).status == status


def test_failing_result_names_window_and_next_open() -> None:
    result = evaluate_schedule(WEEKEND, "production", _berlin(2026, 11, 21, 10, 0))
    assert result.status == "fail"
    assert result.reasons == (
        "recurring freeze window 'weekend' is active until 2026-11-23T08:00:00+01:00",
    )
    assert result.next_open == _berlin(2026, 11, 23, 8, 0)
    assert result.to_dict()["next_open"] == "2026-11-23T08:00:00+01:00"


def test_weekly_window_across_fall_back_keeps_local_end() -> None:
    # Europe/Berlin leaves CEST on Sunday 2026-10-25; the weekend window lasts 65 hours.
    saturday = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    result = evaluate_schedule(WEEKEND, "production", saturday)
    assert result.next_open == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)
    assert result.next_open is not None
    assert result.next_open.utcoffset() == timedelta(hours=1)
    # 06:30 UTC is 07:30 CET: still frozen although 64 h after the CEST start have passed.
    assert (
        evaluate_schedule(WEEKEND, "production", datetime(2026, 10, 26, 6, 30, tzinfo=UTC)).status
        == "fail"
    )
    assert (
        evaluate_schedule(WEEKEND, "production", datetime(2026, 10, 26, 7, 0, tzinfo=UTC)).status
        == "pass"
    )


def test_weekly_window_across_spring_forward_starts_at_local_time() -> None:
    # DST starts on Sunday 2027-03-28 in Europe/Berlin; Friday start is CET, Monday end CEST.
    assert (
        evaluate_schedule(WEEKEND, "production", datetime(2027, 3, 26, 14, 59, tzinfo=UTC)).status
        == "pass"
    )
    assert (
        evaluate_schedule(WEEKEND, "production", datetime(2027, 3, 26, 15, 0, tzinfo=UTC)).status
        == "fail"
    )
    result = evaluate_schedule(WEEKEND, "production", datetime(2027, 3, 28, 12, 0, tzinfo=UTC))
    assert result.next_open == datetime(2027, 3, 29, 6, 0, tzinfo=UTC)


def test_window_starting_in_spring_forward_gap_is_shifted() -> None:
    # 02:30 does not exist in New York on 2026-03-08; it resolves to 03:30 EDT.
    config = {
        "environments": {
            "prod": {
                "timezone": "America/New_York",
                "freeze_windows": [
                    {"name": "maint", "days": ["Sun"], "start_time": "02:30", "end_time": "04:00"}
                ],
            }
        }
    }
    at = datetime(2026, 3, 8, 3, 15, tzinfo=NEW_YORK)
    assert evaluate_schedule(config, "prod", at).status == "pass"
    blocked = evaluate_schedule(config, "prod", datetime(2026, 3, 8, 3, 45, tzinfo=NEW_YORK))
    assert blocked.status == "fail"
    assert blocked.next_open == datetime(2026, 3, 8, 4, 0, tzinfo=NEW_YORK)


def test_rrule_lite_window_crossing_midnight() -> None:
    config = {
        "timezone": "UTC",
        "environments": {
            "staging": {
                "freeze_windows": [
                    {"days": ["Mon", "Tue"], "start_time": "22:00", "end_time": "06:00"}
                ]
            }
        },
    }
    tuesday_early = datetime(2026, 11, 17, 5, 0, tzinfo=UTC)  # still Monday night's window
    assert evaluate_schedule(config, "staging", tuesday_early).status == "fail"
    thursday_early = datetime(2026, 11, 19, 5, 0, tzinfo=UTC)  # no Wednesday window
    assert evaluate_schedule(config, "staging", thursday_early).status == "pass"


def test_absolute_window_with_date_only_end_is_inclusive() -> None:
    config = {
        "timezone": "Europe/Berlin",
        "environments": {
            "production": {
                "freeze_windows": [{"name": "year-end", "start": "2026-12-20", "end": "2027-01-03"}]
            }
        },
    }
    assert evaluate_schedule(config, "production", _berlin(2027, 1, 3, 23, 0)).status == "fail"
    result = evaluate_schedule(config, "production", _berlin(2026, 12, 19, 23, 59))
    assert result.status == "pass"
    result = evaluate_schedule(config, "production", _berlin(2026, 12, 24, 9, 0))
    assert result.next_open == _berlin(2027, 1, 4, 0, 0)


def test_business_hours_with_holidays_in_named_zone() -> None:
    config = {
        "environments": {
            "production": {
                "timezone": "Asia/Tokyo",
                "business_hours": {
                    "days": ["Mon", "Tue", "Wed", "Thu", "Fri"],
                    "start": "09:00",
                    "end": "18:00",
                    "holidays": ["2026-11-23"],  # Labour Thanksgiving Day (Monday)
                },
            }
        }
    }
    tokyo = ZoneInfo("Asia/Tokyo")
    friday_evening = datetime(2026, 11, 20, 18, 30, tzinfo=tokyo)
    result = evaluate_schedule(config, "production", friday_evening)
    assert result.status == "fail"
    assert result.reasons == ("outside business hours 09:00-18:00 (18:30 Asia/Tokyo)",)
    assert result.next_open == datetime(2026, 11, 24, 9, 0, tzinfo=tokyo)
    holiday = evaluate_schedule(config, "production", datetime(2026, 11, 23, 10, tzinfo=tokyo))
    assert holiday.reasons == ("2026-11-23 is a holiday",)
    # The same instant expressed in UTC gives the same answer.
    in_utc = evaluate_schedule(config, "production", datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
    assert in_utc.status == "pass"


def test_freeze_and_business_hours_combine() -> None:
    config = {
        "timezone": "Europe/Berlin",
        "environments": {
            "production": {
                "freeze_windows": WEEKEND["environments"]["production"]["freeze_windows"],
                "business_hours": {"start": "09:00", "end": "17:00"},
            }
        },
    }
    result = evaluate_schedule(config, "production", _berlin(2026, 11, 20, 17, 30))
    assert len(result.reasons) == 2
    assert result.next_open == _berlin(2026, 11, 23, 9, 0)


def test_nothing_opens_within_horizon() -> None:
    config = {
        "timezone": "UTC",
        "environments": {
            "p": {
                "freeze_windows": [{"weekly": {"start": "Mon 00:00", "end": "Tue 00:00"}}],
                "business_hours": {"days": ["Mon"], "start": "09:00", "end": "17:00"},
            }
        },
    }
    result = evaluate_schedule(config, "p", datetime(2026, 11, 23, 10, tzinfo=UTC))
    assert result.status == "fail"
    assert result.next_open is None


def test_unconfigured_environment_passes_and_default_applies() -> None:
    now = _berlin(2026, 11, 21, 10, 0)
    assert evaluate_schedule(WEEKEND, "staging", now).status == "pass"
    with_default = {
        "timezone": "Europe/Berlin",
        "environments": {"default": WEEKEND["environments"]["production"]},
    }
    assert evaluate_schedule(with_default, "staging", now).status == "fail"


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate_schedule(WEEKEND, "production", datetime(2026, 11, 20, 12, 0))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "environments.p.timezone: unknown timezone 'Mars/Olympus'"),
        (
            {"freeze_windows": [{"weekly": {"start": "Fri 16:00", "end": "Monday"}}]},
            "environments.p.freeze_windows[0].weekly.end: 'Monday' is not 'Ddd HH:MM'",
        ),
        (
            {"freeze_windows": [{"days": ["Fri"], "start_time": "25:00", "end_time": "06:00"}]},
            "freeze_windows[0].start_time: '25:00' is not a time",
        ),
        (
            {"freeze_windows": [{"days": ["Fry"], "start_time": "20:00", "end_time": "06:00"}]},
            "freeze_windows[0].days[0]: 'Fry' is not a day of week",
        ),
        (
            {"freeze_windows": [{"start": "2026-12-20", "end": "2026-12-01"}]},
            "freeze_windows[0]: end must be after start",
        ),
        ({"freeze_windows": [{"start": "soon", "end": "later"}]}, "'soon' is not an ISO date"),
        ({"freeze_windows": [{"name": "x"}]}, "needs 'start'/'end', 'weekly' or 'days'"),
        ({"freeze_windows": {"weekly": {}}}, "freeze_windows: must be a list"),
        (
            {"business_hours": {"start": "17:00", "end": "09:00"}},
            "business_hours: end must be after start",
        ),
        (
            {"business_hours": {"start": "09:00", "end": "17:00", "holidays": ["25.12.2026"]}},
            "business_hours.holidays[0]: '25.12.2026' is not a date",
        ),
    ],
)
def test_config_validation_errors(env: dict[str, Any], message: str) -> None:
    config = {"environments": {"p": env}}
    with pytest.raises(ScheduleConfigError) as info:
        validate_schedule_config(config)
    assert message in str(info.value)
    with pytest.raises(ScheduleConfigError):
        evaluate_schedule(config, "p", datetime(2026, 1, 1, tzinfo=UTC))


def test_valid_config_validates() -> None:
    validate_schedule_config(WEEKEND)
    with pytest.raises(ScheduleConfigError, match="timezone: unknown timezone"):
        validate_schedule_config({"timezone": "Nowhere/Land", "environments": {}})


PROPERTY_CONFIG: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "environments": {
        "production": {
            "freeze_windows": [
                *WEEKEND["environments"]["production"]["freeze_windows"],
                {"days": ["Wed"], "start_time": "23:00", "end_time": "01:30"},
                {"start": "2026-12-20", "end": "2027-01-03"},
            ],
            "business_hours": {"start": "08:00", "end": "18:00", "holidays": ["2026-12-24"]},
        }
    },
}


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 1, 1)))
def test_next_open_is_open_and_in_the_future(naive: datetime) -> None:
    now = naive.replace(tzinfo=UTC)
    result = evaluate_schedule(PROPERTY_CONFIG, "production", now)
    if result.status == "pass":
        assert result.next_open is None
        assert result.reasons == ()
        return
    assert result.reasons
    assert result.next_open is not None
    assert result.next_open > now
    assert evaluate_schedule(PROPERTY_CONFIG, "production", result.next_open).status == "pass"
    # Just before next_open the schedule is still closed (it is the *first* opening).
    before = result.next_open - timedelta(seconds=1)
    if before > now:
        assert evaluate_schedule(PROPERTY_CONFIG, "production", before).status == "fail"
