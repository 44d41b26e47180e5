"""The on-disk flag cache and change detection between revisions."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.unit.sdk.support import base_flags, flag

from sluicegate.sdk.cache import FlagSetCache, default_cache_dir
from sluicegate.sdk.snapshot import changed_flag_keys


def test_round_trip_and_atomic_replacement(tmp_path: Path) -> None:
    cache = FlagSetCache(tmp_path / "nested", "checkout", None)

    assert cache.load() is None
    assert cache.save(base_flags(), '"r1"', "r1")
    assert cache.save({"flags": {}}, '"r2"', "r2")

    loaded = cache.load()
    assert loaded is not None
    assert (loaded.definition, loaded.etag, loaded.revision) == ({"flags": {}}, '"r2"', "r2")
    assert loaded.saved_at > 0
    assert sorted(p.name for p in cache.path.parent.iterdir()) == ["checkout.json"]


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"format": 99, "flag_set": "checkout", "definition": {}}),
        json.dumps({"format": 1, "flag_set": "other", "definition": {}}),
        json.dumps({"format": 1, "flag_set": "checkout", "definition": []}),
    ],
)
def test_unusable_cache_files_are_ignored(tmp_path: Path, content: str) -> None:
    cache = FlagSetCache(tmp_path, "checkout", None)
    cache.path.write_text(content)

    assert cache.load() is None


def test_failed_write_leaves_the_previous_copy_and_no_temp_files(tmp_path: Path) -> None:
    cache = FlagSetCache(tmp_path, "checkout", None)
    assert cache.save(base_flags(), '"r1"', "r1")

    assert not cache.save({"flags": {"bad": {1, 2}}}, '"r2"', "r2")  # a set is not JSON

    loaded = cache.load()
    assert loaded is not None
    assert loaded.revision == "r1"
    assert os.listdir(tmp_path) == ["checkout.json"]


def test_file_names_are_sanitised(tmp_path: Path) -> None:
    assert (
        FlagSetCache(tmp_path, "../team/x", "prod eu").path == tmp_path / ".._team_x.prod_eu.json"
    )


def test_default_directory_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "sluicegate"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "sluicegate"


def test_changed_flag_keys() -> None:
    old = base_flags()
    new = base_flags()
    new["flags"]["banner"] = flag({"blue": "blue"}, "blue")
    del new["flags"]["layout"]
    new["flags"]["added"] = flag({"x": 1}, "x")

    assert changed_flag_keys(old, new) == ["added", "banner", "layout"]
    assert changed_flag_keys(old, base_flags()) == []
    assert changed_flag_keys(None, {"flags": {"b": {}, "a": {}}}) == ["a", "b"]
    assert changed_flag_keys(old, old | {"metadata": {"v": 2}}) == sorted(old["flags"])


def test_evaluator_changes_count_for_flags_that_reference_them() -> None:
    def document(plans: list[str]) -> dict[str, object]:
        doc = base_flags()
        doc["$evaluators"] = {"paying": {"in": [{"var": "plan"}, plans]}}
        doc["flags"]["gated"] = flag(
            {"on": True, "off": False}, "off", targeting={"if": [{"$ref": "paying"}, "on", "off"]}
        )
        return doc

    assert changed_flag_keys(document(["pro"]), document(["pro", "team"])) == ["gated"]
