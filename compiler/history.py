"""`pol batch --history`: each application evaluated against the enterprise's earlier grants, in SQL.

The ledger's rules, lowered (ir.Received, ir.Schedule), become SQL over a table of past grants:

- an amount already received (every scoped cap's remainder, every `received` input) is the applicant's
  stated value plus the sum of the history's grants of those clauses (or of lower levels, for
  `received local`) for the same enterprise before the application's date, of the same item and in
  the same year or quarter where the scope says so — as `pol eval-profile` fills it;
- 一次性 (`once`, without a key) pays nothing when the history holds a grant of the clause for the same
  enterprise and item; 期限N年 pays nothing from the N-th year after the first year the clause paid it.

The applications need the columns `enterprise` and `date` (and `item`, when clauses are paid per
product, project or insurance policy); the history needs `enterprise`, `date`, `policy`, `clause` and
`amount`, with `item` and `level` where known. A grant counts when its date is before the application's.
"""

from __future__ import annotations

from pol.compiler import ir
from pol.compiler.backends.sql import NUM, quote, string
from pol.compiler.engines import InputError

ENTERPRISE, DATE, ITEM = "enterprise", "date", "item"
HISTORY_COLUMNS = ("enterprise", "date", "policy", "clause", "amount")
HISTORY_OPTIONAL = ("item", "level")
# The application's keys as the facts carry them, apart from any input's name.
KEYS = {ENTERPRISE: "__enterprise", DATE: "__date", ITEM: "__item"}


def check_columns(applications: dict[str, str], history: dict[str, str]) -> None:
    """InputError naming every column the two tables need and do not have."""
    problems = [f"the applications have no column '{c}'" for c in (ENTERPRISE, DATE) if c not in applications]
    problems += [f"the history has no column '{c}'" for c in HISTORY_COLUMNS if c not in history]
    if problems:
        raise InputError(
            "; ".join(problems) + " (with --history, each application names its enterprise and date, and each "
            "grant its enterprise, date, policy, clause and amount)"
        )


def key_columns(applications: dict[str, str]) -> list[str]:
    """The application's enterprise, date and item, typed, for the facts table."""
    item = f"CAST({quote(ITEM)} AS VARCHAR)" if ITEM in applications else "CAST(NULL AS VARCHAR)"
    return [
        f"CAST({quote(ENTERPRISE)} AS VARCHAR) AS {quote(KEYS[ENTERPRISE])}",
        f"TRY_CAST({quote(DATE)} AS DATE) AS {quote(KEYS[DATE])}",
        f"{item} AS {quote(KEYS[ITEM])}",
    ]


def grants_table(history: dict[str, str]) -> str:
    """The history, typed: a grant whose date or amount cannot be read stops the run (checked apart)."""
    item = f"CAST({quote(ITEM)} AS VARCHAR)" if ITEM in history else "CAST(NULL AS VARCHAR)"
    level = "CAST(level AS VARCHAR)" if "level" in history else "CAST(NULL AS VARCHAR)"
    return (
        "SELECT CAST(enterprise AS VARCHAR) AS enterprise, TRY_CAST(date AS DATE) AS date, "
        "CAST(policy AS VARCHAR) AS policy, CAST(clause AS VARCHAR) AS clause, "
        f"{item} AS item, {level} AS level, TRY_CAST(CAST(amount AS VARCHAR) AS {NUM}) AS amount FROM history_raw"
    )


BAD_GRANTS = "SELECT __grant FROM grants WHERE date IS NULL OR amount IS NULL OR amount < 0 ORDER BY __grant LIMIT 5"


def _same(policy: str, clauses: tuple[str, ...] | None, item: bool, facts: str) -> list[str]:
    """The conditions a grant meets to count for an application: same enterprise, earlier, same clauses and item."""
    where = [f"g.enterprise = {facts}.{quote(KEYS[ENTERPRISE])}", f"g.date < {facts}.{quote(KEYS[DATE])}"]
    where.append(f"g.policy = {string(policy)}")
    if clauses is not None:
        where.append(f"g.clause IN ({', '.join(string(c) for c in clauses)})")
    if item:
        where.append(f"g.item IS NOT DISTINCT FROM {facts}.{quote(KEYS[ITEM])}")
    return where


def received(key: str, spec: ir.Input, stated: str, facts: str) -> str:
    """SQL for an input the ledger fills: what the applicant states plus the history's grants in its scope."""
    r = spec.received
    assert r is not None
    if r.levels is not None:
        where = [f"g.enterprise = {facts}.{quote(KEYS[ENTERPRISE])}", f"g.date < {facts}.{quote(KEYS[DATE])}"]
        where.append(f"g.level IN ({', '.join(string(level) for level in r.levels) or 'NULL'})")
        if r.same_item:
            where.append(f"g.item IS NOT DISTINCT FROM {facts}.{quote(KEYS[ITEM])}")
    else:
        where = _same(key, r.clauses, r.same_item, facts)
    day = f"{facts}.{quote(KEYS[DATE])}"
    if r.period is not None:
        where.append(f"year(g.date) = year({day})")
    if r.period == "quarter":
        where.append(f"quarter(g.date) = quarter({day})")
    total = f"(SELECT COALESCE(SUM(g.amount), 0) FROM grants g WHERE {' AND '.join(where)} AND g.amount > 0)"
    return f"(COALESCE({stated}, 0) + {total})"


def scheduled_out(key: str, clause: ir.Clause, facts: str) -> str | None:
    """SQL that is true when the clause's schedule (once, duration) leaves nothing for the application."""
    s = clause.schedule
    if s is None:
        return None
    same = " AND ".join([*_same(key, (clause.id,), True, facts), "g.amount > 0"])
    parts = []
    if s.once:
        parts.append(f"EXISTS (SELECT 1 FROM grants g WHERE {same})")
    if s.years is not None:
        first = f"(SELECT min(year(g.date)) FROM grants g WHERE {same})"
        parts.append(f"COALESCE(year({facts}.{quote(KEYS[DATE])}) >= {first} + {s.years}, FALSE)")
    return " OR ".join(parts) if parts else None
