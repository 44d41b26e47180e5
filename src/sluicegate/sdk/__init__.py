"""Sluicegate's OpenFeature provider for Python applications (see docs/sdk.md).

>>> from openfeature import api
>>> from sluicegate.sdk import SluicegateProvider
>>> api.set_provider(SluicegateProvider(url=..., token=..., flag_set="checkout"))  # doctest: +SKIP
>>> api.get_client().get_boolean_value("new-checkout", False)  # doctest: +SKIP
"""

from __future__ import annotations

from sluicegate.sdk.provider import PROVIDER_NAME, SluicegateProvider
from sluicegate.sdk.telemetry import OpenTelemetryHook

__all__ = ["PROVIDER_NAME", "OpenTelemetryHook", "SluicegateProvider"]
