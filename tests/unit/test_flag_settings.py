"""The flag endpoints' settings come from the one settings model (bootstrap.Settings)."""

from __future__ import annotations

import pytest

from sluicegate.api.routes.flags.runtime import FlagSettings
from sluicegate.bootstrap import InvalidSettings, Settings


def test_defaults_are_the_documented_ones() -> None:
    assert FlagSettings.from_settings(Settings()) == FlagSettings()
    assert FlagSettings() == FlagSettings(100.0, 200.0, 15.0, 5.0, 300.0, 30.0, 256)


def test_the_variables_reach_the_flag_runtime() -> None:
    env = {
        "SLUICE_OFREP_RATE": "0",
        "SLUICE_OFREP_BURST": "5",
        "SLUICE_SSE_KEEPALIVE": "1",
        "SLUICE_SSE_POLL": "0.5",
        "SLUICE_SSE_MAX_SECONDS": "20",
        "SLUICE_FLAG_SCHEDULE_INTERVAL": "0.5",
    }
    got = FlagSettings.from_env(env)
    assert (got.ofrep_rate, got.ofrep_burst, got.sse_keepalive) == (0.0, 5.0, 1.0)
    assert (got.sse_poll, got.sse_max_seconds, got.schedule_interval) == (0.5, 20.0, 0.5)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("SLUICE_OFREP_RATE", "fast"), ("SLUICE_OFREP_BURST", "-1"), ("SLUICE_SSE_POLL", "0")],
)
def test_a_bad_value_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(InvalidSettings) as err:
        FlagSettings.from_env({variable: value})
    assert variable in str(err.value)
    assert [e.field for e in err.value.errors] == [variable]
