"""The database attacker of the audit tamper tests: switch the append-only triggers of the ledger
off as an attacker with write access would, run any SQL, and switch them back on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, text

__all__ = ["TABLES", "attack", "sql", "triggers"]

TABLES = ("audit_events", "audit_checkpoints", "audit_keys")


def triggers(conn: Connection, *, enable: bool) -> None:
    for table in TABLES:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(f"ALTER TABLE {table} {'ENABLE' if enable else 'DISABLE'} TRIGGER USER")
            )
            continue
        for verb in ("UPDATE", "DELETE"):
            name = f"{table}_no_{verb.lower()}"
            if enable:
                conn.execute(
                    text(
                        f"CREATE TRIGGER {name} BEFORE {verb} ON {table} BEGIN SELECT "
                        f"RAISE(ABORT, '{table} is append-only (audit ledger)'); END"
                    )
                )
            else:
                conn.execute(text(f"DROP TRIGGER {name}"))


def sql(statement: str, **params: Any) -> tuple[str, dict[str, Any]]:
    return statement, params


def attack(engine: Engine, *statements: tuple[str, dict[str, Any]]) -> None:
    """Switch the append-only triggers off, run the statements, switch them back on."""
    with engine.begin() as conn:
        triggers(conn, enable=False)
        for statement, params in statements:
            conn.execute(text(statement), params)
        triggers(conn, enable=True)
