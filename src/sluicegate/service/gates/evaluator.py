"""The policy evaluator a gate check runs: the current bundle, or the stored one a decision used.

The current bundle is stored by revision the first time it decides, so that a decision can be
replayed with the same bundle after the directory changed. With no usable bundle, policy gates
fail closed through :class:`UnavailablePolicy`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sluicegate.domain.gates import (
    PolicyVerdict,
)
from sluicegate.service.gates.policy import PolicyBundle, PolicyEngine, PolicyError, PolicyModule
from sluicegate.service.gates.ports import (
    GateDecisionRecord,
    StoredPolicyBundle,
)
from sluicegate.service.gates.processes import GateRuntime
from sluicegate.service.ports import UnitOfWork

__all__ = [
    "UNAVAILABLE",
    "BundleEvaluator",
    "PolicyUnavailable",
    "UnavailablePolicy",
    "current_policy",
    "stored_policy",
]


UNAVAILABLE = "unavailable"


_UNAVAILABLE_PREFIX = "check error: PolicyUnavailable: "


class PolicyUnavailable(PolicyError):
    """Raised by the stand-in evaluator when no usable bundle exists: policy gates fail closed."""

    code = "policy-unavailable"


@dataclasses.dataclass(frozen=True, slots=True)
class UnavailablePolicy:
    reason: str

    @property
    def revision(self) -> str:
        return UNAVAILABLE

    def __call__(
        self,
        input_doc: Mapping[str, Any],  # noqa: ARG002 - the PolicyEvaluator signature
    ) -> PolicyVerdict:
        raise PolicyUnavailable(self.reason)


@dataclasses.dataclass(frozen=True, slots=True)
class BundleEvaluator:
    engine: PolicyEngine
    bundle: PolicyBundle

    @property
    def revision(self) -> str:
        return self.bundle.revision

    def __call__(self, input_doc: Mapping[str, Any]) -> PolicyVerdict:
        decision = self.engine.evaluate(self.bundle, input_doc)
        return PolicyVerdict(
            revision=decision.revision,
            deny=tuple((m.package, m.msg) for m in decision.deny),
            warn=tuple((m.package, m.msg) for m in decision.warn),
        )


def current_policy(
    uow: UnitOfWork, runtime: GateRuntime, now: datetime
) -> BundleEvaluator | UnavailablePolicy:
    if runtime.engine is None or runtime.policy_dir is None:
        return UnavailablePolicy("no policy bundle configured (set SLUICE_POLICY_DIR)")
    try:
        bundle = runtime.load_bundle()
    except PolicyError as exc:
        return UnavailablePolicy(f"the policy bundle does not compile: {exc}")
    if runtime.bundle_stored(bundle.revision):
        pass  # seen committed before; policy_bundles is append-only
    elif uow.gates.get_bundle(bundle.revision) is not None:
        runtime.remember_stored_bundle(bundle.revision)
    else:
        uow.gates.add_bundle(
            StoredPolicyBundle(
                revision=bundle.revision,
                modules=[
                    {"path": m.path, "source": m.source, "package": m.package}
                    for m in bundle.modules
                ],
                data=dict(bundle.data),
                created_at=now,
            )
        )
    return BundleEvaluator(runtime.engine, bundle)


def stored_policy(
    uow: UnitOfWork, runtime: GateRuntime, rec: GateDecisionRecord
) -> BundleEvaluator | UnavailablePolicy | None:
    revision = rec.policy_revision
    if revision is None:
        return None
    if revision == UNAVAILABLE:
        for check in rec.checks:
            for reason in check.get("reasons", []):
                if str(reason).startswith(_UNAVAILABLE_PREFIX):
                    return UnavailablePolicy(str(reason).removeprefix(_UNAVAILABLE_PREFIX))
        return UnavailablePolicy("no policy bundle configured (set SLUICE_POLICY_DIR)")
    stored = uow.gates.get_bundle(revision)
    if stored is None or runtime.engine is None:
        return UnavailablePolicy(f"policy bundle {revision} is not available for replay")
    modules = tuple(PolicyModule(m["path"], m["source"], m["package"]) for m in stored.modules)
    bundle = PolicyBundle(f"stored:{revision}", revision, modules, stored.data)
    return BundleEvaluator(runtime.engine, bundle)
