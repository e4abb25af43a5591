"""The SQL backend: every clause of a lowered policy as column expressions over exact decimals, one row per applicant.

The Python and JavaScript evaluators run a clause step by step and stop at the first fact that is
missing, the first table without a row, the first division by zero. Columns cannot stop, so each
expression here is compiled to a pair: its *state* (0 computed, 1 a fact is missing, 2 no row of a
table or tier applies, 3 a division by zero) and its *value* (meaningful when the state is 0). A
state is the first non-zero state of the parts in the order the evaluators run them, so a row gets
the status the Python evaluator gives it. Amounts are DECIMAL(38, 12) after every operation: facts have
at most 6 decimals, so sums and products of two are exact, and each clause's amount is rounded once,
to the fen, half up (ROUND on a non-negative decimal). A division is carried to 12 decimals in
128-bit integers, since the engines divide decimals in floating point.

The SQL is DuckDB's; `compiler/population/batch.py` runs it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import attrs

from pol.compiler import ir

SCALE = 12
NUM = f"DECIMAL(38, {SCALE})"
NARROW = 18  # the digits of a DECIMAL the engines keep in a 64-bit integer
FACT_DIGITS = 15  # a fact is below 10^15 (runtime.MAX_VALUE), with at most 6 decimals (MAX_PLACES)


def _whole_digits(v: Decimal) -> int:
    whole = abs(int(v))
    return len(str(whole)) if whole else 1


def _places(v: Decimal) -> int:
    return max(-v.as_tuple().exponent, 0)  # type: ignore[operator]


def decimal_type(digits: int, places: int) -> str:
    """The type of a value with at most `digits` before the point and `places` after: a 64-bit DECIMAL when
    it fits one (the engines compute those several times faster), else the 38-digit NUM as before."""
    if digits + places <= NARROW:
        return f"DECIMAL({max(digits + places, 1)}, {places})"
    return NUM


OK, MISSING, NO_ROW, UNDEFINED = 0, 1, 2, 3
CASH = (None, "资金")
NONE = f"CAST(NULL AS {NUM})"  # no amount: typed, as a bare NULL is not a number in every engine


def quote(name: str) -> str:
    """A column name in double quotes (Chinese names, keywords and quotes all safe)."""
    return '"' + name.replace('"', '""') + '"'


def string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@attrs.frozen
class Code:
    """An expression compiled to SQL: its state (0 computed, 1 missing, 2 no row, 3 undefined) and value."""

    state: str
    value: str


def first_state(*states: str) -> str:
    """The first non-zero of several states, in order: the failure the evaluators would meet first."""
    live = []
    for s in states:
        if s != "0":
            live.append(s)
        if s.isdigit() and s != "0":
            break  # a state known when compiling: those after it are never reached
    if not live:
        return "0"
    if len(live) == 1:
        return live[0]
    return "COALESCE(" + ", ".join(f"NULLIF({s}, 0)" for s in live) + ", 0)"


def definition_state(state: str) -> str:
    """A definition's state from its value's: one that cannot be computed for want of a fact or a row is
    absent (missing); one that divides by zero stays impossible wherever it is used. Folded when known."""
    if state.isdigit():
        return str(MISSING) if state in ("1", "2") else state
    return f"(CASE WHEN {state} IN (1, 2) THEN 1 ELSE {state} END)"


def _scaled(x: str) -> str:
    """A decimal as the 128-bit integer of its 10^-SCALE units (no product that could overflow DECIMAL(38))."""
    whole = f"CAST(floor({x}) AS HUGEINT)"
    part = f"CAST(({x} - floor({x})) * CAST(1{'0' * SCALE} AS DECIMAL(38, 0)) AS HUGEINT)"
    return f"({whole} * CAST(1{'0' * SCALE} AS HUGEINT) + {part})"


def divide(a: str, b: str) -> str:
    """a / b to SCALE decimals, truncated, in 128-bit integers: engines divide decimals in floating point.

    The quotient's whole part, then its decimals six at a time, so no intermediate exceeds 10^34.
    """
    ai, bi = _scaled(a), _scaled(b)
    six = "CAST(1000000 AS HUGEINT)"
    rest = f"({ai} % {bi})"
    first = f"(({rest} * {six}) // {bi})"
    second = f"(((({rest} * {six}) % {bi}) * {six}) // {bi})"
    # Each part scaled by a constant of its own decimals: NUM times NUM would keep 24 decimals, room for only
    # 14 whole digits, and a quotient above 10^14 would overflow.
    return (
        f"CAST(CAST({ai} // {bi} AS DECIMAL(38, 0)) + CAST({first} AS DECIMAL(38, 0)) * CAST('0.000001' AS DECIMAL(38, 6)) "
        f"+ CAST({second} AS DECIMAL(38, 0)) * CAST('0.000000000001' AS {NUM}) AS {NUM})"
    )


def divide_scaled(a: str, b: str, sa: int, sb: int) -> str:
    """a / b to SCALE decimals, truncated, where a has at most `sa` decimals and b at most `sb`: integers
    N = a·10^(sa+sb) and D = b·10^(sa+sb), the whole quotient N // D, then SCALE decimals of the remainder.

    Two pieces, each below 10^18, because Spark's integer division gives a 64-bit result; the caller keeps N
    and D within 24 digits, so the remainder times 10^SCALE stays within 38.
    """
    n = f"CAST(CAST({a} AS DECIMAL(38, {sa})) * {10 ** (sa + sb)} AS HUGEINT)"
    d = f"CAST(CAST({b} AS DECIMAL(38, {sb})) * {10 ** (sa + sb)} AS HUGEINT)"
    whole = f"({n} // {d})"
    decimals = f"((({n} % {d}) * CAST(1{'0' * SCALE} AS HUGEINT)) // {d})"
    return (
        f"CAST(CAST({whole} AS DECIMAL(38, 0)) + CAST({decimals} AS DECIMAL(38, 0)) "
        f"* CAST('0.{'0' * (SCALE - 1)}1' AS {NUM}) AS {NUM})"
    )


class SqlGenerator:
    """Compiles a lowered program into SELECT-list expressions over a relation of facts."""

    def __init__(
        self,
        program: ir.Program,
        columns: dict[str, str] | None = None,
        given: frozenset[str] = frozenset(),
        absent: frozenset[str] = frozenset(),
        bounds: dict[str, tuple[int, int]] | None = None,
    ):
        self.prog = program
        self.lets = {let.name: let for let in program.lets}
        self.columns = columns or {}  # input name -> column holding it, when renamed
        # What is known of the relation before it is read: inputs given in every row need no test for a
        # missing fact, inputs given in none are missing everywhere, so their states are constants.
        self.given, self.absent = given, absent
        # For each numeric input, the digits before and after the point its values have (read off the
        # population before the plan is made): expressions whose bounds fit 18 digits are computed in 64-bit
        # DECIMALs. Without bounds, every input may be any fact (15 digits and 6 decimals).
        self.bounds = bounds or {}
        self.let_cache: dict[str, Code] = {}

    def column(self, name: str) -> str:
        return quote(self.columns.get(name, name))

    # ------------------------------------------------------------ expressions

    def const(self, value: object) -> str:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, Decimal):
            return f"CAST({string(format(value, 'f'))} AS {decimal_type(_whole_digits(value), _places(value))})"
        if isinstance(value, datetime.date):
            return f"DATE {string(value.isoformat())}"
        return string(str(value))

    def expr(self, e: ir.Expr) -> Code:
        method = getattr(self, f"expr_{type(e).__name__}")
        return method(e)

    def expr_Const(self, e: ir.Const) -> Code:
        return Code("0", self.const(e.value))

    def expr_Ref(self, e: ir.Ref) -> Code:
        if e.name in self.lets:
            if e.name not in self.let_cache:
                inner = self.expr(self.lets[e.name].value)
                self.let_cache[e.name] = Code(definition_state(inner.state), inner.value)
            return self.let_cache[e.name]
        col = self.column(e.name)
        if e.name in self.given:
            return Code("0", col)
        if e.name in self.absent:
            return Code(str(MISSING), col)
        return Code(f"(CASE WHEN {col} IS NULL THEN 1 ELSE 0 END)", col)

    def expr_Arith(self, e: ir.Arith) -> Code:
        a, b = self.expr(e.left), self.expr(e.right)
        if e.op == "/":
            state = first_state(a.state, b.state, f"(CASE WHEN {b.value} = 0 THEN {UNDEFINED} ELSE 0 END)")
            sa, sb = self.scale(e.left), self.scale(e.right)
            da, db = self.digits(e.left), self.digits(e.right)
            if da + sa + sb <= 24 and db + sa + sb <= 24 and da + sb <= 18:
                # Both bounded: the operands as integers of their last decimals, two 128-bit divisions
                # (within 24 digits; a whole quotient within 18, as Spark's division needs).
                return Code(state, divide_scaled(a.value, f"NULLIF({b.value}, 0)", sa, sb))
            return Code(state, divide(a.value, f"NULLIF({b.value}, 0)"))
        if e.op == "every":
            # Whole steps, in 128-bit integers as division is; none when the quantity is not above zero.
            state = first_state(a.state, b.state, f"(CASE WHEN {b.value} <= 0 THEN {UNDEFINED} ELSE 0 END)")
            steps = f"({_scaled(a.value)} // {_scaled(f'NULLIF({b.value}, 0)')})"
            return Code(state, f"CAST(CASE WHEN {a.value} > 0 THEN {steps} ELSE 0 END AS {NUM})")
        if e.op == "*" and self.type_of(e) != NUM:
            # Each operand cast to exactly its bounds, so the engine multiplies 64-bit integers.
            left = f"CAST({a.value} AS {self.type_of(e.left, exact=True)})"
            right = f"CAST({b.value} AS {self.type_of(e.right, exact=True)})"
            return Code(first_state(a.state, b.state), f"CAST(({left} * {right}) AS {self.type_of(e)})")
        if e.op == "*":
            # A product's scale is the sum of its operands': each is cast to the decimals it can have (a
            # rate such as 40% to 1, a fact to 6), so the product stays exact and within 38 digits.
            sa, sb = self.scale(e.left), self.scale(e.right)
            while sa + sb > 18:
                sa, sb = (sa - 1, sb) if sa >= sb else (sa, sb - 1)
            left, right = f"CAST({a.value} AS DECIMAL(38, {sa}))", f"CAST({b.value} AS DECIMAL(38, {sb}))"
            return Code(first_state(a.state, b.state), f"CAST(({left} * {right}) AS {NUM})")
        op = {"+": "+", "-": "-"}[e.op]
        return Code(first_state(a.state, b.state), f"CAST(({a.value} {op} {b.value}) AS {self.type_of(e)})")

    def type_of(self, e: ir.Expr, exact: bool = False) -> str:
        """The SQL type of `e`'s values; with `exact`, of precisely its bounds (an operand of a product)."""
        digits, places = self.digits(e), self.scale(e)
        if exact and digits + places <= NARROW:
            return f"DECIMAL({max(digits + places, 1)}, {places})"
        return decimal_type(digits, places)

    def digits(self, e: ir.Expr) -> int:
        """The most digits before the point a value of `e` can have, from its facts' bounds and its figures."""
        match e:
            case ir.Const(value=Decimal() as v):
                return _whole_digits(v)
            case ir.Ref(name=n):
                if n in self.lets:
                    return self.digits(self.lets[n].value)
                return self.bounds.get(n, (FACT_DIGITS, 6))[0]
            case ir.Arith(op="*", left=left, right=right):
                return self.digits(left) + self.digits(right)
            case ir.Arith(op="+" | "-", left=left, right=right):
                return max(self.digits(left), self.digits(right)) + 1
            case ir.Arith():
                return 38 - SCALE  # a quotient, or a count of steps: as wide as NUM holds
        if (choices := ir.branches(e)) is not None:
            return max(self.digits(c) for c in choices)
        return 38 - SCALE

    def scale(self, e: ir.Expr) -> int:
        """The most decimals a value of `e` can have: facts have at most 6; a product adds its operands'."""
        match e:
            case ir.Const(value=Decimal() as v):
                return _places(v)
            case ir.Ref(name=n):
                return self.scale(self.lets[n].value) if n in self.lets else self.bounds.get(n, (FACT_DIGITS, 6))[1]
            case ir.Arith(op="*", left=left, right=right):
                return min(self.scale(left) + self.scale(right), SCALE)
            case ir.Arith(op="/"):
                return SCALE
            case ir.Arith(op="every"):
                return 0
            case ir.Arith(left=left, right=right):
                return max(self.scale(left), self.scale(right))
        if (choices := ir.branches(e)) is not None:
            return max(self.scale(c) for c in choices)
        return SCALE

    def expr_Extreme(self, e: ir.Extreme) -> Code:
        args = [self.expr(a) for a in e.args]
        fn = "LEAST" if e.kind == "min" else "GREATEST"
        value = f"{fn}({', '.join(a.value for a in args)})" if len(args) > 1 else args[0].value
        return Code(first_state(*(a.state for a in args)), value)

    def expr_Compare(self, e: ir.Compare) -> Code:
        a, b = self.expr(e.left), self.expr(e.right)
        op = {"==": "=", "!=": "<>"}.get(e.op, e.op)
        return Code(first_state(a.state, b.state), f"({a.value} {op} {b.value})")

    def expr_OneOf(self, e: ir.OneOf) -> Code:
        s = self.expr(e.subject)
        opts = [self.expr(o) for o in e.options]
        return Code(
            first_state(s.state, *(o.state for o in opts)), f"({s.value} IN ({', '.join(o.value for o in opts)}))"
        )

    def _sequence(self, items: tuple[ir.Expr, ...], stop_on: bool) -> Code:
        """`and` (stop_on False) or `or` (stop_on True), left to right, stopping as Python's operators do."""
        codes = [self.expr(i) for i in items]
        state_cases: list[str] = []
        for c in codes:
            if c.state != "0":
                state_cases.append(f"WHEN {c.state} <> 0 THEN {c.state}")
            state_cases.append(f"WHEN {'' if stop_on else 'NOT '}{c.value} THEN 0")
        state = "(CASE " + " ".join(state_cases) + " ELSE 0 END)"
        joiner = " OR " if stop_on else " AND "
        return Code(state, "(" + joiner.join(c.value for c in codes) + ")")

    def expr_All(self, e: ir.All) -> Code:
        return self._sequence(e.items, stop_on=False)

    def expr_AnyOf(self, e: ir.AnyOf) -> Code:
        return self._sequence(e.items, stop_on=True)

    def expr_Not(self, e: ir.Not) -> Code:
        c = self.expr(e.item)
        return Code(c.state, f"(NOT {c.value})")

    def expr_Table(self, e: ir.Table) -> Code:
        key = self.expr(ir.Ref(e.key, e.key_unit))
        rows = [(", ".join(self.expr(k).value for k in row.keys), self.expr(row.value)) for row in e.rows]
        default = self.expr(e.default) if e.default is not None else None
        states = [f"WHEN {key.value} IN ({keys}) THEN {code.state}" for keys, code in rows]
        values = [f"WHEN {key.value} IN ({keys}) THEN {code.value}" for keys, code in rows]
        state = (
            f"(CASE WHEN {key.state} <> 0 THEN {key.state} {' '.join(states)} "
            f"ELSE {default.state if default else NO_ROW} END)"
        )
        value = f"(CASE {' '.join(values)} ELSE {default.value if default else 'NULL'} END)"
        return Code(state, value)

    def expr_Tiers(self, e: ir.Tiers) -> Code:
        states, values = [], []
        for tier in reversed(e.tiers):  # the highest tier reached applies
            cond, val = self.expr(tier.condition), self.expr(tier.value)
            if cond.state != "0":
                states.append(f"WHEN {cond.state} <> 0 THEN {cond.state}")
                values.append(f"WHEN {cond.state} <> 0 THEN NULL")
            states.append(f"WHEN {cond.value} THEN {val.state}")
            values.append(f"WHEN {cond.value} THEN {val.value}")
        return Code(f"(CASE {' '.join(states)} ELSE {NO_ROW} END)", f"(CASE {' '.join(values)} ELSE NULL END)")

    # ------------------------------------------------------------ clauses

    def clause(self, c: ir.Clause) -> dict[str, str]:
        """The clause's status, amount, maximum and minimum as SQL expressions."""
        conds = [self.expr(cond.expr) for cond in c.conditions]
        refused = " OR ".join(f"({k.state} = {UNDEFINED} OR ({k.state} = 0 AND NOT {k.value}))" for k in conds)
        missing = " OR ".join(f"{k.state} = {MISSING}" for k in conds)
        g = c.grant
        steps: list[Code] = []
        if g.mode == "case_by_case":
            caps = [self.expr(cap.value) for cap in c.caps]
            steps += caps
            # LEAST of one value is that value (and Spark wants two or more arguments).
            amount = (
                (f"LEAST({', '.join(k.value for k in caps)})" if len(caps) > 1 else caps[0].value) if caps else "NULL"
            )
            low = "NULL"
        else:
            low = "NULL"
            if g.low is not None:
                lo = self.expr(g.low)
                steps.append(lo)
                low = lo.value
            assert g.value is not None
            v = self.expr(g.value)
            steps.append(v)
            amount = v.value
            digits, places = self.digits(g.value), self.scale(g.value)
            for step in c.adjustments():
                k = self.expr(step.value)
                steps.append(k)
                if isinstance(step, ir.Offset):
                    digits, places = max(digits, self.digits(step.value)) + 1, max(places, self.scale(step.value))
                    t = decimal_type(digits, places)
                    amount = f"GREATEST(CAST(({amount}) - ({k.value}) AS {t}), CAST(0 AS {t}))"
                else:
                    amount = f"LEAST({amount}, GREATEST({k.value}, CAST(0 AS {self.type_of(step.value)})))"
        grant_state = first_state(*(k.state for k in steps))
        amount = f"ROUND({amount}, 2)" if amount != "NULL" else "NULL"
        low = f"ROUND({low}, 2)" if low != "NULL" else "NULL"
        granted = {"exact": "granted", "case_by_case": "case_by_case"}.get(g.mode, "discretionary")
        status = (
            "(CASE "
            + (f"WHEN {refused} THEN 'not_eligible' " if conds else "")
            + (f"WHEN {missing} THEN 'needs_facts' " if conds else "")
            + f"WHEN {grant_state} = {MISSING} THEN 'needs_facts' "
            f"WHEN {grant_state} IN ({NO_ROW}, {UNDEFINED}) THEN 'not_eligible' ELSE {string(granted)} END)"
        )
        return {"status": status, "offered": granted, "amount": amount, "low": low, "mode": g.mode}
