"""Single-line text that people read and act on: names and titles.

A name or title may not hold control characters (NUL, newlines, escapes) or the Unicode
bidirectional controls, which make text display in an order other than the one it is stored in
("Trojan Source", CVE-2021-42574): an approver would read one name and approve another.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

__all__ = [
    "BIDI_CONTROLS",
    "LABEL_PATTERN",
    "STRIPPED_LABEL_PATTERN",
    "Label",
    "Name",
    "check_label",
    "label_problem",
]

#: ALM, LRM, RLM, the embeddings and overrides (LRE RLE PDF LRO RLO) and isolates (LRI RLI FSI PDI).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def label_problem(value: str) -> str | None:
    """Why ``value`` is not a valid single-line label, or None."""
    for ch in value:
        if ch in BIDI_CONTROLS:
            return f"contains the bidirectional control character U+{ord(ch):04X}"
        if unicodedata.category(ch) == "Cc":
            return f"contains the control character U+{ord(ch):04X}"
    return None


def check_label(value: str) -> str:
    """A pydantic validator: ``value``, or ValueError naming the character."""
    problem = label_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# Character-class bodies: the control characters (C0, C1 and the bidirectional controls), and
# what pydantic's strip_whitespace removes (Unicode White_Space) beyond those, spelled out:
# ECMA-262's \s and Python's str.strip() both differ from it.
_CONTROLS = r"\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_SPACES = r" \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_NOT_CONTROL = f"[^{_CONTROLS}]"
_STRIPPED = rf"[\t\n\x0b\x0c\r\x85{_SPACES}]"
_VISIBLE = f"[^{_CONTROLS}{_SPACES}]"

#: The rule of :func:`check_label` as a JSON-schema pattern, for the OpenAPI document only (the
#: validator gives the better message: which character, where).
LABEL_PATTERN = f"^{_NOT_CONTROL}*$"
#: The same for a label whose surrounding whitespace is stripped first (:data:`Name`), which
#: must keep one visible character.
STRIPPED_LABEL_PATTERN = f"^{_STRIPPED}*{_VISIBLE}(?:{_NOT_CONTROL}*{_VISIBLE})?{_STRIPPED}*$"

#: A ``str`` field that refuses control and bidirectional characters.
Label = Annotated[
    str, AfterValidator(check_label), Field(json_schema_extra={"pattern": LABEL_PATTERN})
]

#: A name or title: 1-200 characters after stripping, no control or bidirectional characters.
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(check_label),
    Field(json_schema_extra={"pattern": STRIPPED_LABEL_PATTERN}),
]
