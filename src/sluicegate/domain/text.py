"""Single-line text that people read and act on: names and titles.

A name or title may not hold control characters (NUL, newlines, escapes) or the Unicode
bidirectional controls, which make text display in an order other than the one it is stored in
("Trojan Source", CVE-2021-42574): an approver would read one name and approve another.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

__all__ = ["BIDI_CONTROLS", "Label", "check_label", "label_problem"]

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


#: A ``str`` field that refuses control and bidirectional characters.
Label = Annotated[str, AfterValidator(check_label)]
