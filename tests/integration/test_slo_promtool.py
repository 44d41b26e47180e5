"""The generated rule file against the real ``promtool``: ``check rules`` accepts it, and
``test rules`` on synthetic series shows the burn-rate alerts fire when the SRE Workbook says.

The SLO: 99.9 % of api requests without a 5xx over 30 days (budget 0.001). Good requests come
at 100 a minute, sampled every minute; the error counter sets the burn rate.

* **Fast burn** (page): 6 h healthy, then 2 errors a minute (ratio 2/102, about 19.6x the
  budget). Over 1 h the ratio after t minutes is 2t / (6000 + 2t), above 14.4 x 0.001 from
  t = 43.8: the page fires at 6h44m, not at 6h43m (the 5m ratio is above it all along).
* **Slow burn** (ticket, no page): 1 d healthy, then 0.4 errors a minute (about 4x). The 3d
  window holds the whole history, so its ratio passes 1 x 0.001 at t = 480.8 minutes (1d8h01m;
  the 6h ratio is above it); 4x never reaches the page factors (14.4, 6).
* **Below 1x** (nothing): 0.05 errors a minute (0.5x) for three days.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.support.binaries import require_binary
from tests.support.slo import EXAMPLES, openslo_slo

from sluicegate.domain.slo import parse_documents, parse_openslo, rule_file

GOOD = 'http_requests_total{job="api",code="200"}'
BAD = 'http_requests_total{job="api",code="500"}'
IDS = {"sluicegate_service": "api", "sluicegate_slo": "availability", "team": "core"}


def _slo_doc() -> dict[str, Any]:
    doc = openslo_slo()
    doc["spec"]["timeWindow"] = [{"duration": "30d", "isRolling": True}]
    doc["metadata"]["annotations"] = {
        "sluicegate.dev/page-alert": "ApiPage",
        "sluicegate.dev/ticket-alert": "ApiTicket",
    }
    return doc


@pytest.fixture
def promtool() -> Path:
    return require_binary("promtool", "/usr/bin/promtool")


@pytest.fixture
def rules(tmp_path: Path) -> dict[str, Any]:
    document = rule_file(parse_openslo([_slo_doc()]))
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return document


def _run(promtool: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(promtool), *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300
    )


def test_promtool_checks_the_rules(promtool: Path, rules: dict[str, Any], tmp_path: Path) -> None:
    done = _run(promtool, "check", "rules", "rules.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    count = sum(len(g["rules"]) for g in rules["groups"])
    assert f"SUCCESS: {count} rules found" in done.stdout


def test_promtool_checks_the_rules_of_the_examples(promtool: Path, tmp_path: Path) -> None:
    slos = [
        slo
        for path in sorted(EXAMPLES.glob("*.yaml"))
        for slo in parse_documents(list(yaml.safe_load_all(path.read_text())))
    ]
    (tmp_path / "examples.yaml").write_text(yaml.safe_dump(rule_file(slos), sort_keys=False))
    done = _run(promtool, "check", "rules", "examples.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def _alert(rules: dict[str, Any], name: str, severity: str) -> dict[str, Any]:
    rule = next(r for g in rules["groups"] for r in g["rules"] if r.get("alert") == name)
    return {
        "exp_labels": {**IDS, "sluicegate_severity": severity},
        "exp_annotations": {
            "summary": f"api availability: the error budget burns too fast ({severity})",
            "description": rule["annotations"]["description"],
        },
    }


def _check(alertname: str, at: str, expected: list[dict[str, Any]]) -> dict[str, Any]:
    return {"eval_time": at, "alertname": alertname, "exp_alerts": expected}


def test_promtool_unit_tests_fire_the_alerts_on_time(
    promtool: Path, rules: dict[str, Any], tmp_path: Path
) -> None:
    page, ticket = _alert(rules, "ApiPage", "page"), _alert(rules, "ApiTicket", "ticket")
    tests = [
        {  # fast burn: the page at 6h44m
            "interval": "1m",
            "input_series": [
                {"series": GOOD, "values": "0+100x480"},
                {"series": BAD, "values": "0x360 2+2x119"},
            ],
            "alert_rule_test": [
                _check("ApiPage", "6h", []),
                _check("ApiPage", "6h43m", []),
                _check("ApiPage", "6h44m", [page]),
                _check("ApiPage", "7h30m", [page]),
            ],
        },
        {  # slow burn: the ticket at 1d8h01m, never the page
            "interval": "1m",
            "input_series": [
                {"series": GOOD, "values": "0+100x2100"},
                {"series": BAD, "values": "0x1440 0.4+0.4x659"},
            ],
            "alert_rule_test": [
                _check("ApiTicket", "1d7h55m", []),
                _check("ApiTicket", "1d8h5m", [ticket]),
                _check("ApiTicket", "1d10h", [ticket]),
                *(_check("ApiPage", at, []) for at in ("1d6h", "1d8h5m", "1d10h")),
            ],
        },
        {  # below 1x: nothing, ever
            "interval": "1m",
            "input_series": [
                {"series": GOOD, "values": "0+100x4330"},
                {"series": BAD, "values": "0+0.05x4330"},
            ],
            "alert_rule_test": [
                _check(name, at, [])
                for name in ("ApiPage", "ApiTicket")
                for at in ("10m", "1h", "6h", "1d", "2d", "3d")
            ],
            "promql_expr_test": [
                {
                    "expr": "slo:error_budget:ratio",
                    "eval_time": "1h",
                    "exp_samples": [{"labels": _labels("slo:error_budget:ratio"), "value": 0.001}],
                },
                {
                    "expr": "slo:time_period:days",
                    "eval_time": "1h",
                    "exp_samples": [{"labels": _labels("slo:time_period:days"), "value": 30}],
                },
            ],
        },
    ]
    unit = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        # recordings before the alerts that read them, in each evaluation
        "group_eval_order": [g["name"] for g in rules["groups"]],
        "tests": tests,
    }
    (tmp_path / "slo_test.yaml").write_text(yaml.safe_dump(unit, sort_keys=False))
    done = _run(promtool, "test", "rules", "slo_test.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def _labels(metric: str) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(IDS.items()))
    return f"{metric}{{{inner}}}"


def test_promtool_fails_a_wrong_expectation(
    promtool: Path, rules: dict[str, Any], tmp_path: Path
) -> None:
    """The unit test above can fail: a page expected one minute too early is a failure."""
    unit = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "group_eval_order": [g["name"] for g in rules["groups"]],
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": GOOD, "values": "0+100x480"},
                    {"series": BAD, "values": "0x360 2+2x119"},
                ],
                "alert_rule_test": [_check("ApiPage", "6h43m", [_alert(rules, "ApiPage", "page")])],
            }
        ],
    }
    (tmp_path / "wrong_test.yaml").write_text(yaml.safe_dump(unit, sort_keys=False))
    done = _run(promtool, "test", "rules", "wrong_test.yaml", cwd=tmp_path)
    assert done.returncode != 0
