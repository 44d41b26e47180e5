"""Hand a JSON-like document to a rego-cpp interpreter as its ``input``, quickly.

``regopy.Input`` converts a document node by node through Python wrappers that copy every string
into a fresh ctypes buffer; for the ~250-node gate input that is most of a millisecond. This
module drives the same C entry points of the bundled library (``regoInput*``, pinned with regopy
in the lock files) directly: strings go in as ``bytes`` and object keys, which repeat from call to
call, are encoded once. The result is the same input term -- ``tests/unit/policy`` compares both
paths on the same documents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sluicegate.domain.errors import InvalidInput

__all__ = ["InputError", "set_input"]

_INT64 = 1 << 63
_MAX_KEYS = 4096


class InputError(InvalidInput, ValueError):
    """The document holds something JSON cannot (the message names the type and where)."""

    code = "invalid-policy-input"


class _Library:
    """The C functions, bound once (regopy sets their argtypes and restypes on import)."""

    def __init__(self) -> None:
        from regopy import rego_shared

        lib = rego_shared.rego
        self.new = lib.regoNewInput
        self.free = lib.regoFreeInput
        self.string = lib.regoInputString
        self.int = lib.regoInputInt
        self.float = lib.regoInputFloat
        self.bool = lib.regoInputBoolean
        self.null = lib.regoInputNull
        self.item = lib.regoInputObjectItem
        self.object = lib.regoInputObject
        self.array = lib.regoInputArray
        self.set = lib.regoInputSet
        self.set_input = lib.regoSetInput
        self.keys: dict[str, bytes] = {}


_lib: _Library | None = None


def _library() -> _Library:
    global _lib  # noqa: PLW0603 - bound lazily: regopy is an optional, server-side dependency
    if _lib is None:
        _lib = _Library()
    return _lib


def _string(lib: _Library, handle: int, value: Any, _path: str) -> int:
    return int(lib.string(handle, value.encode()))


def _int(lib: _Library, handle: int, value: Any, path: str) -> int:
    if not -_INT64 <= value < _INT64:
        raise InputError(f"{path or 'input'}: integer {value} does not fit in 64 bits")
    return int(lib.int(handle, value))


def _scalar(setter: str) -> Callable[[_Library, int, Any, str], int]:
    def push(lib: _Library, handle: int, value: Any, _path: str) -> int:
        return int(getattr(lib, setter)(handle, value))

    return push


def _null(lib: _Library, handle: int, _value: Any, _path: str) -> int:
    return int(lib.null(handle))


_SCALARS: dict[type, Callable[[_Library, int, Any, str], int]] = {
    str: _string,
    int: _int,
    bool: _scalar("bool"),
    float: _scalar("float"),
    type(None): _null,
}


def _object(lib: _Library, handle: int, value: Mapping[Any, Any], path: str) -> int:
    keys = lib.keys
    for key, item in value.items():
        if type(key) is not str:
            raise InputError(f"{path or 'input'}: object keys must be strings, not {key!r}")
        encoded = keys.get(key)
        if encoded is None:
            encoded = key.encode()
            if len(keys) < _MAX_KEYS:
                keys[key] = encoded
        code = lib.string(handle, encoded) or _build(lib, handle, item, f"{path}.{key}")
        code = code or lib.item(handle)
        if code:
            return int(code)
    return int(lib.object(handle, len(value)))


def _collection(lib: _Library, handle: int, value: Any, path: str, *, is_set: bool) -> int:
    for index, item in enumerate(value):
        code = _build(lib, handle, item, f"{path}[{'*' if is_set else index}]")
        if code:
            return code
    return int((lib.set if is_set else lib.array)(handle, len(value)))


def _build(lib: _Library, handle: int, value: Any, path: str) -> int:
    """Push ``value`` onto the input stack; returns the library's status code (0 = OK)."""
    kind = type(value)
    scalar = _SCALARS.get(kind)
    if scalar is not None:
        return scalar(lib, handle, value, path)
    if kind is dict or isinstance(value, Mapping):
        return _object(lib, handle, value, path)
    if kind is list or kind is tuple:
        return _collection(lib, handle, value, path, is_set=False)
    if kind is set or kind is frozenset:
        return _collection(lib, handle, value, path, is_set=True)
    # Subclasses (StrEnum and IntEnum members, named tuples) as their base types.
    bases: tuple[type[Any], ...] = (str, bool, int, float, list, tuple)
    for base in bases:
        if isinstance(value, base):
            return _build(lib, handle, base(value), path)
    raise InputError(f"{path or 'input'}: {kind.__name__} is not JSON-encodable")


def set_input(interpreter: Any, document: Mapping[str, Any]) -> None:
    """Make ``document`` the ``input`` of a ``regopy.Interpreter``.

    Raises :class:`InputError` for values JSON cannot carry and ``regopy.RegoError`` when the
    library refuses the input.
    """
    import regopy

    lib = _library()
    handle = lib.new()
    try:
        code = _build(lib, handle, document, "")
        if code:
            raise regopy.RegoError("Unable to create input", code)
        code = lib.set_input(interpreter._impl, handle)
        if code:
            raise regopy.RegoError("Unable to set input", code)
    finally:
        lib.free(handle)
