"""The Python backend: a standalone, readable, deterministic evaluator module that imports only `pol_runtime`."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from pol.compiler import ir
from pol.compiler.backends.base import MAIN, QUIET, WORKED, Emitter, Generator
from pol.compiler.runtime import RUNTIME_VERSION

RUNTIME_MODULE = "pol_runtime"


class PythonGenerator(Generator):
    """Writes one policy's evaluator as Python; the runtime (`compiler/runtime.py`) does the arithmetic."""

    def trace(self, t: str) -> str:
        return {MAIN: "t", QUIET: "rt.QUIET", WORKED: "ct"}[t]

    def literal(self, value: Any) -> str:
        return repr(value)

    def const(self, value: Decimal | datetime.date) -> str:
        if isinstance(value, Decimal):
            return self.pooled(f"D({str(value)!r})")
        return self.pooled(f"datetime.date({value.year}, {value.month}, {value.day})")

    # ------------------------------------------------------------ expressions

    def expr_Const(self, e: ir.Const, t: str) -> str:
        if isinstance(e.value, (Decimal, datetime.date)):
            return self.const(e.value)
        return repr(e.value)

    def expr_Ref(self, e: ir.Ref, t: str) -> str:
        return f"f[{e.name!r}]"  # a missing fact raises KeyError, which the clause turns into "需补充"

    def expr_Arith(self, e: ir.Arith, t: str) -> str:
        method = {"+": "add", "-": "sub", "*": "mul", "/": "div", "every": "every"}[e.op]
        return (
            f"{self.trace(t)}.{method}({self.expr(e.left, t)}, {self.expr(e.right, t)}, "
            f"{e.left_label!r}, {e.right_label!r}, {e.unit!r})"
        )

    def expr_Extreme(self, e: ir.Extreme, t: str) -> str:
        method = "least" if e.kind == "min" else "most"
        values = ", ".join(self.expr(a, t) for a in e.args)
        labels = ", ".join(repr(label) for label in e.labels)
        return f"{self.trace(t)}.{method}(({values},), ({labels},), {e.unit!r})"

    def expr_Compare(self, e: ir.Compare, t: str) -> str:
        return f"({self.expr(e.left, t)} {e.op} {self.expr(e.right, t)})"

    def expr_OneOf(self, e: ir.OneOf, t: str) -> str:
        opts = ", ".join(self.expr(o, t) for o in e.options)
        return f"({self.expr(e.subject, t)} in ({opts},))"

    def expr_All(self, e: ir.All, t: str) -> str:
        return "(" + " and ".join(self.expr(i, t) for i in e.items) + ")"

    def expr_AnyOf(self, e: ir.AnyOf, t: str) -> str:
        return "(" + " or ".join(self.expr(i, t) for i in e.items) + ")"

    def expr_Not(self, e: ir.Not, t: str) -> str:
        return f"(not {self.expr(e.item, t)})"

    def expr_Table(self, e: ir.Table, t: str) -> str:
        name = self.helper_name("table")
        lines = [f"def {name}(f, t):", "    " + self.where(e.line, f"by {e.key}"), f"    k = f[{e.key!r}]"]
        for n, row in enumerate(e.rows):
            keys = ", ".join(self.expr(k, MAIN) for k in row.keys)
            lines.append(f"    {'if' if n == 0 else 'elif'} k in ({keys},):")
            lines.append(f"        v = {self.expr(row.value, MAIN)}")
        lines.append("    else:" if e.rows else "    if True:")
        if e.default is not None:
            lines.append(f"        v = {self.expr(e.default, MAIN)}")
        else:
            lines.append(
                f"        raise rt.NoRow({e.key + '为'!r} + rt.format_value(k, {e.key_unit!r})"
                f" + {'，表中没有对应的一行'!r})"
            )
        lines.append(f"    return t.row({e.key!r}, k, {e.key_unit!r}, v, {e.unit!r})")
        self.helpers.append(lines)
        return f"{name}(f, {self.trace(t)})"

    def expr_Tiers(self, e: ir.Tiers, t: str) -> str:
        name = self.helper_name("tiers")
        lines = [f"def {name}(f, t):", "    " + self.where(e.line, "the highest tier reached applies")]
        for tier in reversed(e.tiers):
            lines.append(f"    if {self.expr(tier.condition, MAIN)}:")
            lines.append(
                f"        return t.tier({tier.number}, {tier.text!r}, {self.expr(tier.value, MAIN)}, {e.unit!r})"
            )
        lines.append(f"    raise rt.NoRow({e.none_text!r})")
        self.helpers.append(lines)
        return f"{name}(f, {self.trace(t)})"

    # ------------------------------------------------------------ clauses

    def cap_label(self, label: ir.CapLabel) -> str:
        if label.key is not None:
            return f"str(f[{label.key!r}]) + {label.suffix!r}"
        return repr(label.text)

    def clause(self, c: ir.Clause, out: Emitter) -> str:
        name = f"_clause_{c.index}"
        g = c.grant
        # `t` records the explanation (rt.Trace) or nothing (rt.PLAIN): the evaluator runs a clause plain
        # and again with a trace only when its explanation is read.
        out.line(f"def {name}(f, t):")
        out.indent()
        out.line(self.where(c.line, f"{c.article or ''} {c.title or ''}"))
        out.line(f"c = _C{c.index}")
        if c.conditions:
            out.line("missing = set()")
        for cond in c.conditions:
            out.line(self.where(cond.line))
            out.line("try:")
            out.line(
                f"    if not t.cond({self.expr(cond.expr, MAIN)}, {cond.text!r}, "
                "(" + "".join(f"{s!r}, " for s in cond.shown) + "), f):"
            )
            out.line("        return rt.not_eligible(c, t)")
            out.line("except KeyError as e:")
            out.line("    missing.add(e.args[0])")
            out.line("except rt.Undefined as e:")
            out.line("    t.note(str(e))")
            out.line("    return rt.not_eligible(c, t)")
        if c.conditions:
            out.line("if missing:")
            out.line("    return rt.needs_facts(c, t, rt.underlying(missing, _LET_INPUTS))")
        out.line("try:")
        out.indent()
        out.line(self.where(g.line, "grant"))
        low = "None"
        if g.mode == "case_by_case":
            caps = [self.expr(cap.value, MAIN if cap.worked else QUIET) for cap in c.caps]
            out.line(f"v = {'min((' + ', '.join(caps) + ',))' if caps else 'None'}")
        else:
            if g.low is not None:
                out.line(f"lo = {self.expr(g.low, MAIN)}")
                low = "lo"
            assert g.value is not None
            out.line(f"v = {self.expr(g.value, MAIN)}")
            for step in c.adjustments():
                if isinstance(step, ir.Offset):
                    out.line(self.where(step.line, step.kind))
                    out.line(f"v = t.offset(v, {self.expr(step.value, MAIN)}, {step.label!r}, {step.kind!r})")
                    continue
                out.line(self.where(step.line, "cap"))
                if not step.worked:
                    out.line(f"v = t.cap(v, {self.expr(step.value, QUIET)}, {self.cap_label(step.label)})")
                else:  # how the cap was worked out is worth showing only when it binds
                    out.line("ct = t.worked()")
                    out.line(f"v = t.cap(v, {self.expr(step.value, WORKED)}, {self.cap_label(step.label)}, ct)")
        out.outdent()
        out.line("except KeyError as e:")
        out.line("    return rt.needs_facts(c, t, rt.underlying({e.args[0]}, _LET_INPUTS))")
        out.line("except (rt.NoRow, rt.Undefined) as e:")
        out.line("    t.note(str(e))")
        out.line("    return rt.not_eligible(c, t)")
        out.line(f"return rt.finish(c, t, {g.mode!r}, v, {low})")
        out.outdent()
        out.line()
        out.line()
        return name

    def obligations(self, c: ir.Clause) -> str:
        """The clause's entry in OBLIGATIONS, each test a helper of the facts."""
        tests = []
        for ob in c.obligations:
            name = self.helper_name("obligation")
            self.helpers.append(
                [f"def {name}(f):", "    " + self.where(ob.line), f"    return {self.expr(ob.expr, QUIET)}"]
            )
            tests.append(f"({ob.years}, {ob.label!r}, {name})")
        return f"    {c.id!r}: (" + "".join(t + ", " for t in tests) + "),"

    # ------------------------------------------------------------ the module

    def generate(self) -> str:
        p = self.prog
        body = Emitter()
        functions = [(f"_C{c.index}", self.clause(c, body)) for c in p.clauses]
        obligations = [self.obligations(c) for c in p.clauses if c.obligations]
        lets = Emitter()
        lets.line("def _lets(f):")
        lets.indent()
        lets.line('"""Compute the definitions (let) that the facts allow; the rest stay absent."""')
        for let in p.lets:
            lets.line(self.where(let.line))
            lets.line("try:")
            lets.line(f"    f[{let.name!r}] = {self.expr(let.value, QUIET)}")
            lets.line("except rt.Undefined as e:")
            lets.line(f"    f[{let.name!r}] = rt.Unknowable(str(e))")
            lets.line("except (KeyError, rt.NoRow):")
            lets.line("    pass")
        lets.line("return f")

        head = Emitter()
        head.line(repr(f"Evaluator for {p.title}, generated by pol from {p.source}; edit the .pol file, not this one."))
        head.line()
        head.line("import datetime")
        head.line("from decimal import Decimal as D")
        head.line()
        head.line(f"import {RUNTIME_MODULE} as rt")
        head.line()
        head.line(f"if rt.RUNTIME_VERSION != {RUNTIME_VERSION}:")
        head.line(f"    raise ImportError('this evaluator needs version {RUNTIME_VERSION} of {RUNTIME_MODULE}')")
        head.line()
        head.line(f"POLICY = {p.policy!r}")
        head.line(f"TITLE = {p.title!r}")
        head.line(f"SOURCE = {p.source!r}")
        # The first and last day in force, as the site and the ledger read them.
        for key, value in (("EFFECTIVE", p.effective), ("EXPIRES", p.expires)):
            head.line(
                f"{key} = "
                + (f"datetime.date({value.year}, {value.month}, {value.day})" if value is not None else "None")
            )
        prelude_end = len(head.lines)
        head.line()
        head.line("INPUTS = {")
        for i in p.inputs:
            default = f", {self.expr(i.default, QUIET)}" if i.default is not None else ""
            ordinal = ", ordinal=True" if i.ordinal else ""
            head.line(
                f"    {i.name!r}: rt.Input({i.name!r}, {i.kind!r}, {i.currency!r}, {i.area!r}, "
                f"{i.label!r}, {i.members!r}{default}{ordinal}),"
            )
        head.line("}")
        head.line()
        head.line(f"_LET_INPUTS = {p.let_inputs!r}")
        head.line()
        for c in p.clauses:
            head.line(
                f"_C{c.index} = rt.Clause({c.id!r}, {c.article!r}, {c.title!r}, "
                f"{c.beneficiary!r}, {c.support!r}, {c.line}, {c.parties!r})"
            )
        head.line()
        limits = [f"rt.Limit({self.expr(lim.value, QUIET)}, {lim.clauses!r}, {lim.label!r})" for lim in p.limits]
        consts = Emitter()
        for code, name in self.consts.items():
            consts.line(f"{name} = {code}")
        tail = Emitter()
        tail.line("def _limits(f):")
        tail.line('    """The document\'s limits for one applicant (a limit may deduct what was already received)."""')
        tail.line("    return (" + "".join(x + ", " for x in limits) + ")")
        tail.line()
        tail.line("# 承诺: each clause's obligations, (years, what is promised, the test of the facts).")
        tail.line("OBLIGATIONS = {")
        tail.lines += obligations
        tail.line("}")
        tail.line()
        tail.line("CLAUSES = (")
        for clause, fn in functions:
            tail.line(f"    ({clause}, {fn}),")
        tail.line(")")
        tail.line()
        tail.line()
        tail.line("_EVALUATOR = rt.Evaluator(POLICY, TITLE, EFFECTIVE, EXPIRES, INPUTS, CLAUSES, _lets, _limits)")
        tail.line()
        tail.line()
        tail.line("def evaluate(facts, as_of=None, clauses=None, validated=False):")
        tail.line('    """Evaluate the policy for one applicant: `facts` maps input names (see INPUTS) to values.')
        tail.line()
        tail.line("    `clauses` is one clause id or several (all when None); an unknown id raises UnknownClauseError.")
        tail.line("    `validated=True` takes facts already converted by rt.read_facts, skipping their validation.")
        tail.line('    """')
        tail.line("    return _EVALUATOR.evaluate(facts, as_of, clauses, validated)")
        tail.line()
        tail.line()
        tail.line("def kept(facts, clause):")
        tail.line(
            '    """Each obligation of `clause` as (years, what is promised, True/False, or None when a fact is missing)."""'
        )
        tail.line("    obligations = OBLIGATIONS.get(clause, ())")
        tail.line("    found = _EVALUATOR.keeps(facts, [test for _, _, test in obligations])")
        tail.line("    return [(years, label, k) for (years, label, _), k in zip(obligations, found)]")
        module = Emitter()
        module.lines = head.lines[:prelude_end] + [""] + consts.lines + head.lines[prelude_end:] + [""]
        for helper in self.helpers:
            module.lines += helper + ["", ""]
        module.lines += lets.lines + ["", ""] + body.lines + tail.lines
        return module.source()


def generate(program: ir.Program) -> str:
    """The source of the Python evaluator module for a lowered policy."""
    return PythonGenerator(program).generate()
