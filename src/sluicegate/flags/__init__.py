"""Sluicegate's feature-flag evaluation engine: flagd flag sets compiled into closures.

Only the stdlib and ``mmh3`` are used, so the engine can run inside SDKs and the server alike.
"""

from __future__ import annotations

from .bucketing import Bucketing
from .errors import Finding, FlagDefinitionError
from .flagset import (
    BUCKETING_METADATA_KEY,
    DEFAULT_BUCKETING,
    CompiledFlagSet,
    check_flag_set,
    compile_flag_set,
)
from .resolution import ErrorCode, Reason, Resolution

__all__ = [
    "BUCKETING_METADATA_KEY",
    "DEFAULT_BUCKETING",
    "Bucketing",
    "CompiledFlagSet",
    "ErrorCode",
    "Finding",
    "FlagDefinitionError",
    "Reason",
    "Resolution",
    "check_flag_set",
    "compile_flag_set",
]
