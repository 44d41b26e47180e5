"""Google Four Keys' metric queries (github.com/dora-team/fourkeys), ported to PostgreSQL 15.

Four Keys derives three tables from ``four_keys.events_raw`` in BigQuery (queries/deployments.sql,
queries/changes.sql, queries/incidents.sql) and computes the four keys over them. Here the derived
tables are loaded directly from the benchmark's generated history, in a schema ``four_keys``:

* ``deployments (source, deploy_id, time_created, main_commit, changes text[], service)``: the
  successful deployments only (deployments.sql keeps ``status = success`` events), ``changes``
  the commits of the push behind the deployed sha (a rollback lists the commits of the
  deployment it redeploys, as deployments.sql's join on ``main_commit`` does);
* ``changes (change_id, time_created, event_type)``: one row per commit (``push``), its sha and
  author time;
* ``incidents (source, incident_id, time_created, time_resolved, changes text[], service)``:
  ``changes`` the root-cause sha when there is one (``ARRAY_AGG(root_cause IGNORE NULLS)``),
  ``time_created`` the earlier of the root cause's deployment and the opening, as incidents.sql
  computes it.

``service`` is an addition (Four Keys has no service dimension: one installation per project);
the one-service variants filter on it. The tables get the indexes a PostgreSQL user would add
(``changes.change_id``, each table's ``time_created``, ``service``); BigQuery has none.

The queries are those of the shipped Grafana dashboard (dashboard/fourkeys_dashboard.json),
which read a 3-month window: the four stat panels "Deployment Frequency", "Lead Time to Change
Bucket", "Change Failure Rate" and "Median Time to Restore Services"; and the daily series of
queries/ (lead_time_for_changes.sql, change_failure_rate.sql, time_to_restore_services.sql and
the dashboard's "Daily Deployments" panel, as queries/ has no deployment frequency file) over
the whole history, as written. The incidents-by-change subquery of the change failure rate is a
``MATERIALIZED`` CTE (the same rows): as a plain subquery PostgreSQL's planner rebuilds it once
per deployment row (a nested loop, 35 s for the daily series at 50 services), which would
measure the planner rather than the query. docs/benchmarks/delivery.md lists each translation.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg

from benchmarks._delivery_data import History, copy_rows

__all__ = ["SERIES", "STATS", "create", "load", "run"]

SCHEMA = """
CREATE SCHEMA four_keys;
CREATE TABLE four_keys.deployments (
  source text NOT NULL, deploy_id text NOT NULL, time_created timestamptz NOT NULL,
  main_commit text, changes text[] NOT NULL, service text NOT NULL
);
CREATE TABLE four_keys.changes (
  change_id text NOT NULL, time_created timestamptz NOT NULL, event_type text NOT NULL
);
CREATE TABLE four_keys.incidents (
  source text NOT NULL, incident_id text NOT NULL, time_created timestamptz NOT NULL,
  time_resolved timestamptz, changes text[] NOT NULL, service text NOT NULL
);
"""
INDEXES = """
CREATE INDEX ON four_keys.changes (change_id);
CREATE INDEX ON four_keys.changes (time_created);
CREATE INDEX ON four_keys.deployments (time_created);
CREATE INDEX ON four_keys.deployments (service, time_created);
CREATE INDEX ON four_keys.incidents (time_created);
CREATE INDEX ON four_keys.incidents (service, time_created);
"""

# {d} / {s}: the one-service filter on the table aliased d / on an unaliased table ("" for the
# organisation).
# %(start)s / %(end)s: the window (the dashboard's "> DATE_SUB(CURRENT_DATE(), INTERVAL 3
# MONTH)", with the benchmark's fixed "now" as the upper bound).

#: dashboard panel "Deployment Frequency" (stat)
DEPLOYMENT_FREQUENCY = """
WITH last_three_months AS (
  SELECT day::timestamptz AS day
  FROM generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS day
  -- FROM the start of the data
  WHERE day > (SELECT min(time_created)::date FROM four_keys.changes)
),
weeks AS (
  SELECT
    date_trunc('week', l.day + interval '1 day') - interval '1 day' AS week,
    MAX(CASE WHEN deployments.day IS NOT NULL THEN 1 ELSE 0 END) AS week_deployed,
    COUNT(DISTINCT deployments.day) AS days_deployed
  FROM last_three_months l
  LEFT JOIN (
    SELECT date_trunc('day', time_created) AS day, deploy_id
    FROM four_keys.deployments WHERE true {s}
  ) deployments ON deployments.day = l.day
  GROUP BY week
),
inner_q AS (
  SELECT
    (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY days_deployed) FROM weeks) >= 3 AS daily,
    (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY week_deployed) FROM weeks) >= 1 AS weekly,
    SUM(week_deployed) OVER (PARTITION BY date_trunc('month', week)) AS monthly_deploys
  FROM weeks
)
SELECT
  CASE WHEN daily THEN 'Daily'
       WHEN weekly THEN 'Weekly'
       WHEN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY monthly_deploys) FROM inner_q) >= 1
         THEN 'Monthly'
       ELSE 'Yearly'
  END AS deployment_frequency
FROM inner_q
LIMIT 1
"""

#: dashboard panel "Lead Time to Change Bucket" (stat)
LEAD_TIME = """
SELECT
  CASE
    WHEN median_time_to_change < 24 * 60 THEN 'One day'
    WHEN median_time_to_change < 168 * 60 THEN 'One week'
    WHEN median_time_to_change < 730 * 60 THEN 'One month'
    WHEN median_time_to_change < 730 * 6 * 60 THEN 'Six months'
    ELSE 'One year'
  END AS lead_time_to_change,
  median_time_to_change
FROM (
  SELECT COALESCE(
    percentile_cont(0.5) WITHIN GROUP (ORDER BY
      -- Ignore automated pushes
      CASE WHEN trunc(extract(epoch FROM d.time_created - c.time_created) / 60) > 0
           THEN trunc(extract(epoch FROM d.time_created - c.time_created) / 60) END),
    0) AS median_time_to_change  -- Minutes
  FROM four_keys.deployments d
  CROSS JOIN LATERAL unnest(d.changes) AS changes(change)
  LEFT JOIN four_keys.changes c ON changes.change = c.change_id
  WHERE d.time_created > %(start)s AND d.time_created < %(end)s {d}
) x
"""

#: dashboard panel "Change Failure Rate" (stat)
CHANGE_FAILURE_RATE = """
SELECT
  CASE WHEN change_fail_rate <= .15 THEN '0-15%%'
       WHEN change_fail_rate < .46 THEN '16-45%%'
       ELSE '46-60%%' END AS change_fail_rate_bucket,
  change_fail_rate
FROM (
  WITH i AS MATERIALIZED (
    SELECT incident_id, change, time_resolved
    FROM four_keys.incidents i CROSS JOIN LATERAL unnest(i.changes) AS change
  )
  SELECT
    CASE WHEN COUNT(DISTINCT change_id) = 0 THEN 0
         ELSE SUM(CASE WHEN i.incident_id IS NULL THEN 0 ELSE 1 END)::float8
              / COUNT(DISTINCT deploy_id) END AS change_fail_rate
  FROM four_keys.deployments d
  CROSS JOIN LATERAL unnest(d.changes) AS changes(change)
  LEFT JOIN four_keys.changes c ON changes.change = c.change_id
  LEFT JOIN i ON i.change = changes.change
  -- Limit to 3 months
  WHERE d.time_created > %(start)s AND d.time_created < %(end)s {d}
) x
LIMIT 1
"""

#: dashboard panel "Median Time to Restore Services" (stat)
TIME_TO_RESTORE = """
SELECT
  CASE WHEN med_time_to_resolve < 24 THEN 'One day'
       WHEN med_time_to_resolve < 168 THEN 'One week'
       WHEN med_time_to_resolve < 730 THEN 'One month'
       WHEN med_time_to_resolve < 730 * 6 THEN 'Six months'
       ELSE 'One year' END AS med_time_to_resolve_bucket,
  med_time_to_resolve
FROM (
  SELECT
    percentile_cont(0.5) WITHIN GROUP (ORDER BY
      trunc(extract(epoch FROM time_resolved - time_created) / 3600)) AS med_time_to_resolve
  FROM four_keys.incidents
  -- Limit to 3 months
  WHERE time_created > %(start)s AND time_created < %(end)s {s}
) x
LIMIT 1
"""

#: dashboard panel "Daily Deployments" (queries/ has no deployment frequency file)
DAILY_DEPLOYMENTS = """
SELECT date_trunc('day', time_created) AS day, COUNT(DISTINCT deploy_id) AS deployments
FROM four_keys.deployments WHERE true {s}
GROUP BY day ORDER BY day
"""

#: queries/lead_time_for_changes.sql
DAILY_LEAD_TIME = """
SELECT day, COALESCE(
  percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE WHEN minutes > 0 THEN minutes END), 0)
  AS median_time_to_change  -- Hours (the file says; the figure is minutes)
FROM (
  SELECT d.deploy_id, date_trunc('day', d.time_created) AS day,
         trunc(extract(epoch FROM d.time_created - c.time_created) / 60) AS minutes
  FROM four_keys.deployments d
  CROSS JOIN LATERAL unnest(d.changes) AS changes(change)
  LEFT JOIN four_keys.changes c ON changes.change = c.change_id
  WHERE true {d}
) x
GROUP BY day ORDER BY day DESC
"""

#: queries/change_failure_rate.sql
DAILY_CHANGE_FAILURE_RATE = """
WITH i AS MATERIALIZED (
  SELECT incident_id, change, time_resolved
  FROM four_keys.incidents i CROSS JOIN LATERAL unnest(i.changes) AS change
)
SELECT date_trunc('day', d.time_created) AS day,
  COUNT(DISTINCT CASE WHEN i.incident_id IS NULL THEN NULL ELSE deploy_id END)::float8
    / COUNT(DISTINCT deploy_id) AS change_fail_rate
FROM four_keys.deployments d
CROSS JOIN LATERAL unnest(d.changes) AS changes(change)
LEFT JOIN four_keys.changes c ON changes.change = c.change_id
LEFT JOIN i ON i.change = changes.change
WHERE true {d}
GROUP BY day
"""

#: queries/time_to_restore_services.sql (repo_name: the service)
DAILY_TIME_TO_RESTORE = """
SELECT date_trunc('day', time_created) AS day, service AS repo_name,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY
    trunc(extract(epoch FROM time_resolved - time_created) / 60)) AS daily_median_time_to_restore
FROM four_keys.incidents WHERE true {s}
GROUP BY day, repo_name ORDER BY day
"""

STATS = {
    "deployment_frequency": DEPLOYMENT_FREQUENCY,
    "lead_time": LEAD_TIME,
    "change_failure_rate": CHANGE_FAILURE_RATE,
    "time_to_restore": TIME_TO_RESTORE,
}
SERIES = {
    "deployment_frequency": DAILY_DEPLOYMENTS,
    "lead_time": DAILY_LEAD_TIME,
    "change_failure_rate": DAILY_CHANGE_FAILURE_RATE,
    "time_to_restore": DAILY_TIME_TO_RESTORE,
}


def sql(template: str, service: str | None) -> str:
    d = "" if service is None else "AND d.service = %(service)s"
    s = "" if service is None else "AND service = %(service)s"
    return template.format(d=d, s=s)


def create(conn: psycopg.Connection[Any]) -> None:
    conn.execute(SCHEMA)
    conn.commit()


def _deployments(history: History) -> Iterator[tuple[Any, ...]]:
    for d in history.deployments:
        if d.status == "success":
            yield ("bench", d.id, d.finished_at, d.sha, list(d.changes), d.service)


def load(conn: psycopg.Connection[Any], history: History) -> None:
    """COPY the history into the Four Keys tables, index and ANALYZE them."""
    copy_rows(
        conn,
        "four_keys.deployments",
        ["source", "deploy_id", "time_created", "main_commit", "changes", "service"],
        _deployments(history),
    )
    copy_rows(
        conn,
        "four_keys.changes",
        ["change_id", "time_created", "event_type"],
        ((c.sha, c.authored_at, "push") for c in history.commits),
    )
    copy_rows(
        conn,
        "four_keys.incidents",
        ["source", "incident_id", "time_created", "time_resolved", "changes", "service"],
        (
            (
                "pagerduty",
                i.id,
                i.fourkeys_created_at,
                i.resolved_at,
                [] if i.root_cause_sha is None else [i.root_cause_sha],
                i.service,
            )
            for i in history.incidents
        ),
    )
    conn.execute(INDEXES)
    conn.commit()
    autocommit = conn.autocommit
    conn.autocommit = True
    for table in ("deployments", "changes", "incidents"):
        conn.execute(f"ANALYZE four_keys.{table}")
    conn.autocommit = autocommit


def run(
    conn: psycopg.Connection[Any],
    template: str,
    start: datetime,
    end: datetime,
    service: str | None,
) -> list[tuple[Any, ...]]:
    params = {"start": start, "end": end, "service": service}
    with conn.cursor() as cur:
        cur.execute(sql(template, service), params)
        return list(cur.fetchall())
