"""Linking deployments, changes and incidents (issue 13 §2) on hand-worked histories."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.delivery import commit, dep, h, history, incident, pull, sha

from sluicegate.domain.delivery.linking import LinkRules, link


def test_the_worked_history_links_as_written() -> None:
    linked = link(*history())
    assert [d.key for d in linked.deployments] == ["ci/d1", "ci/d2", "ci/d3", "ci/d4", "ci/d5"]
    shipped = sorted((c.change, c.deployment) for c in linked.changes)
    # d1 is the first deployment (attributes nothing); b1 is p1's commit, counted once as p1.
    assert shipped == [("git/c-c2", "ci/d2"), ("git/c-c3", "ci/d3"), ("git/p1", "ci/d2")]
    p1 = next(c for c in linked.changes if c.change == "git/p1")
    assert p1.lead_time == timedelta(hours=7)
    assert [(i.incident, i.deployment, i.rule) for i in linked.incidents] == [
        ("pager/i1", "ci/d3", "window")
    ]
    assert dict(linked.failed) == {
        "ci/d3": ("incident pager/i1 (window)",),
        "ci/d4": ("status failure", "rolled back by ci/d5"),
    }
    assert dict(linked.rework) == {"ci/d5": ("kind rollback",)}


def test_the_first_deployment_attributes_everything_when_configured() -> None:
    linked = link(*history(), LinkRules(first_deployment_attributes=True))
    assert ("git/c-a1", "ci/d1") in {(c.change, c.deployment) for c in linked.changes}


def test_only_production_and_finished_deployments_count() -> None:
    deployments = [
        dep("s1", 1, 2, [("r", "a1")], environment="staging"),
        dep("p1", 1, 2, [("r", "a1")]),
        dep("x1", 3, 4, [("r", "a1")], status="cancelled"),
    ]
    assert [d.key for d in link(deployments, [], []).deployments] == ["ci/p1"]


def test_one_row_per_repo_of_one_release_collapses_into_one_deployment() -> None:
    rows = [
        dep("front", 1, 3, [("web", "w1")]),
        dep("back", 2, 4, [("api", "a1")], status="failure"),
        dep("later", 10, 11, [("web", "w2")]),
        dep("same-repo", 10.5, 12, [("web", "w3")]),  # overlaps "later" but on the same repo
    ]
    linked = link(rows, [], [])
    first = linked.deployments[0]
    assert first.rows == (("ci", "front"), ("ci", "back"))
    assert first.revisions == (("api", sha("a1")), ("web", sha("w1")))
    assert first.status.value == "failure"  # one failed part fails the release
    assert (first.started_at, first.finished_at) == (h(1), h(4))
    assert [d.key for d in linked.deployments[1:]] == ["ci/later", "ci/same-repo"]


def test_changes_are_attributed_per_service_and_repo_and_once() -> None:
    deployments = [
        dep("a1", 0, 1, [("r", "x0")], service="a"),
        dep("b1", 0, 1, [("r", "x0")], service="b"),
        dep("a2", 5, 6, [("r", "x2")], service="a"),
        dep("a3", 7, 8, [("r", "x2")], service="a"),  # a redeploy ships nothing new
        dep("b2", 9, 10, [("r", "x2")], service="b"),
    ]
    changes = [commit("c-x0", 0), commit("c-x1", 2), commit("c-x2", 3)]
    shipped = sorted((c.change, c.deployment) for c in link(deployments, changes, []).changes)
    assert shipped == [
        ("git/c-x1", "ci/a2"),
        ("git/c-x1", "ci/b2"),
        ("git/c-x2", "ci/a2"),
        ("git/c-x2", "ci/b2"),
    ]


def test_a_deployment_of_an_unknown_sha_cuts_at_its_start() -> None:
    deployments = [dep("d1", 0, 1, [("r", "zz")]), dep("d2", 5, 6, [("r", "unknown")])]
    changes = [commit("c-early", 2), commit("c-late", 5.5)]  # the second lands after d2 started
    shipped = [c.change for c in link(deployments, changes, []).changes]
    assert shipped == ["git/c-early"]


def test_an_unmerged_pull_request_is_never_deployed() -> None:
    deployments = [dep("d1", 0, 1, [("r", "zz")]), dep("d2", 5, 6, [("r", "c1")])]
    changes = [commit("c-c1", 3), pull("open", 2, None, landed="o1", commits=[("o1", 1)])]
    assert [c.change for c in link(deployments, changes, []).changes] == ["git/c-c1"]


def test_incident_rules_apply_in_order_of_precedence() -> None:
    deployments = [
        dep("d1", 0, 1, [("r", "s1")]),
        dep("d2", 2, 3, [("r", "s2")]),
        dep("d3", 4, 5, [("r", "s3")]),
        dep("rb", 7, 8, [("r", "s1")], kind="rollback", rollback_of="d2"),
    ]
    changes = [commit("c-s1", 0), commit("c-s2", 1.5), commit("c-s3", 3.5)]
    incidents = [
        # explicit beats every other rule
        incident("explicit", 6, 9, caused_by_deployment="d1", root_cause_sha=sha("s3")),
        # a root-cause sha beats the rollback and the window
        incident("sha", 6, 9, root_cause_sha=sha("s2")),
        # a rollback during the incident names what it undoes
        incident("rollback", 6, 9),
        # with nothing else, the latest production deployment within the window
        incident("window", 5.5, 6.5),
        # an explicit link to nothing known falls through to the next rule
        incident("unknown", 5.5, 6.5, caused_by_deployment="nope"),
        incident("not-change", 6, 9, change_induced=False),
        incident("too-late", 40, 41),
        incident("elsewhere", 6, 9, services=("other",)),
    ]
    linked = link(deployments, changes, incidents)
    rules = {i.incident.removeprefix("pager/"): (i.deployment, i.rule) for i in linked.incidents}
    assert rules == {
        "explicit": ("ci/d1", "explicit"),
        "sha": ("ci/d2", "root-cause-sha"),
        "rollback": ("ci/d2", "rollback"),
        "window": ("ci/d3", "window"),
        "unknown": ("ci/d3", "window"),
    }
    assert sorted(linked.unlinked_incidents) == [
        "pager/elsewhere",
        "pager/not-change",
        "pager/too-late",
    ]


def test_the_incident_window_is_configurable() -> None:
    deployments = [dep("d1", 0, 1, [("r", "s1")])]
    incidents = [incident("i", 3, 4)]
    assert link(deployments, [], incidents).incidents[0].rule == "window"
    narrow = LinkRules(incident_window=timedelta(hours=1))
    assert link(deployments, [], incidents, narrow).unlinked_incidents == ("pager/i",)


def test_rework_rules_and_their_per_service_overrides() -> None:
    from sluicegate.domain.delivery.linking import ReworkRules

    deployments = [
        dep("d0", 0, 1, [("r", "s0")]),
        dep("unplanned", 2, 3, [("r", "s1")], planned=False),
        dep("revert", 5, 6, [("r", "s2")]),
        dep("fix", 9, 10, [("r", "s3")]),
        dep("hotfix", 11, 12, [("r", "s3")], kind="hotfix"),
    ]
    changes = [
        commit("c-s0", 0),
        commit("c-s1", 1),
        commit("c-s2", 4, reverts=sha("s1")),
        pull("p-fix", 7, 8, landed="s3", commits=[("f1", 6.5)], labels=("bug",)),
    ]
    incidents = [incident("i", 7.5, 10.5, change_induced=True)]
    linked = link(deployments, changes, incidents)
    assert dict(linked.rework) == {
        "ci/unplanned": ("planned: false",),
        "ci/revert": ("ships revert git/c-s2",),
        "ci/fix": ("ships fix git/p-fix (bug) during an incident",),
        "ci/hotfix": ("kind hotfix",),
    }
    lenient = LinkRules(rework_by_service={"shop": ReworkRules(kinds=frozenset(), reverts=False)})
    assert set(link(deployments, changes, incidents, lenient).rework) == {
        "ci/unplanned",
        "ci/fix",
    }


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=0, max_value=3))
def test_redelivery_and_reordering_change_no_link(rnd: object, copies: int) -> None:
    import random

    assert isinstance(rnd, random.Random)
    expected = link(*history())
    deployments, changes, incidents = history()
    deployments += deployments[:copies]
    changes += changes[:copies]
    incidents += incidents[: min(copies, 1)]
    for items in (deployments, changes, incidents):
        rnd.shuffle(items)
    again = link(deployments, changes, incidents)
    assert again.deployments == expected.deployments
    assert sorted(again.changes, key=repr) == sorted(expected.changes, key=repr)
    assert again.incidents == expected.incidents
    assert dict(again.failed) == dict(expected.failed)
    assert dict(again.rework) == dict(expected.rework)
