"""`pol batch --history`: each application evaluated against the enterprise's earlier grants, in SQL.

The ledger's rules, lowered (ir.Received, ir.Schedule, a clause's subject), become joins of the
applications with a table of past grants, as `pol eval-profile` applies them to an event:

- an amount already received (every scoped cap's remainder, every `received` input) is the applicant's
  stated value plus the history's grants of those clauses (or of lower levels, for `received local`)
  for the same enterprise, of the same item and in the same year, quarter or month where the scope says so;
- 一次性 (`once` without a key) pays nothing when the history holds a grant of the clause for the same
  enterprise and item; 期限N年 pays nothing from the N-th year after the first year the clause paid it;
- 不可重复享受 pays nothing, and 从优就高不重复 only what exceeds, the grants for the same subject and item
  from other clauses or other governments, in any year.

A grant counts for an application when it is of the same enterprise and dated before the application.
The applications need the columns `enterprise` and `date` (and `item` where clauses are paid per
product, project or insurance policy); the history needs `enterprise`, `date`, `policy`, `clause` and
`amount`, and may give `item`, `level`, `subject` and `region` (for grants of other governments), and
the facts a `received … of` input sums (a column `租赁面积`: the area a grant subsidised, in 平方米).
Only joins on equal keys and aggregates are used, so DuckDB and Spark run it alike.
"""

from __future__ import annotations

from collections.abc import Callable

from pol.compiler import ir
from pol.compiler.backends.sql import NUM, quote, string
from pol.compiler.population.engines import InputError

ENTERPRISE, DATE, ITEM = "enterprise", "date", "item"
REQUIRED = ("enterprise", "date", "policy", "clause", "amount")
OPTIONAL = ("item", "level", "subject", "region")
# The application's keys as the facts carry them, apart from any input's name.
KEYS = {ENTERPRISE: "__enterprise", DATE: "__date", ITEM: "__item"}
APP_ENTERPRISE, APP_DATE, APP_ITEM = (quote(KEYS[k]) for k in (ENTERPRISE, DATE, ITEM))


def check_columns(applications: dict[str, str], history: dict[str, str]) -> None:
    """InputError naming every column the two tables need and do not have."""
    problems = [f"the applications have no column '{c}'" for c in (ENTERPRISE, DATE) if c not in applications]
    problems += [f"the history has no column '{c}'" for c in REQUIRED if c not in history]
    if problems:
        raise InputError(
            "; ".join(problems) + " (with --history, each application names its enterprise and date, and each "
            "grant its enterprise, date, policy, clause and amount)"
        )


def _text(column: str, present: dict[str, str], alias: str = "") -> str:
    """A text column trimmed, '' when absent or empty, so keys compare equal with no NULL in between."""
    if column not in present:
        return "''"
    return f"COALESCE(TRIM(CAST({alias}{quote(column)} AS VARCHAR)), '')"


def key_columns(applications: dict[str, str]) -> list[str]:
    """The application's enterprise, date and item, typed, for the facts table."""
    return [
        f"{_text(ENTERPRISE, applications)} AS {APP_ENTERPRISE}",
        f"TRY_CAST({quote(DATE)} AS DATE) AS {APP_DATE}",
        f"{_text(ITEM, applications)} AS {APP_ITEM}",
    ]


def origins(programs: dict[str, ir.Program]) -> str:
    """What the batch's own clauses are for the stacking rules: subject, exclusivity, region, 从优就高."""
    rows = [
        f"SELECT {string(key)} AS policy, {string(c.id)} AS clause, {string(c.subject)} AS subject, "
        f"{'TRUE' if c.exclusive else 'FALSE'} AS exclusive, "
        f"{string(p.region) if p.region else 'CAST(NULL AS VARCHAR)'} AS region, "
        f"{'TRUE' if p.best_only else 'FALSE'} AS best"
        for key, p in programs.items()
        for c in p.clauses
        if c.subject is not None
    ]
    if not rows:
        return (
            "SELECT CAST(NULL AS VARCHAR) AS policy, CAST(NULL AS VARCHAR) AS clause, CAST(NULL AS VARCHAR) AS "
            "subject, FALSE AS exclusive, CAST(NULL AS VARCHAR) AS region, FALSE AS best LIMIT 0"
        )
    return " UNION ALL ".join(rows)


def summed(programs: dict[str, ir.Program]) -> list[str]:
    """The facts that a `received … of` input sums over earlier grants: the history gives them by name."""
    return sorted({s.received.of for p in programs.values() for s in p.inputs if s.received and s.received.of})


def grants(history: dict[str, str], facts: list[str]) -> str:
    """The history typed, each grant with what the stacking rules read of it (from the batch's clauses or the row),
    and the facts `received … of` sums (the area a grant subsidised), in base units."""
    h = "h."
    quantities = "".join(
        f", TRY_CAST(TRIM(CAST(h.{quote(f)} AS VARCHAR)) AS {NUM}) AS {quote('q.' + f)}"
        if f in history
        else f", CAST(NULL AS {NUM}) AS {quote('q.' + f)}"
        for f in facts
    )
    subject = f"NULLIF({_text('subject', history, h)}, '')"
    region = f"NULLIF({_text('region', history, h)}, '')"
    return (
        f"SELECT h.__grant AS __grant, {_text(ENTERPRISE, history, h)} AS enterprise, "
        f"TRY_CAST(h.{quote(DATE)} AS DATE) AS date, {_text('policy', history, h)} AS policy, "
        f"{_text('clause', history, h)} AS clause, {_text(ITEM, history, h)} AS item, "
        f"NULLIF({_text('level', history, h)}, '') AS level, "
        f"TRY_CAST(TRIM(CAST(h.amount AS VARCHAR)) AS {NUM}) AS amount, "
        f"COALESCE(o.subject, {subject}) AS subject, COALESCE(o.region, {region}) AS region, "
        f"COALESCE(o.exclusive, FALSE) AS exclusive, COALESCE(o.best, FALSE) AS best{quantities} "
        "FROM history_raw h LEFT JOIN origins o "
        f"ON {_text('policy', history, h)} = o.policy AND {_text('clause', history, h)} = o.clause"
    )


BAD_GRANTS = (
    "SELECT __grant FROM grants WHERE date IS NULL OR amount IS NULL OR amount < 0 OR enterprise = '' "
    "ORDER BY __grant LIMIT 5"
)


def _earlier(facts: str, *where: str, same_item: bool) -> str:
    """Each application's earlier grants meeting `where`: same enterprise, an earlier day, paid something."""
    on = [f"g.enterprise = f.{APP_ENTERPRISE}", f"g.date < f.{APP_DATE}", "g.amount > 0", *where]
    if same_item:
        on.append(f"g.item = f.{APP_ITEM}")
    return f"FROM {facts} f JOIN grants g ON {' AND '.join(on)} GROUP BY f.__row"


def received(key: str, spec: ir.Input, facts: str) -> str:
    """Each application's sum of earlier grants in the scope of an input the ledger fills: (__row, s)."""
    r = spec.received
    assert r is not None
    if r.levels is not None:
        where = [f"g.level IN ({', '.join(string(level) for level in r.levels)})" if r.levels else "FALSE"]
        if r.subject is not None:
            where.append(f"g.subject = {string(r.subject)}")
    else:
        where = [f"g.policy = {string(key)}"]
        if r.clauses is not None:
            where.append(f"g.clause IN ({', '.join(string(c) for c in r.clauses)})")
    if r.period is not None:
        where.append(f"year(g.date) = year(f.{APP_DATE})")
    if r.period == "quarter":
        where.append(f"quarter(g.date) = quarter(f.{APP_DATE})")
    if r.period == "month":
        where.append(f"month(g.date) = month(f.{APP_DATE})")
    what = "g.amount" if r.of is None else f"g.{quote('q.' + r.of)}"
    return f"SELECT f.__row, SUM({what}) AS s {_earlier(facts, *where, same_item=r.same_item)}"


def schedule(key: str, clause: ir.Clause, facts: str) -> str:
    """Each application's earlier grants of the clause for the same item: how many, and the first year."""
    where = (f"g.policy = {string(key)}", f"g.clause = {string(clause.id)}")
    return f"SELECT f.__row, COUNT(*) AS n, MIN(year(g.date)) AS first {_earlier(facts, *where, same_item=True)}"


def stacking(key: str, program: ir.Program, clause: ir.Clause, facts: str) -> str:
    """Each application's earlier grants for the clause's subject and item from elsewhere: whether one forbids
    stacking (不可重复享受), and what 从优就高不重复 deducts."""
    assert clause.subject is not None
    where = (
        f"g.subject = {string(clause.subject)}",
        f"NOT (g.policy = {string(key)} AND g.clause = {string(clause.id)})",
    )
    same_region = f"g.region = {string(program.region)}" if program.region else "FALSE"
    best = f"({same_region} AND ({'TRUE' if program.best_only else 'FALSE'} OR g.best))"
    return (
        f"SELECT f.__row, MAX(CASE WHEN {'TRUE' if clause.exclusive else 'FALSE'} OR g.exclusive THEN 1 ELSE 0 END) "
        f"AS excl, SUM(CASE WHEN {best} THEN g.amount ELSE 0 END) AS best {_earlier(facts, *where, same_item=True)}"
    )


def plan(
    key: str,
    program: ir.Program,
    columns: list[str],
    parts: str,
    table: Callable[[str, str], None],
    stage: Callable[[str, str], None],
) -> str:
    """Create the tables that evaluate `program` against the history; return the name of its results table."""
    # Every amount already received, filled from the history beside what the applicant states.
    filled = {}
    for i, spec in enumerate(s for s in program.inputs if s.received is not None):
        name = quote(f"r_{key}_{i}")
        table(name, received(key, spec, "facts"))
        filled[spec.name] = name
    joins = "".join(f" LEFT JOIN {t} USING (__row)" for t in filled.values())
    listed = [
        f"COALESCE(facts.{quote(c)}, 0) + COALESCE({filled[c]}.s, 0) AS {quote(c)}"
        if c in filled
        else f"facts.{quote(c)} AS {quote(c)}"
        for c in columns
    ]
    facts = quote(f"f_{key}")
    # Staged: Spark would otherwise carry these plans into every expression of every clause.
    stage(facts, f"SELECT {', '.join(listed)} FROM facts{joins}")
    stage(quote(f"s_{key}"), f"SELECT {parts} FROM {facts}")
    # Then what the schedule and the stacking rules leave of each clause's amounts.
    joins, fields = "", [f"s.{quote('__row')}"]
    for j, c in enumerate(program.clauses):
        cut, less = [], "0"
        if c.schedule is not None and (c.schedule.once or c.schedule.years is not None):
            t = quote(f"sch_{key}_{j}")
            table(t, schedule(key, c, facts))
            joins += f" LEFT JOIN {t} USING (__row)"
            if c.schedule.once:
                cut.append(f"COALESCE({t}.n, 0) > 0")
            if c.schedule.years is not None:
                cut.append(f"COALESCE(year(f.{APP_DATE}) >= {t}.first + {c.schedule.years}, FALSE)")
        if c.subject is not None:
            t = quote(f"stk_{key}_{j}")
            table(t, stacking(key, program, c, facts))
            joins += f" LEFT JOIN {t} USING (__row)"
            cut.append(f"COALESCE({t}.excl, 0) = 1")
            less = f"COALESCE({t}.best, 0)"
        fields.append(f"s.{quote(c.id + '.status')}")
        for field in ("amount", "max_amount", "min_amount"):
            col = f"s.{quote(c.id + '.' + field)}"
            if not cut and less == "0":
                fields.append(col)
                continue
            zero = f"CAST(0 AS {NUM})"
            kept = f"GREATEST({col} - {less}, {zero})" if less != "0" else col
            gone = " OR ".join(cut) or "FALSE"
            fields.append(
                f"ROUND(CASE WHEN {col} IS NULL THEN NULL WHEN {gone} THEN {zero} ELSE {kept} END, 2) "
                f"AS {quote(c.id + '.' + field)}"
            )
    results = quote(f"p_{key}")
    table(results, f"SELECT {', '.join(fields)} FROM {quote(f's_{key}')} s JOIN {facts} f USING (__row){joins}")
    return facts
