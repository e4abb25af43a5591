"""A whole policy in SQL: its clauses' results over a relation of facts, as one SELECT list or as layers.

`SqlGenerator` (compiler/backends/sql.py) compiles expressions and one clause; `PolicySql` puts a policy's
clauses together: when the policy is in force, which amounts a status offers, the cash totals after the
limits. `select` gives one SELECT list (the batch against a history of grants joins its tables to it);
`layers` gives successive SELECT lists, each adding columns to the row, which an engine streams through:
each definition computed once, each amount only for the rows its status offers one to.
"""

from __future__ import annotations

import datetime

from pol.compiler import ir
from pol.compiler.backends.sql import CASH, NONE, NUM, Code, SqlGenerator, definition_state, quote, string


class PolicySql(SqlGenerator):
    """A lowered policy's clauses and totals as SQL over a relation with a column per fact."""

    def standing(self, as_of: datetime.date, day: str | None) -> str | None:
        """The policy's standing on `as_of` when it is not in force (each row's own `day` is judged per row)."""
        p = self.prog
        if day is None and p.effective is not None and as_of < p.effective:
            return "not_yet_effective"
        if day is None and p.expires is not None and as_of > p.expires:
            return "expired"
        return None

    def masked(self, code: dict[str, str], status: str, amount: str, low: str) -> tuple[str, str, str]:
        """A clause's amount, maximum and minimum, given only when its status offers them."""
        if status == "TRUE":  # the amounts were computed only where the status offers them
            exact = amount if code["mode"] == "exact" else NONE
            return exact, amount, f"LEAST({low}, {amount})" if code["mode"] == "range" else NONE
        ok = f"{status} = {string(code['offered'])}"
        exact = f"(CASE WHEN {ok} THEN {amount} END)" if code["mode"] == "exact" else NONE
        minimum = f"(CASE WHEN {ok} THEN LEAST({low}, {amount}) END)" if code["mode"] == "range" else NONE
        return exact, f"(CASE WHEN {ok} THEN {amount} END)", minimum

    def cash(self) -> tuple[list[str], list[str]]:
        """The clauses whose amounts, and whose maxima, the cash totals add up."""
        amounts = [c.id for c in self.prog.clauses if c.support in CASH]
        maxima = [c.id for c in self.prog.clauses if c.support in CASH and c.grant.mode != "case_by_case"]
        return amounts, maxima

    def select(self, as_of: datetime.date, row_id: str, day: str | None = None) -> tuple[str, list[str], list[str]]:
        """The SELECT list (the row id, then each clause's status, amount, maximum and minimum), and the clauses
        whose amounts and maxima the cash totals add up.

        With `day`, a column of dates, each row is judged on its own day as the ledger judges an event:
        outside the policy's period, or before the projects it counts (events_from), nothing is offered.
        """
        standing = self.standing(as_of, day)
        parts = [quote(row_id)]
        for c in self.prog.clauses:
            code = self.clause(c)
            if standing is not None:
                status, amount, maximum, minimum = string(standing), NONE, NONE, NONE
            else:
                status = code["status"] if day is None else self.on_day(day, code["status"])
                amount, maximum, minimum = self.masked(code, status, code["amount"], code["low"])
            parts += [
                f"{status} AS {quote(c.id + '.status')}",
                f"{amount} AS {quote(c.id + '.amount')}",
                f"{maximum} AS {quote(c.id + '.max_amount')}",
                f"{minimum} AS {quote(c.id + '.min_amount')}",
            ]
        return ",\n  ".join(parts), *self.cash()

    def layers(self, as_of: datetime.date, prefix: str) -> list[list[str]]:
        """The policy as successive SELECT lists, each adding columns to the one before: the definitions (each
        computed once per row however many clauses read it), each clause's status and unmasked amount, then
        its amount, maximum and minimum as `{prefix}{clause}.{field}`, then the totals.

        A row's expressions are then as long as one clause's, not every clause's copy of every definition.
        """
        layers: list[list[str]] = []
        for names in self.depths():
            layer = []
            for name in names:
                inner = self.expr(self.lets[name].value)
                state = definition_state(inner.state)
                value, known = quote(f"{prefix}let.{name}"), quote(f"{prefix}let?.{name}")
                layer.append(f"{inner.value} AS {value}")
                if state.isdigit():  # known when compiling: no column
                    self.let_cache[name] = Code(state, value)
                else:
                    layer.append(f"{state} AS {known}")
                    self.let_cache[name] = Code(known, value)
            layers.append(layer)
        standing = self.standing(as_of, None)
        statuses, amounts, outer = [], [], []
        for c in self.prog.clauses:
            col = {f: quote(f"{prefix}{c.id}.{f}") for f in ("status", "amount", "max_amount", "min_amount")}
            if standing is not None:
                outer += [f"{string(standing)} AS {col['status']}"] + [f"{NONE} AS {col[f]}" for f in list(col)[1:]]
                continue
            code = self.clause(c)
            # The status needs only the states of the parts; the amount is then computed for the rows it
            # offers one to, as a hand-written CASE would, not for every row.
            statuses.append(f"{code['status']} AS {col['status']}")
            ok = f"{col['status']} = {string(code['offered'])}"
            amount, low = quote(f"{prefix}{c.id}.~amount"), quote(f"{prefix}{c.id}.~low")
            amounts.append(f"(CASE WHEN {ok} THEN {code['amount']} END) AS {amount}")
            if code["mode"] == "range":
                amounts.append(f"(CASE WHEN {ok} THEN {code['low']} END) AS {low}")
            masked = self.masked(code, "TRUE", amount, low)
            outer += [f"{m} AS {col[f]}" for m, f in zip(masked, ("amount", "max_amount", "min_amount"), strict=True)]
        layers += [statuses, amounts, outer, self.totals(*self.cash(), prefix=prefix)]
        return [layer for layer in layers if layer]

    def amount_digits(self, c: ir.Clause) -> int:
        """The most digits before the point the clause's amount can have: its grant's (caps and deductions
        only lower it), or its caps' when the amount is decided case by case."""
        g = c.grant
        if g.mode == "case_by_case":
            return min((self.digits(cap.value) for cap in c.caps), default=38)
        assert g.value is not None
        return max([self.digits(g.value)] + ([self.digits(g.low)] if g.low is not None else []))

    def depths(self) -> list[list[str]]:
        """The definitions in layers: those that read no definition first, then those that read only them, …"""
        depth: dict[str, int] = {}

        def of(name: str) -> int:
            if name not in depth:
                depth[name] = 0  # a definition is never its own (the checker refuses cycles)
                read = {
                    n.name for n in ir.reached(self.lets[name].value) if isinstance(n, ir.Ref) and n.name in self.lets
                }
                depth[name] = 1 + max((of(r) for r in read), default=-1)
            return depth[name]

        levels: list[list[str]] = []
        for let in self.prog.lets:
            d = of(let.name)
            levels += [[] for _ in range(d + 1 - len(levels))]
            levels[d].append(let.name)
        return levels

    def on_day(self, day: str, status: str) -> str:
        """A clause's status judged on each row's own day: out of force or before events_from, nothing else counts."""
        p = self.prog
        cases = []
        if p.effective is not None:
            cases.append(f"WHEN {day} < DATE {string(p.effective.isoformat())} THEN 'not_yet_effective'")
        if p.expires is not None:
            cases.append(f"WHEN {day} > DATE {string(p.expires.isoformat())} THEN 'expired'")
        if p.events_from is not None:
            cases.append(f"WHEN {day} < DATE {string(p.events_from.isoformat())} THEN 'not_eligible'")
        return f"(CASE {' '.join(cases)} ELSE {status} END)" if cases else status

    def totals(self, amounts: list[str], maxima: list[str], prefix: str = "") -> list[str]:
        """The policy's totals after its limits, over the columns `select` (or `layers`, with `prefix`) wrote."""
        out = []
        for what, cols, field in (("determined", amounts, "amount"), ("maximum", maxima, "max_amount")):

            def total(names: list[str] | tuple[str, ...], cols: list[str] = cols, field: str = field) -> str:
                terms = [f"COALESCE({quote(prefix + n + '.' + field)}, 0)" for n in cols if n in names]
                return "(" + " + ".join(terms) + ")" if terms else f"CAST(0 AS {NUM})"

            expr = total(cols)
            # Innermost limits first, each cut counted against the limits containing it, a negative
            # remainder taken as 0: as the runtime's _limited does.
            cuts: list[tuple[frozenset[str] | None, str]] = []
            ordered = sorted(self.prog.limits, key=lambda lim: len(lim.clauses) if lim.clauses is not None else 1e9)
            for lim in ordered:
                covered = None if lim.clauses is None else frozenset(lim.clauses)
                limit = f"GREATEST({self.expr(lim.value).value}, 0)"
                sub = total(tuple(cols) if covered is None else tuple(covered))
                inner = [cut for within, cut in cuts if covered is None or (within is not None and within <= covered)]
                remaining = f"({sub}{''.join(' - ' + c for c in inner)})"
                cut = f"GREATEST({remaining} - {limit}, 0)"
                cuts.append((covered, cut))
                expr = f"({expr} - {cut})"
            out.append(f"ROUND({expr}, 2) AS {quote(prefix + 'totals.' + what)}")
        return out
