"""The JavaScript backend: one ES module per policy, beside `pol_runtime.mjs` and the vendored `decimal.mjs`.

It reads the same lowered form as the Python backend and differs only in syntax: exact decimals are
decimal.js values built by the runtime's `D`, a missing fact is the runtime's `Missing` error rather than
a KeyError, comparisons go through `rt.cmp` so decimals compare by value, and dates are ISO strings.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from pol.compiler import ir
from pol.compiler.backends.base import MAIN, QUIET, WORKED, Emitter, Generator

RUNTIME_FILE = "pol_runtime.mjs"
# The runtime and the decimal library it imports, shipped beside every set of JavaScript evaluators.
RUNTIME_FILES = ("pol_runtime.mjs", "decimal.mjs", "decimal.LICENCE.txt")
RUNTIME_DIR = Path(__file__).resolve().parent.parent / "js"


def js(value: Any) -> str:
    """A JavaScript literal for a string, number, yes/no, null, or a list or tuple of them."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(js(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{js(k)}: {js(v)}" for k, v in value.items()) + "}"
    # JSON strings are JavaScript strings, except that U+2028/2029 end a line in older engines.
    return json.dumps(value, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class JavaScriptGenerator(Generator):
    """Writes one policy's evaluator as an ES module."""

    comment_prefix = "// "

    def __init__(self, program: ir.Program, runtime: str = f"./{RUNTIME_FILE}"):
        super().__init__(program)
        self.runtime = runtime  # where the module imports the runtime from, relative to itself

    def trace(self, t: str) -> str:
        return {MAIN: "t", QUIET: "rt.QUIET", WORKED: "ct"}[t]

    def literal(self, value: Any) -> str:
        return js(value)

    def const(self, value: Decimal) -> str:
        return self.pooled(f"rt.D({js(str(value))})")

    # ------------------------------------------------------------ expressions

    def expr_Const(self, e: ir.Const, t: str) -> str:
        if isinstance(e.value, Decimal):
            return self.const(e.value)
        if isinstance(e.value, datetime.date):
            return js(e.value.isoformat())
        return js(e.value)

    def expr_Ref(self, e: ir.Ref, t: str) -> str:
        return f"rt.F(f, {js(e.name)})"

    def expr_Arith(self, e: ir.Arith, t: str) -> str:
        method = {"+": "add", "-": "sub", "*": "mul", "/": "div", "every": "every"}[e.op]
        return (
            f"{self.trace(t)}.{method}({self.expr(e.left, t)}, {self.expr(e.right, t)}, "
            f"{js(e.left_label)}, {js(e.right_label)}, {js(e.unit)})"
        )

    def expr_Extreme(self, e: ir.Extreme, t: str) -> str:
        method = "least" if e.kind == "min" else "most"
        values = ", ".join(self.expr(a, t) for a in e.args)
        return f"{self.trace(t)}.{method}([{values}], {js(e.labels)}, {js(e.unit)})"

    def expr_Compare(self, e: ir.Compare, t: str) -> str:
        return f"rt.cmp({self.expr(e.left, t)}, {js(e.op)}, {self.expr(e.right, t)})"

    def expr_OneOf(self, e: ir.OneOf, t: str) -> str:
        return f"rt.isIn({self.expr(e.subject, t)}, [{', '.join(self.expr(o, t) for o in e.options)}])"

    def expr_All(self, e: ir.All, t: str) -> str:
        return "(" + " && ".join(self.expr(i, t) for i in e.items) + ")"

    def expr_AnyOf(self, e: ir.AnyOf, t: str) -> str:
        return "(" + " || ".join(self.expr(i, t) for i in e.items) + ")"

    def expr_Not(self, e: ir.Not, t: str) -> str:
        return f"(!{self.expr(e.item, t)})"

    def expr_Table(self, e: ir.Table, t: str) -> str:
        name = self.helper_name("table")
        lines = [
            f"function {name}(f, t) {{",
            "  " + self.where(e.line, f"by {e.key}"),
            f"  const k = rt.F(f, {js(e.key)});",
            "  let v;",
        ]
        for n, row in enumerate(e.rows):
            keys = ", ".join(self.expr(k, MAIN) for k in row.keys)
            lines.append(f"  {'if' if n == 0 else '} else if'} (rt.isIn(k, [{keys}])) {{")
            lines.append(f"    v = {self.expr(row.value, MAIN)};")
        lines.append("  } else {" if e.rows else "  {")
        if e.default is not None:
            lines.append(f"    v = {self.expr(e.default, MAIN)};")
        else:
            lines.append(
                f"    throw new rt.NoRow({js(e.key + '为')} + rt.formatValue(k, {js(e.key_unit)})"
                f" + {js('，表中没有对应的一行')});"
            )
        lines.append("  }")
        lines.append(f"  return t.row({js(e.key)}, k, {js(e.key_unit)}, v, {js(e.unit)});")
        lines.append("}")
        self.helpers.append(lines)
        return f"{name}(f, {self.trace(t)})"

    def expr_Tiers(self, e: ir.Tiers, t: str) -> str:
        name = self.helper_name("tiers")
        lines = [f"function {name}(f, t) {{", "  " + self.where(e.line, "the highest tier reached applies")]
        for tier in reversed(e.tiers):
            lines.append(
                f"  if ({self.expr(tier.condition, MAIN)}) "
                f"return t.tier({tier.number}, {js(tier.text)}, {self.expr(tier.value, MAIN)}, {js(e.unit)});"
            )
        lines.append(f"  throw new rt.NoRow({js(e.none_text)});")
        lines.append("}")
        self.helpers.append(lines)
        return f"{name}(f, {self.trace(t)})"

    # ------------------------------------------------------------ clauses

    def cap_label(self, label: ir.CapLabel) -> str:
        if label.key is not None:
            return f"String(rt.F(f, {js(label.key)})) + {js(label.suffix)}"
        return js(label.text)

    def clause(self, c: ir.Clause, out: Emitter) -> str:
        name = f"_clause_{c.index}"
        g = c.grant
        out.line(f"function {name}(f) {{")
        out.indent()
        out.line(self.where(c.line, f"{c.article or ''} {c.title or ''}"))
        out.line("const t = new rt.Trace();")
        out.line(f"const c = _C{c.index};")
        out.line("let v, ct, lo = null;")
        if c.conditions:
            out.line("const missing = new Set();")
        for cond in c.conditions:
            out.line(self.where(cond.line))
            out.line("try {")
            out.line(
                f"  if (!t.cond({self.expr(cond.expr, MAIN)}, {js(cond.text)}, {js(cond.shown)}, f)) "
                "return rt.notEligible(c, t);"
            )
            out.line("} catch (e) {")
            out.line("  if (e instanceof rt.Missing) missing.add(e.name_);")
            out.line("  else if (e instanceof rt.Undefined) { t.note(e.message); return rt.notEligible(c, t); }")
            out.line("  else throw e;")
            out.line("}")
        if c.conditions:
            out.line("if (missing.size) return rt.needsFacts(c, t, rt.underlying(missing, _LET_INPUTS));")
        out.line("try {")
        out.indent()
        out.line(self.where(g.line, "grant"))
        if g.mode == "case_by_case":
            caps = [self.expr(cap.value, MAIN if cap.worked else QUIET) for cap in c.caps]
            out.line(f"v = {'rt.least1([' + ', '.join(caps) + '])' if caps else 'null'};")
        else:
            if g.low is not None:
                out.line(f"lo = {self.expr(g.low, MAIN)};")
            assert g.value is not None
            out.line(f"v = {self.expr(g.value, MAIN)};")
            for step in c.adjustments():
                if isinstance(step, ir.Offset):
                    out.line(self.where(step.line, step.kind))
                    out.line(f"v = t.offset(v, {self.expr(step.value, MAIN)}, {js(step.label)}, {js(step.kind)});")
                    continue
                out.line(self.where(step.line, "cap"))
                if not step.worked:
                    out.line(f"v = t.cap(v, {self.expr(step.value, QUIET)}, {self.cap_label(step.label)});")
                else:  # how the cap was worked out is worth showing only when it binds
                    out.line("ct = new rt.Trace();")
                    out.line(f"v = t.cap(v, {self.expr(step.value, WORKED)}, {self.cap_label(step.label)}, ct);")
        out.outdent()
        out.line("} catch (e) {")
        out.line("  if (e instanceof rt.Missing) return rt.needsFacts(c, t, rt.underlying([e.name_], _LET_INPUTS));")
        out.line(
            "  if (e instanceof rt.NoRow || e instanceof rt.Undefined) { t.note(e.message); return rt.notEligible(c, t); }"
        )
        out.line("  throw e;")
        out.line("}")
        out.line(f"return rt.finish(c, t, {js(g.mode)}, v, lo);")
        out.outdent()
        out.line("}")
        out.line()
        return name

    # ------------------------------------------------------------ the module

    def generate(self) -> str:
        p = self.prog
        body = Emitter("  ")
        functions = [(f"_C{c.index}", self.clause(c, body)) for c in p.clauses]
        lets = Emitter("  ")
        lets.line("function _lets(f) {")
        lets.indent()
        lets.line("// Compute the definitions (let) that the facts allow; the rest stay absent.")
        for let in p.lets:
            lets.line(self.where(let.line))
            lets.line(f"try {{ f[{js(let.name)}] = {self.expr(let.value, QUIET)}; }} catch (e) {{")
            lets.line(f"  if (e instanceof rt.Undefined) f[{js(let.name)}] = new rt.Unknowable(e.message);")
            lets.line("  else if (!(e instanceof rt.Missing || e instanceof rt.NoRow)) throw e;")
            lets.line("}")
        lets.line("return f;")
        lets.outdent()
        lets.line("}")

        head = Emitter("  ")
        head.line(
            self.comment(
                f"Evaluator for {p.title}, generated by pol from {p.source}; edit the .pol file, not this one."
            )
        )
        head.line()
        head.line(f"import * as rt from {js(self.runtime)};")
        head.line()
        head.line('if (rt.RUNTIME_VERSION !== 1) throw new Error("this evaluator needs version 1 of pol_runtime");')
        head.line()
        head.line(f"export const POLICY = {js(p.policy)};")
        head.line(f"export const TITLE = {js(p.title)};")
        head.line(f"export const SOURCE = {js(p.source)};")
        for key, value in (("EFFECTIVE", p.effective), ("EXPIRES", p.expires)):
            head.line(f"export const {key} = {js(value.isoformat() if value else None)};")
        prelude_end = len(head.lines)
        head.line()
        head.line("export const INPUTS = {")
        for i in p.inputs:
            default = f", {self.expr(i.default, QUIET)}" if i.default is not None else ", null"
            head.line(
                f"  {js(i.name)}: new rt.Input({js(i.name)}, {js(i.kind)}, {js(i.currency)}, {js(i.area)}, "
                f"{js(i.label)}, {js(i.members)}{default}, {js(i.member_labels)}{', true' if i.ordinal else ''}),"
            )
        head.line("};")
        head.line()
        head.line("// How each clause grants: exact (determined by the facts), up_to, range or case_by_case.")
        head.line(
            "export const GRANT_MODES = {" + ", ".join(f"{js(c.id)}: {js(c.grant.mode)}" for c in p.clauses) + "};"
        )
        head.line()
        head.line("// The inputs each clause reads, its conditions' first: the fields of its calculator.")
        head.line("export const CLAUSE_INPUTS = {")
        for c in p.clauses:
            head.line(f"  {js(c.id)}: {js(c.reads)},")
        head.line("};")
        head.line()
        head.line(f"const _LET_INPUTS = {js(p.let_inputs)};")
        head.line()
        for c in p.clauses:
            head.line(
                f"const _C{c.index} = new rt.Clause({js(c.id)}, {js(c.article)}, {js(c.title)}, "
                f"{js(c.beneficiary)}, {js(c.support)}, {c.line}, {js(c.parties)});"
            )
        head.line()
        limits = [
            f"new rt.Limit({self.expr(lim.value, QUIET)}, {js(lim.clauses)}, {js(lim.label)})" for lim in p.limits
        ]
        consts = [f"const {name} = {code};" for code, name in self.consts.items()]
        tail = Emitter("  ")
        tail.line("// The document's limits for one applicant (a limit may deduct what was already received).")
        tail.line("function _limits(f) {")
        tail.line("  return [" + ", ".join(limits) + "];")
        tail.line("}")
        tail.line()
        tail.line("export const CLAUSES = [")
        for clause, fn in functions:
            tail.line(f"  [{clause}, {fn}],")
        tail.line("];")
        tail.line()
        tail.line("/** Evaluate the policy for one applicant: `facts` maps input names to values (see INPUTS). */")
        tail.line("export function evaluate(facts, { asOf = null, clauses = null, validated = false } = {}) {")
        tail.indent()
        tail.line("const wanted = rt.selectClauses(CLAUSES, clauses, POLICY);")
        tail.line("const f = validated ? rt.withDefaults(INPUTS, facts) : rt.readFacts(INPUTS, facts);")
        tail.line("asOf = asOf || rt.today();")
        tail.line("_lets(f);")
        tail.line("const standing = rt.inForce(asOf, EFFECTIVE, EXPIRES);")
        tail.line("const results = [];")
        tail.line("for (const [clause, run] of CLAUSES) {")
        tail.line(
            "  if (wanted === null || wanted.has(clause.id)) "
            "results.push(standing === null ? run(f) : rt.outOfForce(clause, standing));"
        )
        tail.line("}")
        tail.line("return new rt.Evaluation(POLICY, TITLE, asOf, results, _limits(f));")
        tail.outdent()
        tail.line("}")
        lines = head.lines[:prelude_end] + [""] + consts + head.lines[prelude_end:]
        for helper in self.helpers:
            lines += helper + [""]
        lines += lets.lines + [""] + body.lines + tail.lines
        return "\n".join(lines) + "\n"


def generate(program: ir.Program, runtime: str = f"./{RUNTIME_FILE}") -> str:
    """The source of the JavaScript evaluator module for a lowered policy, importing the runtime from `runtime`."""
    return JavaScriptGenerator(program, runtime).generate()


def runtime_files() -> dict[str, bytes]:
    """The files every set of JavaScript evaluators needs beside it, by name."""
    return {name: (RUNTIME_DIR / name).read_bytes() for name in RUNTIME_FILES}
