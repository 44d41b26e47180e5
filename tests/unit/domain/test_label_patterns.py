"""The OpenAPI patterns for labels and names say exactly what the validators check (issue 11
§3: a schema-valid request must not be refused), compared on generated strings."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from sluicegate.api.schemas.strings import NO_NUL, document_string_rules
from sluicegate.domain.text import LABEL_PATTERN, STRIPPED_LABEL_PATTERN, Label, Name

# the characters where the rules have edges: controls, bidi controls, the kinds of whitespace
EDGES = "a é\t\n\x0b\r\x00\x1c\x1f\x7f\x85\x9f\xa0\u061c\u200e\u202e\u2000\u2028\u3000\ufeff"
# lone surrogates are refused for every body by check_tree (docs/security.md), not by these rules
TEXT = st.text(
    alphabet=st.sampled_from(EDGES) | st.characters(exclude_categories=["Cs"]), max_size=12
)


def _accepts(adapter: TypeAdapter[str], value: str) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


@settings(max_examples=3000)
@given(TEXT)
def test_the_name_pattern_accepts_what_the_validator_accepts(value: str) -> None:
    if len(value.strip()) > 200:
        return  # maxLength applies to the value before stripping in the schema
    accepted = _accepts(TypeAdapter(Name), value)
    assert accepted == bool(re.fullmatch(STRIPPED_LABEL_PATTERN, value)), repr(value)


@settings(max_examples=2000)
@given(TEXT)
def test_the_label_pattern_accepts_what_the_validator_accepts(value: str) -> None:
    assert _accepts(TypeAdapter(Label), value) == bool(re.fullmatch(LABEL_PATTERN, value))


def test_request_strings_get_the_no_nul_pattern_and_declared_ones_keep_theirs() -> None:
    doc: dict[str, Any] = {
        "components": {
            "schemas": {
                "A": {
                    "properties": {
                        "free": {"type": "string"},
                        "key": {"type": "string", "pattern": "^[a-z]+$"},
                        "kind": {"type": "string", "enum": ["x"]},
                        "at": {"type": "string", "format": "date-time"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                    "example": {"type": "string"},
                }
            }
        },
        "paths": {
            "/a": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/A"}}
                        }
                    },
                    "responses": {"422": {"$ref": "#/components/schemas/Problem"}},
                }
            }
        },
    }
    doc["components"]["schemas"]["Problem"] = {"properties": {"detail": {"type": "string"}}}
    document_string_rules(doc)
    props = doc["components"]["schemas"]["A"]["properties"]
    assert props["free"]["pattern"] == NO_NUL
    assert props["tags"]["items"]["pattern"] == NO_NUL
    assert props["key"]["pattern"] == "^[a-z]+$"
    assert "pattern" not in props["kind"]
    assert "pattern" not in props["at"]
    assert "pattern" not in doc["components"]["schemas"]["A"]["example"]
    # an answer may quote the refused input: response-only schemas get no pattern
    assert "pattern" not in doc["components"]["schemas"]["Problem"]["properties"]["detail"]
    assert re.fullmatch(NO_NUL, "fine \u202e text")
    assert not re.fullmatch(NO_NUL, "a\x00b")
