"""docs/architecture.md's feature x layer table is equal to the tree (issue #9)."""

from __future__ import annotations

import re
from pathlib import Path

import sluicegate

SRC = Path(sluicegate.__file__).parent
DOC = SRC.parents[1] / "docs" / "architecture.md"
LAYERS = ("domain", "service", "adapters/db", "api/routes", "api/schemas", "cli")


def _rows(heading: str) -> list[list[str]]:
    text = DOC.read_text()
    start = text.index(heading)
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def _paths(cell: str) -> list[str]:
    return re.findall(r"`([a-z_/]+(?:\.py|/))`", cell)


def _feature_table() -> dict[str, dict[str, str]]:
    rows = _rows("| feature | domain |")
    return {row[0]: dict(zip(LAYERS, row[1:], strict=True)) for row in rows}


def _shared() -> dict[str, set[str]]:
    return {row[0]: set(_paths(row[1])) for row in _rows("| layer | shared modules |")}


def _entries(layer: str) -> set[str]:
    """The modules and packages directly in a layer folder, as paths like the table's."""
    out = set()
    for child in (SRC / layer).iterdir():
        if child.name.startswith(("__", ".")):
            continue
        if child.is_dir() and any(child.glob("*.py")):
            out.add(f"{layer}/{child.name}/")
        elif child.suffix == ".py":
            out.add(f"{layer}/{child.name}")
    return out


def test_every_path_in_the_tables_exists() -> None:
    listed = [p for row in _feature_table().values() for c in row.values() for p in _paths(c)]
    listed += [p for paths in _shared().values() for p in paths]
    assert listed, "the tables were not found"
    missing = [p for p in listed if not (SRC / p.rstrip("/")).exists()]
    assert missing == []


def test_every_module_of_a_layer_is_in_the_tables() -> None:
    table = _feature_table()
    shared = _shared()
    for layer in LAYERS:
        in_table = {p for row in table.values() for p in _paths(row[layer])}
        assert _entries(layer) - in_table - shared.get(layer, set()) == set(), layer


def test_a_feature_keeps_its_name_in_every_layer() -> None:
    for feature, row in _feature_table().items():
        for layer, cell in row.items():
            for path in _paths(cell):
                name = path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".py")
                assert name == feature, f"{feature} is called {name!r} in {layer}"


def test_planned_features_are_not_half_built() -> None:
    for feature, row in _feature_table().items():
        cells = set(row.values())
        if "planned" in cells:
            assert cells == {"planned"}, f"{feature}: fill in its row as its layers land"
