"""Generate a standalone, readable, deterministic Python evaluator module from a checked policy."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, assert_never

from compiler import chinese, validity
from compiler.checker import BENEFICIARIES, SCOPES, SUPPORT_KINDS, CheckedPolicy, names_in
from compiler.types import BoolT, DateT, EnumT, ErrorT, QuantityT, Ty
from dsl import ast

RUNTIME_MODULE = "pol_runtime"

# Characters Python or an editor may take as the end of a line; never let one end a generated comment.
_LINE_BREAKS = str.maketrans({c: " " for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


def _comment(text: str) -> str:
    """A one-line Python comment holding `text`, whatever characters it contains."""
    return "# " + text.translate(_LINE_BREAKS)


def _unit(ty: Ty) -> tuple[str, str | None, str | None]:
    """The runtime's (kind, currency, area) for a type, used to format values in explanations."""
    match ty:
        case QuantityT(unit=u):
            return (u.kind, u.currency, u.area)
        case DateT():
            return ("date", None, None)
        case BoolT():
            return ("bool", None, None)
        case EnumT() | ErrorT():
            return ("enum", None, None)
        case _:
            assert_never(ty)


class Emitter:
    """Collects lines of Python at the current indentation."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.level = 0

    def line(self, text: str = "") -> None:
        self.lines.append(("    " * self.level + text) if text else "")

    def indent(self) -> None:
        self.level += 1

    def outdent(self) -> None:
        self.level -= 1

    def source(self) -> str:
        return "\n".join(self.lines) + "\n"


class PythonGenerator:
    """Turns one checked policy into the source of an evaluator module."""

    def __init__(self, policy: CheckedPolicy, source_path: str):
        self.p = policy
        self.path = source_path
        self.out = Emitter()
        self.consts: dict[str, str] = {}  # Python code of a literal -> the module-level name holding it
        self.helpers: list[list[str]] = []
        self.helper_count = 0

    def helper_name(self, kind: str) -> str:
        """A fresh name for a helper function; taken before its body, which may need helpers of its own."""
        self.helper_count += 1
        return f"_{kind}_{self.helper_count}"

    # ------------------------------------------------------------ constants and expressions

    def const(self, value: Any) -> str:
        """A module-level name holding a literal value, so it is built once at import."""
        if isinstance(value, Decimal):
            code = f"D({str(value)!r})"
        elif isinstance(value, datetime.date):
            code = f"datetime.date({value.year}, {value.month}, {value.day})"
        else:
            raise TypeError(value)
        return self.consts.setdefault(code, f"_K{len(self.consts) + 1}")

    def desc(self, e: ast.Expr) -> str:
        """The step descriptor of an operand: its name (if it has one) and its unit."""
        label = e.id if isinstance(e, ast.Name) else None
        return repr((label, _unit(self.p.type_of(e))))

    def expr(self, e: ast.Expr, t: str = "t") -> str:
        """A Python expression computing `e`, recording explanation steps on trace `t`."""
        match e:
            case ast.Quantity(value=v):
                return self.const(v)
            case ast.DateLit(value=v):
                return self.const(v)
            case ast.BoolLit(value=v):
                return repr(v)
            case ast.Name(id=i):
                ref = self.p.ref(e)
                if ref is not None and ref.kind == "member":
                    return repr(i)
                return f"f[{i!r}]"
            case ast.BinOp(op=op, left=left, right=right, form=form):
                method = {"+": "add", "-": "sub", "*": "mul", "/": "div"}[op]
                if op == "*" and form == "of":  # `40% of X` is shown as `X × 40%`
                    left, right = right, left
                unit = repr(_unit(self.p.type_of(e)))
                return (f"{t}.{method}({self.expr(left, t)}, {self.expr(right, t)}, "
                        f"{self.desc(left)}, {self.desc(right)}, {unit})")
            case ast.Call(func=func, args=args):
                method = "least" if func == "min" else "most"
                values = ", ".join(self.expr(a, t) for a in args)
                descs = ", ".join(self.desc(a) for a in args)
                return f"{t}.{method}(({values},), ({descs},), {_unit(self.p.type_of(e))!r})"
            case ast.Compare(op=op, left=left, right=right):
                return f"({self.expr(left, t)} {op} {self.expr(right, t)})"
            case ast.InSet(subject=subject, options=options):
                opts = ", ".join(self.expr(o, t) for o in options)
                return f"({self.expr(subject, t)} in ({opts},))"
            case ast.And(items=items):
                return "(" + " and ".join(self.expr(i, t) for i in items) + ")"
            case ast.Or(items=items):
                return "(" + " or ".join(self.expr(i, t) for i in items) + ")"
            case ast.Not(item=item):
                return f"(not {self.expr(item, t)})"
            case ast.ByTable():
                return f"{self.table_helper(e)}(f, {t})"
            case ast.Tiers():
                return f"{self.tiers_helper(e)}(f, {t})"
            case _:
                assert_never(e)

    def table_helper(self, e: ast.ByTable) -> str:
        name = self.helper_name("table")
        lines = [f"def {name}(f, t):", "    " + _comment(f"{self.path}:{e.span.line}  {chinese.expr(e)[:60]}")]
        key = e.key.id
        unit = repr(_unit(self.p.type_of(e)))
        lines.append(f"    k = f[{key!r}]")
        first = True
        for entry in e.entries:
            keys = ", ".join(self.key(k) for k in entry.keys)
            lines.append(f"    {'if' if first else 'elif'} k in ({keys},):")
            lines.append(f"        v = {self.expr(entry.value)}")
            first = False
        lines.append("    else:" if not first else "    if True:")
        if e.default is not None:
            lines.append(f"        v = {self.expr(e.default)}")
        else:
            lines.append(f"        raise rt.NoRow({key + '为'!r} + rt.format_value(k, {_unit(self.p.type_of(e.key))!r})"
                         f" + {'，表中没有对应的一行'!r})")
        lines.append(f"    return t.row({key!r}, k, {_unit(self.p.type_of(e.key))!r}, v, {unit})")
        self.helpers.append(lines)
        return name

    def key(self, k: ast.Expr) -> str:
        match k:
            case ast.Name(id=i):
                return repr(i)
            case ast.Quantity(value=v):
                return self.const(v)
            case ast.BoolLit(value=v):
                return repr(v)
            case ast.DateLit(value=v):
                return self.const(v)
            case _:
                raise TypeError(k)

    def tiers_helper(self, e: ast.Tiers) -> str:
        name = self.helper_name("tiers")
        lines = [f"def {name}(f, t):", "    " + _comment(f"{self.path}:{e.span.line}  the highest tier reached applies")]
        unit = repr(_unit(self.p.type_of(e)))
        for number, tier in reversed(list(enumerate(e.entries, start=1))):
            lines.append(f"    if {self.expr(tier.condition)}:")
            lines.append(f"        return t.tier({number}, {chinese.expr(tier.condition)!r}, "
                         f"{self.expr(tier.value)}, {unit})")
        lines.append(f"    raise rt.NoRow({'未达到任何一档：' + chinese.expr(e.entries[0].condition)!r})")
        self.helpers.append(lines)
        return name

    # ------------------------------------------------------------ clauses

    def shown(self, e: ast.Expr) -> str:
        """The facts a condition mentions, so its explanation step can show their values."""
        seen: list[str] = []
        for n in reversed(names_in(e)):
            if n not in seen and (n in self.p.inputs or n in self.p.lets):
                seen.append(n)
        ty = {**{k: v[0] for k, v in self.p.inputs.items()}, **{k: v[0] for k, v in self.p.lets.items()}}
        items = [f"({n!r}, {_unit(ty[n])!r})" for n in seen]
        return "(" + "".join(i + ", " for i in items) + "), f"

    def clause(self, index: int, c: ast.Clause) -> str:
        out = self.out
        name = f"_clause_{index}"
        g = c.grant
        assert g is not None
        out.line(f"def {name}(f):")
        out.indent()
        title = c.title.value if c.title else ""
        out.line(_comment(f"{self.path}:{c.span.line}  {c.article or ''} {title}"))
        out.line("t = rt.Trace()")
        out.line(f"c = _C{index}")
        if c.conditions:
            out.line("missing = set()")
        # Each part of a `when … 且 …` is checked on its own, so a false part decides even when another
        # part's facts are missing, and every missing fact is named at once.
        parts = [item for cond in c.conditions for item in (cond.items if isinstance(cond, ast.And) else (cond,))]
        for cond in parts:
            out.line(_comment(f"{self.path}:{cond.span.line}"))
            out.line("try:")
            out.indent()
            out.line(f"if not t.cond({self.expr(cond)}, {chinese.expr(cond)!r}, {self.shown(cond)}):")
            out.line("    return rt.not_eligible(c, t)")
            out.outdent()
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
        out.line(_comment(f"{self.path}:{g.span.line}  grant"))
        low = "None"
        if g.mode == "case_by_case":
            caps = [self.cap_value(cap) for cap in c.caps]
            out.line(f"v = {'min((' + ', '.join(caps) + ',))' if caps else 'None'}")
        else:
            if g.mode == "range":
                assert g.low is not None and g.high is not None
                out.line(f"lo = {self.expr(g.low)}")
                out.line(f"v = {self.expr(g.high)}")
                low = "lo"
            else:
                assert g.value is not None
                out.line(f"v = {self.expr(g.value)}")
            for cap in c.caps:
                out.line(_comment(f"{self.path}:{cap.span.line}  cap"))
                if isinstance(cap.value, ast.ByTable):
                    out.line(f"v = t.cap(v, {self.cap_value(cap)}, {self.cap_label(cap)})")
                else:  # how the cap was worked out is worth showing only when it binds
                    out.line("ct = rt.Trace()")
                    out.line(f"v = t.cap(v, {self.expr(cap.value, 'ct')}, {self.cap_label(cap)}, ct)")
            for off in c.offsets:
                label = off.value.id if isinstance(off.value, ast.Name) else "已发扶持资金"
                out.line(_comment(f"{self.path}:{off.span.line}  {off.kind}"))
                out.line(f"v = t.offset(v, {self.expr(off.value)}, {label!r}, {off.kind!r})")
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

    def cap_value(self, cap: ast.Cap) -> str:
        # A cap by category is explained by its label (一类新药上限), so its row is not a step of its own.
        return self.expr(cap.value, "rt.QUIET" if isinstance(cap.value, ast.ByTable) else "t")

    def cap_label(self, cap: ast.Cap) -> str:
        if cap.label:
            return repr(cap.label)
        scope = "".join(SCOPES[s] for s in cap.scopes if s in SCOPES)
        if isinstance(cap.value, ast.ByTable):
            return f"str(f[{cap.value.key.id!r}]) + {scope + '上限'!r}"
        return repr(scope + "上限")

    # ------------------------------------------------------------ the module

    def generate(self) -> str:
        p = self.p
        body = Emitter()
        self.out = body
        functions = []
        for index, c in enumerate(p.clauses, start=1):
            functions.append((f"_C{index}", self.clause(index, c)))
        lets = Emitter()
        lets.line("def _lets(f):")
        lets.indent()
        lets.line('"""Compute the definitions (let) that the facts allow; the rest stay absent."""')
        for name, (_, decl) in p.lets.items():
            lets.line(_comment(f"{self.path}:{decl.span.line}"))
            lets.line("try:")
            lets.line(f"    f[{name!r}] = {self.expr(decl.expr, 'rt.QUIET')}")
            lets.line("except rt.Undefined as e:")
            lets.line(f"    f[{name!r}] = rt.Unknowable(str(e))")
            lets.line("except (KeyError, rt.NoRow):")
            lets.line("    pass")
        lets.line("return f")

        h = p.header
        title = str(h.get("title", h.get("name", "")))
        head = Emitter()
        head.line(repr(f"Evaluator for {title}, generated by pol from {self.path}; edit the .pol file, not this one."))
        head.line()
        head.line("import datetime")
        head.line("from decimal import Decimal as D")
        head.line()
        head.line(f"import {RUNTIME_MODULE} as rt")
        head.line()
        head.line(f"if rt.RUNTIME_VERSION != 1:")
        head.line(f"    raise ImportError('this evaluator needs version 1 of {RUNTIME_MODULE}')")
        head.line()
        head.line(f"POLICY = {str(h.get('name', ''))!r}")
        head.line(f"TITLE = {title!r}")
        head.line(f"SOURCE = {self.path!r}")
        # The first and last day in force, as the site and the ledger read them: an end given by a
        # term (有效期3年) is worked out here, so the evaluator needs no calendar arithmetic.
        start, end = validity.period(h)
        for key, value in (("EFFECTIVE", start), ("EXPIRES", end)):
            head.line(f"{key} = " + (f"datetime.date({value.year}, {value.month}, {value.day})"
                                     if value is not None else "None"))
        prelude_end = len(head.lines)
        head.line()
        head.line("INPUTS = {")
        for name, (ty, decl) in p.inputs.items():
            kind, currency, area = _unit(ty)
            members = repr(ty.members) if isinstance(ty, EnumT) else "None"
            default = f", {self.key(decl.default)}" if decl.default is not None else ""
            head.line(f"    {name!r}: rt.Input({name!r}, {kind!r}, {currency!r}, {area!r}, "
                      f"{(decl.label or name)!r}, {members}{default}),")
        head.line("}")
        head.line()
        let_inputs = {n: tuple(sorted(self._inputs_of(n))) for n in p.lets}
        head.line(f"_LET_INPUTS = {let_inputs!r}")
        head.line()
        for index, c in enumerate(p.clauses, start=1):
            beneficiary = BENEFICIARIES.get(c.beneficiary.id) if c.beneficiary else None
            support = SUPPORT_KINDS.get(c.grant.support) if c.grant and c.grant.support else None
            parties = tuple(x.value for x in c.parties)
            head.line(f"_C{index} = rt.Clause({c.id!r}, {c.article!r}, {(c.title.value if c.title else None)!r}, "
                      f"{beneficiary!r}, {support!r}, {c.span.line}, {parties!r})")
        head.line()
        limits = []
        for lim in p.limits:
            label = lim.label or ("".join(SCOPES.get(s, s) for s in lim.scopes) + "总额上限")
            covered = tuple(n.id for n in lim.clauses) or None
            value = self.expr(lim.value, "rt.QUIET")
            limits.append(f"rt.Limit({value}, {covered!r}, {label!r})")
        consts = Emitter()
        for code, name in self.consts.items():
            consts.line(f"{name} = {code}")
        tail = Emitter()
        tail.line("def _limits(f):")
        tail.line('    """The document\'s limits for one applicant (a limit may deduct what was already received)."""')
        tail.line("    return (" + "".join(x + ", " for x in limits) + ")")
        tail.line()
        tail.line("CLAUSES = (")
        for clause, fn in functions:
            tail.line(f"    ({clause}, {fn}),")
        tail.line(")")
        tail.line()
        tail.line()
        tail.line("def evaluate(facts, as_of=None, clauses=None, validated=False):")
        tail.indent()
        tail.line('"""Evaluate the policy for one applicant: `facts` maps input names to values (see INPUTS)."""')
        tail.line("f = rt.with_defaults(INPUTS, facts) if validated else rt.read_facts(INPUTS, facts)")
        tail.line("as_of = as_of or datetime.date.today()")
        tail.line("with rt.exact():")
        tail.indent()
        tail.line("_lets(f)")
        tail.line("standing = rt.in_force(as_of, EFFECTIVE, EXPIRES)")
        tail.line("results = []")
        tail.line("for clause, run in CLAUSES:")
        tail.line("    if clauses is None or clause.id in clauses:")
        tail.line("        results.append(run(f) if standing is None else rt.out_of_force(clause, standing))")
        tail.line("return rt.Evaluation(POLICY, TITLE, as_of, results, _limits(f))")
        module = Emitter()
        module.lines = head.lines[:prelude_end] + [""] + consts.lines + head.lines[prelude_end:] + [""]
        for helper in self.helpers:
            module.lines += helper + ["", ""]
        module.lines += lets.lines + ["", ""] + body.lines + tail.lines
        return module.source()

    def _inputs_of(self, let_name: str) -> set[str]:
        out: set[str] = set()
        for n in names_in(self.p.lets[let_name][1].expr):
            if n in self.p.inputs:
                out.add(n)
            elif n in self.p.lets:
                out |= self._inputs_of(n)
        return out


def generate(policy: CheckedPolicy, source_path: str) -> str:
    """The source of the evaluator module for a checked policy without errors."""
    assert policy.ok, "generate() needs a policy without errors"
    return PythonGenerator(policy, source_path).generate()
