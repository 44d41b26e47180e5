"""An OpenFeature hook recording flag evaluations on the current OpenTelemetry span.

Follows the OpenTelemetry semantic conventions for feature flags: a span event named
``feature_flag.evaluation`` with ``feature_flag.key``, ``feature_flag.provider.name``,
``feature_flag.result.variant``, ``feature_flag.result.reason``, ``feature_flag.result.value``,
``feature_flag.context.id``, ``feature_flag.set.id``, ``feature_flag.version``, and on errors
``error.type`` and ``feature_flag.error.message``.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Final

from openfeature.hook import Hook
from opentelemetry import trace

if TYPE_CHECKING:
    from openfeature.flag_evaluation import FlagEvaluationDetails, FlagValueType
    from openfeature.hook import HookContext, HookHints
    from opentelemetry.util.types import AttributeValue

__all__ = ["EVALUATION_EVENT", "OpenTelemetryHook"]

logger = logging.getLogger(__name__)

EVALUATION_EVENT: Final = "feature_flag.evaluation"
KEY: Final = "feature_flag.key"
PROVIDER_NAME: Final = "feature_flag.provider.name"
RESULT_VARIANT: Final = "feature_flag.result.variant"
RESULT_VALUE: Final = "feature_flag.result.value"
RESULT_REASON: Final = "feature_flag.result.reason"
CONTEXT_ID: Final = "feature_flag.context.id"
SET_ID: Final = "feature_flag.set.id"
VERSION: Final = "feature_flag.version"
ERROR_TYPE: Final = "error.type"
ERROR_MESSAGE: Final = "feature_flag.error.message"


def _attribute_value(value: FlagValueType) -> AttributeValue:
    if isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


class OpenTelemetryHook(Hook):
    """Adds a ``feature_flag.evaluation`` event to the current span after every evaluation.

    ``include_value``: record ``feature_flag.result.value`` even when a variant names the result
    (values can be large or sensitive, so by default the value is recorded only when there is no
    variant). ``include_context_id``: record the targeting key as ``feature_flag.context.id``.
    """

    def __init__(self, *, include_value: bool = False, include_context_id: bool = True) -> None:
        self.include_value = include_value
        self.include_context_id = include_context_id

    def finally_after(
        self,
        hook_context: HookContext,
        details: FlagEvaluationDetails[FlagValueType],
        hints: HookHints,  # noqa: ARG002 - part of the Hook interface
    ) -> None:
        span = trace.get_current_span()
        if not span.is_recording():
            return
        try:
            span.add_event(EVALUATION_EVENT, self.attributes(hook_context, details))
        except Exception:  # a telemetry failure must never disturb the evaluation
            logger.debug("cannot record flag evaluation", exc_info=True)

    def attributes(
        self, hook_context: HookContext, details: FlagEvaluationDetails[FlagValueType]
    ) -> dict[str, AttributeValue]:
        attrs: dict[str, AttributeValue] = {KEY: details.flag_key}
        if hook_context.provider_metadata is not None:
            attrs[PROVIDER_NAME] = hook_context.provider_metadata.name
        if details.variant:
            attrs[RESULT_VARIANT] = details.variant
        if self.include_value or not details.variant:
            attrs[RESULT_VALUE] = _attribute_value(details.value)
        if details.reason:
            attrs[RESULT_REASON] = str(details.reason).lower()
        metadata = details.flag_metadata or {}
        context_id = metadata.get("contextId") or hook_context.evaluation_context.targeting_key
        if self.include_context_id and context_id:
            attrs[CONTEXT_ID] = str(context_id)
        if set_id := metadata.get("flagSetId"):
            attrs[SET_ID] = str(set_id)
        if version := metadata.get("version"):
            attrs[VERSION] = str(version)
        if details.error_code:
            attrs[ERROR_TYPE] = str(details.error_code).lower()
            if details.error_message:
                attrs[ERROR_MESSAGE] = details.error_message
        return attrs
