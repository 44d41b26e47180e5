"""``regoinput.set_input`` gives rego-cpp the same input term as ``regopy.Input``."""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

regopy = pytest.importorskip("regopy")

from sluicegate.adapters.policy.regoinput import InputError, set_input  # noqa: E402

_TEXT = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")  # type: ignore[arg-type]
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1)
    | st.floats(allow_nan=False, allow_infinity=False, width=64)
    | st.text(alphabet=_TEXT)
)
_documents = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(alphabet=_TEXT, max_size=8),
            inner,
            max_size=4,
        )
    ),
    max_leaves=25,
)


def _seen(interpreter: Any) -> str:
    # The answer as text: rego-cpp leaves some characters in keys unescaped, which regopy's own
    # ``query`` (json.loads) would refuse before anything is compared.
    from regopy.rego_shared import rego_free_output, rego_output_string, rego_query

    impl = rego_query(interpreter._impl, "x = input")
    try:
        return str(rego_output_string(impl))
    finally:
        rego_free_output(impl)


@settings(max_examples=150, deadline=None)
@given(doc=st.dictionaries(st.text(alphabet=_TEXT, max_size=6), _documents))
def test_same_input_term_as_regopy(doc: dict[str, Any]) -> None:
    reference = regopy.Interpreter()
    reference.set_input(regopy.Input(doc))
    direct = regopy.Interpreter()
    set_input(direct, doc)
    assert _seen(direct) == _seen(reference)


class Colour(enum.StrEnum):
    RED = "red"


def test_subclasses_and_sets_convert_like_their_base_types() -> None:
    interpreter = regopy.Interpreter()
    set_input(interpreter, {"c": Colour.RED, "t": (1, 2), "s": frozenset({"a"}), "n": None})
    result = json.loads(_seen(interpreter))["bindings"]["x"]
    assert result == {"c": "red", "t": [1, 2], "s": ["a"], "n": None}


@pytest.mark.parametrize(
    ("doc", "where"),
    [
        ({"a": {"b": object()}}, ".a.b: object is not JSON-encodable"),
        ({"a": [1, {2: "x"}]}, ".a[1]: object keys must be strings"),
        ({"big": 1 << 64}, ".big: integer 18446744073709551616 does not fit in 64 bits"),
    ],
)
def test_what_json_cannot_carry_is_named_with_its_path(doc: dict[str, Any], where: str) -> None:
    with pytest.raises(InputError) as caught:
        set_input(regopy.Interpreter(), doc)
    assert str(caught.value).startswith(where)
