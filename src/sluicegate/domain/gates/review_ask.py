"""Which stage reviews a stage's gates count: the stage and the reviewer domains that matter.

A stage review (an approval or a rejection of a promotion into one stage) is only worth
recording if a gate of that stage reads it. :func:`review_ask` says, for one experiment, which
reviewer domains the stage's human-approval gates count:

- an ``approval`` gate counts its rules' domains, plus the risk level's required sign-offs when
  ``risk_signoffs`` is on (the default); a rule by ``role`` counts a review in any domain;
- a ``review-board`` gate that the experiment's risk level requires counts any board member's
  review, whatever the domain;
- any other check with ``human_approval`` (a plugin) is assumed to count any domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sluicegate.domain.gates.checks import CheckRegistry, default_registry
from sluicegate.domain.gates.checks.review_board import DEFAULT_LEVELS
from sluicegate.domain.gates.context import ExperimentSummary
from sluicegate.domain.gates.process import StageDef

__all__ = ["ReviewAsk", "review_ask"]


@dataclass(frozen=True, slots=True)
class ReviewAsk:
    """What one stage's gates count of a stage review, for one experiment."""

    stage: str
    domains: frozenset[str] = frozenset()
    any_domain: bool = False

    @property
    def reads_reviews(self) -> bool:
        return self.any_domain or bool(self.domains)

    def counts(self, domain: str) -> bool:
        return self.any_domain or domain in self.domains

    def choose(self, held: Iterable[str]) -> str | None:
        """The first of ``held`` (in order) that counts, or None."""
        return next((d for d in held if self.counts(d)), None)


def review_ask(
    stage: StageDef, experiment: ExperimentSummary, registry: CheckRegistry | None = None
) -> ReviewAsk:
    registry = registry if registry is not None else default_registry()
    domains: set[str] = set()
    any_domain = False
    for gate in stage.gates:
        check = registry.get(gate.type)
        if check is None or not check.human_approval:
            continue
        config = gate.config
        if gate.type == "approval":
            for rule in config.get("rules", []) or []:
                if "role" in rule:
                    any_domain = True
                elif "domain" in rule:
                    domains.add(str(rule["domain"]))
            if config.get("risk_signoffs", True):
                domains.update(experiment.risk_list("required_signoffs"))
        elif gate.type == "review-board":
            level = experiment.risk_level
            levels = config.get("required_for", list(DEFAULT_LEVELS))
            any_domain = any_domain or (level is not None and level.value in levels)
        else:
            any_domain = True
    return ReviewAsk(stage.name, frozenset(domains), any_domain)
