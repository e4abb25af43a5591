"""`pol synth` drawn in the engine: each input by its role in the policy, a million rows a second, reproducible.

A row's values come from hashes of (seed, row, input), not from a generator's state, so any row can be drawn
alone, in any order, on any number of threads, and the same seed gives the same bytes. Every figure is a
whole number of its smallest step (fen, square metre, percentage point) computed in integers: no float
ever decides a value.

What an input means decides how it is drawn (`Role`):

- a fact compared with figures is drawn, in a fifth of the rows, exactly at one of them or one step either
  side, where the rules change their answer; an amount counted in whole steps (`每满 N`) likewise at its
  first steps;
- an amount already received (one the ledger fills, deducted by an `offset`, or subtracted from a limit)
  is drawn below the limit it counts against, and is 0 in a third of the rows, so its limit is reached
  only as often as it is in life;
- money is log-uniform from 1万 to 50亿 (each decade as likely), to the fen; a rank is a place from 1.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs

from pol.compiler import ir
from pol.compiler.backends.sql import quote, string
from pol.compiler.population.synth import STEP

AT_EDGES = 2000  # in 10,000ths: the rows drawn at a threshold or one step beside it
MISSING = 1000  # in 10,000ths: the rows where a fact is left out (empty), by default
RECEIVED_NONE = 3333  # in 10,000ths: the rows that have received nothing yet
# Money, in fen: a decade from 10^6 fen (1万元) up, its first digit and the rest drawn uniformly; the
# highest decade stops at 50亿元.
DECADES = ((6, 10), (7, 10), (8, 10), (9, 10), (10, 10), (11, 5))


# The bits of the first hash each choice reads: the share of rows missing, at a figure, which figure,
# which side of it, whether nothing was received, the decade of an amount.
SLICES = {"x": (1, 0), "g": (1, 14), "f": (1, 28), "s": (1, 36), "z": (1, 40), "d": (1, 54)}


@attrs.frozen
class Role:
    """How one input is drawn: its figures to sit on, and the limit below which it lies when it is received."""

    spec: ir.Input
    edges: tuple[Decimal, ...]
    below: Decimal | None = None  # an amount received against this limit
    received: bool = False

    @property
    def places(self) -> int:
        """The decimals its column holds: its step's, or more where a figure it is compared with has more."""
        step = STEP.get(self.spec.kind, Decimal(1))
        return max([-step.as_tuple().exponent, *(-e.as_tuple().exponent for e in self.edges)])  # type: ignore[operator]


def _limit(e: ir.Expr, lets: dict[str, ir.Expr]) -> Decimal | None:
    """The largest figure an expression can be when it is made of figures (a table, tiers, a constant)."""
    match e:
        case ir.Const(value=Decimal() as v):
            return v
        case ir.Ref(name=n) if n in lets:
            return _limit(lets[n], lets)
    found = [_limit(c, lets) for c in ir.branches(e) or ()]
    return max((f for f in found if f is not None), default=None)


STEPS_DRAWN = 5  # the first whole 每满 steps an amount is drawn at (or beside), as at a threshold


def _steps(node: object) -> tuple[str, set[Decimal]] | None:
    """For `X 每满 N` (or `(X - B) 每满 N`) of a fact X: X and the amounts where one more step is counted."""
    match node:
        case ir.Arith(op="every", left=ir.Ref(name=name), right=ir.Const(value=Decimal() as step)):
            base = Decimal(0)
        case ir.Arith(
            op="every",
            left=ir.Arith(op="-", left=ir.Ref(name=name), right=ir.Const(value=Decimal() as base)),
            right=ir.Const(value=Decimal() as step),
        ):
            pass
        case _:
            return None
    if step <= 0:
        return None
    return name, {base + step * k for k in range(1, STEPS_DRAWN + 1)}


def roles(programs: list[ir.Program]) -> list[Role]:
    """Each input of the programs (one per name) with what the rules say of it."""
    specs: dict[str, ir.Input] = {}
    edges: dict[str, set[Decimal]] = {}
    below: dict[str, Decimal] = {}
    received: set[str] = set()
    for p in programs:
        lets = {let.name: let.value for let in p.lets}
        for spec in p.inputs:
            specs.setdefault(spec.name, spec)
            if spec.received is not None:
                received.add(spec.name)
        for name, values in ir.compared(p.clauses + p.lets + p.limits).items():
            edges.setdefault(name, set()).update(v for v in values if isinstance(v, Decimal))
        for node in ir.reached((p.clauses, p.lets, p.limits)):
            if (whole := _steps(node)) is not None:
                edges.setdefault(whole[0], set()).update(whole[1])
            if isinstance(node, ir.Offset):
                received.update(n.name for n in ir.reached(node.value) if isinstance(n, ir.Ref) and n.name in specs)
            if isinstance(node, ir.Arith) and node.op == "-" and isinstance(node.right, ir.Ref):
                limit = _limit(node.left, lets)
                if node.right.name in specs:
                    received.add(node.right.name)
                    if limit is not None:
                        below[node.right.name] = max(limit, below.get(node.right.name, Decimal(0)))
    return [
        Role(spec, tuple(sorted(edges.get(name, ()))), below.get(name), name in received)
        for name, spec in specs.items()
    ]


def steps(count: str, step: str, t: str) -> str:
    """A whole number of steps as a decimal of type `t`, multiplied exactly (a decimal divided is a float)."""
    # DECIMAL(16, 0) × DECIMAL(2, s) is a DECIMAL(18, s): 64-bit integers throughout, no 128-bit product.
    places = max(-Decimal(step).as_tuple().exponent, 0)  # type: ignore[operator]
    return f"CAST(CAST({count} AS DECIMAL(16, 0)) * CAST({string(step)} AS DECIMAL({places + 1}, {places})) AS {t})"


class Drawing:
    """The SELECT that draws `rows` applicants in the engine, a column per role."""

    def __init__(self, roles: list[Role], seed: int, missing: int = MISSING):
        self.roles = roles
        self.seed = seed
        self.missing = missing

    def uniform(self, k: int, salt: str, n: int | str) -> str:
        """A whole number from 0 to n - 1, the same for the same seed, row, input and purpose.

        Two hashes per input and row (the engine computes each once): the value from the second, every
        choice (missing, at a figure, which figure, which side) from its own bits of the first.
        """
        which, shift = SLICES.get(salt, (2, 0))
        return f"CAST((__h{which}_{k} >> {shift}) % {n} AS BIGINT)"

    def money_fen(self, k: int, salt: str) -> str:
        """Log-uniform money in fen: a decade at random, then a value within it."""
        cases = " ".join(
            f"WHEN {i} THEN {10**d} + {self.uniform(k, salt + 'v', (top - 1) * 10**d)}"
            for i, (d, top) in enumerate(DECADES)
        )
        return f"(CASE {self.uniform(k, salt + 'd', len(DECADES))} {cases} END)"

    def usual(self, k: int, role: Role) -> str:
        """A value away from the figures, in the column's type (before the edges and the missing are laid on)."""
        spec, t = role.spec, f"DECIMAL(18, {role.places})"
        kind = spec.kind
        if kind == "bool":
            return f"({self.uniform(k, 'b', 10_000)} < 6000)"
        if kind == "enum":
            members = spec.members or ("",)
            return f"(CASE {self.uniform(k, 'e', len(members))} {' '.join(f'WHEN {i} THEN {string(m)}' for i, m in enumerate(members))} END)"
        if kind == "date":
            return f"(DATE '2019-01-01' + CAST({self.uniform(k, 't', 8 * 365)} AS INTEGER))"
        if kind == "money":
            value = steps(self.money_fen(k, "m"), "0.01", t)
        elif kind == "money_per_area":
            value = steps(f"100 + {self.uniform(k, 'p', 4_999_900)}", "0.01", t)
        elif kind == "area":
            value = steps(f"50 + {self.uniform(k, 'a', 19_950)}", "1", t)
        elif kind == "ratio":
            value = steps(self.uniform(k, "r", 101), "0.01", t)
        elif spec.ordinal:
            value = steps(f"1 + {self.uniform(k, 'o', 50)}", "1", t)
        else:
            value = steps(self.uniform(k, "n", 11), "1", t)
        if role.received:
            # Below its limit (a step under at most), or a tenth of a usual value when no figure bounds it.
            count = int(role.below / STEP[kind]) if role.below is not None and kind in STEP else 0
            under = (
                steps(self.uniform(k, "u", count), str(STEP[kind]), t)
                if count
                else f"CAST({value} * CAST('0.1' AS DECIMAL(2, 1)) AS {t})"
            )
            value = f"(CASE WHEN {self.uniform(k, 'z', 10_000)} < {RECEIVED_NONE} THEN CAST(0 AS {t}) ELSE {under} END)"
        return f"CAST({value} AS {t})"

    def column(self, k: int, role: Role) -> str:
        """The input's SQL: missing in a share of rows, at a figure or beside it in another, usual otherwise."""
        spec = role.spec
        value = self.usual(k, role)
        if role.edges and spec.kind in STEP:
            t = f"DECIMAL(18, {role.places})"
            step, low = STEP[spec.kind], Decimal(1) if spec.ordinal else Decimal(0)
            beside = steps(self.uniform(k, "s", 3) + " - 1", str(step), t)  # one step below, on it, or above
            figures = " ".join(f"WHEN {i} THEN {string(str(e))}" for i, e in enumerate(role.edges))
            at = (
                f"GREATEST(CAST((CASE {self.uniform(k, 'f', len(role.edges))} {figures} END) AS {t}) "
                f"+ {beside}, CAST({string(str(low))} AS {t}))"
            )
            value = f"(CASE WHEN {self.uniform(k, 'g', 10_000)} < {AT_EDGES} THEN CAST({at} AS {t}) ELSE {value} END)"
        if self.missing:
            value = f"(CASE WHEN {self.uniform(k, 'x', 10_000)} < {self.missing} THEN NULL ELSE {value} END)"
        return f"{value} AS {quote(spec.name)}"

    def select(self, rows: int) -> str:
        columns = [self.column(k, role) for k, role in enumerate(self.roles)] or ["NULL AS __none"]
        hashes = [f"hash({self.seed}, range, {k}, {w}) AS __h{w}_{k}" for k in range(len(self.roles)) for w in (1, 2)]
        return f"SELECT {', '.join(columns)} FROM (SELECT {', '.join(['range', *hashes])} FROM range({int(rows)}))"


def write(programs: list[ir.Program], rows: int, out: Path, seed: int = 2021, missing: int = MISSING) -> list[str]:
    """Draw `rows` applicants for the programs into `out` (CSV or Parquet), staged and moved into place; the
    columns written."""
    import duckdb

    from pol.compiler.files import staged

    found = roles(programs)
    query = Drawing(found, seed, missing).select(rows)
    fmt = "PARQUET" if out.suffix.lower() == ".parquet" else "CSV, HEADER"
    with staged(out) as staging, duckdb.connect() as con:
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET enable_progress_bar = false")
        con.execute(f"COPY ({query}) TO {string(str(staging))} (FORMAT {fmt})")
    return [r.spec.name for r in found]
