"""Check a parsed policy: resolve names, infer units and types, and catch a drafter's mistakes before anything runs."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import assert_never

import attrs

from pol.compiler.check.scopes import RECEIVED_SCOPES, SCOPES, bind
from pol.compiler.check.types import BOOL, DATE, ERROR, BoolT, DateT, EnumT, ErrorT, QuantityT, Ty, resolve_type
from pol.dsl import ast
from pol.dsl.ast import names_in  # re-exported: the checker's callers import it from here
from pol.dsl.diagnostics import Diagnostic, error, warning
from pol.dsl.parser import BROKEN_HEADER, ParseResult
from pol.dsl.source import Span
from pol.dsl.units import CNY, NUMBER, RATIO, Unit
from pol.dsl.words import COMPARE_WORDS, HEADER_WORDS, KEYWORD_SPELLINGS, POSTFIX_WORDS

LEVELS = {
    "national": "国家级",
    "province": "省级",
    "city": "市级",
    "district": "区级",
    "county": "县级",
    "国家级": "国家级",
    "省级": "省级",
    "市级": "市级",
    "区级": "区级",
    "县级": "县级",
}
STATUSES = {
    "in_force": "现行有效",
    "draft": "征求意见稿",
    "expired": "已失效",
    "repealed": "已废止",
    "现行有效": "现行有效",
    "征求意见稿": "征求意见稿",
    "已失效": "已失效",
    "已废止": "已废止",
}
BENEFICIARIES = {
    "enterprise": "企业",
    "park": "园区",
    "institution": "机构",
    "platform": "平台",
    "person": "个人",
    "government": "地方政府",
    "企业": "企业",
    "园区": "园区",
    "机构": "机构",
    "平台": "平台",
    "个人": "个人",
    "人才": "个人",
    "地方政府": "地方政府",
}
# Stages of a product's life, for the site's index by stage and the comparison between cities.
STAGES = {
    "research": "研发",
    "clinical": "临床试验",
    "industrialisation": "产业化",
    "market": "市场开拓",
    "international": "国际化",
    "研发": "研发",
    "临床试验": "临床试验",
    "产业化": "产业化",
    "市场开拓": "市场开拓",
    "国际化": "国际化",
}
# A validity term longer than this is no policy's; definitions chained deeper than this are no text's.
MAX_TERM_YEARS = 100
MAX_LET_DEPTH = 200

# Levels of government from the centre outwards; `received local` sums grants of the levels below.
LEVEL_RANK = {"国家级": 0, "省级": 1, "市级": 2, "区级": 3, "县级": 3}
OVERLAP = {"best": "从优就高不重复", "从优就高不重复": "从优就高不重复", "stack": "可叠加", "可叠加": "可叠加"}
SUPPORT_KINDS = {
    "cash": "资金",
    "equity": "股权投资",
    "tax_refund": "税收奖励",
    "service": "服务",
    "资金": "资金",
    "股权投资": "股权投资",
    "税收奖励": "税收奖励",
    "服务": "服务",
}
# What a header's `url` may be: a web address with nothing that could end an HTML attribute or a
# Markdown link, so the site can link to it.
SAFE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[^\s<>\"'`\\{}|^\x00-\x1f\x7f]*)?")

# Each header field's first Chinese name, for messages (dsl/words.py HEADER_WORDS reads them all).
CHINESE_HEADER = {english: chinese for chinese, english in reversed(list(HEADER_WORDS.items()))}

# Header fields: the kind of value each takes.
HEADER_FIELDS = {
    "title": "text",
    "issuer": "text",
    "number": "text",
    "level": "level",
    "status": "status",
    "issued": "date",
    "effective": "date",
    "expires": "date",
    "source": "texts",
    "paid_by": "text",
    "region": "text",
    "summary": "text",
    "term": "years",  # 有效期 N 年, when the text gives a length rather than an end date
    "events_from": "date",  # 项目认定时限: events before this date do not qualify
    "note": "notes",  # a document-level interpretation note; may be repeated
    "overlap": "overlap",  # best: 从优、就高、不重复 with other policies of the same region
    "supersedes": "text",
    # How to apply, for every clause (a clause's own `materials:` … come first): the text's words.
    "materials": "text",
    "procedure": "text",
    "window": "text",
    "office": "text",
    "contact": "text",
    "url": "text",  # the official text's address
    "guide": "text",  # the document that is the 申报指南, if another one
    # the file name (without .pol) of the version this one replaces, e.g. a 征求意见稿
}


@attrs.frozen
class Ref:
    """What a name refers to: an input, a definition, or a member of an enumeration."""

    kind: str  # "input" | "let" | "member"
    target: str
    ty: Ty


@attrs.define
class CheckedPolicy:
    """A policy whose names are resolved and whose expressions are typed, ready for code and docs generation."""

    module: ast.Module
    header: dict[str, object]
    enums: dict[str, ast.EnumDecl]
    inputs: dict[str, tuple[Ty, ast.InputDecl]]
    lets: dict[str, tuple[Ty, ast.LetDecl]]  # in dependency order
    clauses: list[ast.Clause]
    measures: list[ast.Measure]
    limits: list[ast.Limit]
    types: dict[int, Ty]
    refs: dict[int, Ref]
    diagnostics: list[Diagnostic]
    examples: list[ast.PolicyExample] = attrs.Factory(list)  # worked examples of the whole document

    def type_of(self, expr: ast.Expr) -> Ty:
        return self.types.get(id(expr), ERROR)

    def ref(self, name: ast.Name) -> Ref | None:
        return self.refs.get(id(name))

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    @property
    def provisions(self) -> list[ast.Clause | ast.Measure]:
        """Clauses and measures in document order."""
        return [d for d in self.module.decls if isinstance(d, (ast.Clause, ast.Measure))]


def check(parsed: ParseResult, subjects: dict[str, str] | None = None) -> CheckedPolicy:
    """Check a parsed file, returning the typed policy with every diagnostic of the file.

    `subjects` is the taxonomy a clause's `subject` must come from (policies/subjects.toml); without
    one, subjects are not checked.
    """
    return _Checker(parsed, subjects).run()


def _did_you_mean(word: str, candidates: Iterable[str]) -> tuple[str, ...]:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return (f"did you mean '{close[0]}'?",) if close else ()


def _fmt(value: Decimal, unit: Unit) -> str:
    from pol.compiler.runtime import format_quantity  # the runtime owns number formatting

    return format_quantity(value, unit.kind, unit.currency, unit.area)


class _Checker:
    def __init__(self, parsed: ParseResult, subjects: dict[str, str] | None = None):
        # Every scoped cap and limit deducts what its scope already received, as the ledger fills it.
        self.module = bind(parsed.module)
        self.subjects = subjects
        self.broken = parsed.broken_names
        self.diags: list[Diagnostic] = list(parsed.diagnostics)
        self.types: dict[int, Ty] = {}
        self.refs: dict[int, Ref] = {}
        self.enums: dict[str, ast.EnumDecl] = {}
        self.members: dict[str, list[EnumT]] = {}
        self.inputs: dict[str, tuple[Ty, ast.InputDecl]] = {}
        self.let_decls: dict[str, ast.LetDecl] = {}
        self.lets: dict[str, tuple[Ty, ast.LetDecl]] = {}
        self.header: dict[str, object] = {}

    def err(self, code: str, message: str, span: Span, *notes: str) -> None:
        self.diags.append(error(code, message, span, *notes))

    def warn(self, code: str, message: str, span: Span, *notes: str) -> None:
        self.diags.append(warning(code, message, span, *notes))

    # ------------------------------------------------------------ declarations

    def run(self) -> CheckedPolicy:
        decls = self.module.decls
        self.check_header([d for d in decls if isinstance(d, ast.PolicyHeader)])
        names: dict[str, Span] = {}
        types: dict[str, Span] = {}

        def declare(name: str, span: Span, names: dict[str, Span] = names) -> bool:
            if name in names:
                prev = names[name]
                self.err("POL102", f"'{name}' is defined twice", span, f"first defined at line {prev.line}")
                return False
            names[name] = span
            return True

        for d in decls:
            if isinstance(d, ast.EnumDecl) and declare(d.name, d.span, types):
                self.enums[d.name] = d
                seen: set[str] = set()
                for m in d.members:
                    if m.name in seen:
                        self.err("POL102", f"'{m.name}' is listed twice in enum '{d.name}'", m.span)
                    seen.add(m.name)
                enum_ty = EnumT(d.name, tuple(m.name for m in d.members))
                for member in enum_ty.members:
                    self.members.setdefault(member, []).append(enum_ty)
        for d in decls:
            if isinstance(d, ast.InputDecl) and declare(d.name, d.span):
                ty = self.resolve_type(d.type)
                self.inputs[d.name] = (ty, d)
                if d.default is not None:
                    problem = _literal_fits(d.default, ty)
                    if problem:
                        self.err("POL107", f"default of '{d.name}': {problem}", d.default.span)
            elif isinstance(d, ast.LetDecl) and declare(d.name, d.span):
                self.let_decls[d.name] = d
        self.check_lets()

        clauses: list[ast.Clause] = []
        measures: list[ast.Measure] = []
        ids: dict[str, Span] = {}
        for d in decls:
            if isinstance(d, (ast.Clause, ast.Measure)):
                if d.id in ids:
                    self.err(
                        "POL103", f"clause id '{d.id}' is used twice", d.id_span, f"first used at line {ids[d.id].line}"
                    )
                ids[d.id] = d.id_span
                self.check_stages(d)
                if isinstance(d, ast.Clause):
                    self.check_clause(d)
                    clauses.append(d)
                else:
                    measures.append(d)
        limits = [d for d in decls if isinstance(d, ast.Limit)]
        for lim in limits:
            self.check_limit(lim, {c.id for c in clauses})
        self.check_limits_nest(limits)
        for ty, decl in self.inputs.values():
            if decl.received is not None:
                self.check_received(decl, ty, {c.id for c in clauses})
            if decl.earlier is not None:
                self.check_earlier(decl, ty)
        examples = [d for d in decls if isinstance(d, ast.PolicyExample)]
        for ex in examples:
            self.check_example(ex)
            if ex.expect.kind not in ("amount", "up_to", "not_eligible"):
                self.err(
                    "POL107",
                    "an example of the whole document expects a total: `expect 8000万`, `expect up to 1亿` or "
                    "`expect not_eligible`",
                    ex.expect.span,
                )
        self.diags.sort(key=lambda d: (d.span.file, d.span.line, d.span.column))
        return CheckedPolicy(
            module=self.module,
            header=self.header,
            enums=self.enums,
            inputs=self.inputs,
            lets=self.lets,
            clauses=clauses,
            measures=measures,
            limits=limits,
            types=self.types,
            refs=self.refs,
            diagnostics=self.diags,
            examples=examples,
        )

    def check_header(self, headers: list[ast.PolicyHeader]) -> None:
        if not headers:
            if self.module.decls and BROKEN_HEADER not in self.broken:
                span = Span(file=self.module.path, line=1, column=1, end_line=1, end_column=2)
                self.err(
                    "POL106",
                    "the file has no `policy NAME { … }` header",
                    span,
                    "every policy file starts with its title, issuer and dates",
                )
            return
        for extra in headers[1:]:
            self.err("POL102", "a file holds one policy; this is a second `policy` header", extra.span)
        h = headers[0]
        self.header["name"] = h.name
        for f in h.fields:
            kind = HEADER_FIELDS.get(f.key)
            if kind is None:
                self.err(
                    "POL104",
                    f"unknown policy field '{f.key}'",
                    f.span,
                    *_did_you_mean(f.key, [*HEADER_FIELDS, *HEADER_WORDS]),
                    "policy fields: "
                    + ", ".join(f"{k} ({CHINESE_HEADER[k]})" if k in CHINESE_HEADER else k for k in HEADER_FIELDS),
                )
                continue
            if kind == "notes":
                if not all(isinstance(x, ast.Text) for x in f.values):
                    self.err("POL107", "a policy note takes a string in quotes", f.span)
                    continue
                notes = self.header.setdefault("note", [])
                assert isinstance(notes, list)
                notes.extend(x.value for x in f.values if isinstance(x, ast.Text))
                continue
            if f.key in self.header:
                self.err("POL104", f"policy field '{f.key}' is given twice", f.span)
                continue
            values = f.values
            if kind != "texts" and len(values) != 1:
                self.err("POL107", f"policy field '{f.key}' takes one value", f.span)
                continue
            v = values[0]
            if kind in ("text", "texts"):
                if not all(isinstance(x, ast.Text) for x in values):
                    self.err("POL107", f"policy field '{f.key}' takes a string in quotes", f.span)
                    continue
                if f.key == "url" and not SAFE_URL.fullmatch(str(v.value)):  # type: ignore[union-attr]
                    self.err(
                        "POL107",
                        "policy field 'url' takes the web address of the official text, such as "
                        '"https://www.example.gov.cn/zcwj/123.html"',
                        f.span,
                        "an address starts with http:// or https:// and holds no spaces, quotes or angle brackets",
                    )
                    continue
                self.header[f.key] = [x.value for x in values] if kind == "texts" else v.value  # type: ignore[union-attr]
            elif kind == "years":
                if not (isinstance(v, ast.Quantity) and v.unit.kind == "years"):
                    self.err("POL107", f"policy field '{f.key}' takes a number of years such as 3年", f.span)
                    continue
                if v.value > MAX_TERM_YEARS or v.value != v.value.to_integral_value():
                    self.err(
                        "POL107",
                        f"a term of {v.text} is not a validity period: give whole years, at most {MAX_TERM_YEARS}",
                        v.span,
                        "leave `term` out if the text sets no period",
                    )
                    continue
                self.header[f.key] = v.value
            elif kind == "date":
                if not isinstance(v, ast.DateLit):
                    self.err("POL107", f"policy field '{f.key}' takes a date such as 2021-11-01", f.span)
                    continue
                self.header[f.key] = v.value
            else:
                table = {"level": LEVELS, "status": STATUSES, "overlap": OVERLAP}[kind]
                word = v.id if isinstance(v, ast.Name) else v.value if isinstance(v, ast.Text) else None
                if word not in table:
                    self.err(
                        "POL107",
                        f"'{word}' is not a {kind}",
                        f.span,
                        *_did_you_mean(str(word), table),
                        f"{kind}s: " + ", ".join(table),
                    )
                    continue
                self.header[f.key] = table[word]
        if "title" not in self.header:
            self.err("POL106", f"policy '{h.name}' has no title", h.span, 'add `title: "…"` with the document\'s title')
        eff, exp = self.header.get("effective"), self.header.get("expires")
        if eff and exp and exp < eff:  # type: ignore[operator]
            self.err("POL107", "the policy expires before it takes effect", h.span)

    def resolve_type(self, ref: ast.TypeRef) -> Ty:
        if ref.name in self.enums and not ref.arg and not ref.per:
            d = self.enums[ref.name]
            return EnumT(d.name, tuple(m.name for m in d.members))
        ty = resolve_type(ref.name, ref.arg, ref.per)
        if isinstance(ty, str):
            from pol.compiler.check.types import SIMPLE_TYPES

            self.err("POL105", ty, ref.span, *_did_you_mean(ref.name, list(SIMPLE_TYPES) + list(self.enums)))
            return ERROR
        return ty

    def check_lets(self) -> None:
        if (deep := self.too_deep_let()) is not None:
            decl = self.let_decls[deep]
            self.err(
                "POL004",
                f"definitions are built on each other more than {MAX_LET_DEPTH} deep (here '{deep}')",
                decl.span,
                "compute the value in fewer steps; no policy text needs such a chain",
            )
            self.lets.update({name: (ERROR, d) for name, d in self.let_decls.items()})
            return
        state: dict[str, str] = {}

        def visit(name: str, stack: list[str]) -> None:
            if state.get(name) == "done":
                return
            decl = self.let_decls[name]
            if state.get(name) == "active":
                cycle = stack[stack.index(name) :] + [name]
                self.err("POL501", "definitions refer to each other in a cycle: " + " → ".join(cycle), decl.span)
                self.lets[name] = (ERROR, decl)
                return
            state[name] = "active"
            for dep in names_in(decl.expr):
                if dep in self.let_decls:
                    visit(dep, stack + [name])
            state[name] = "done"
            if name not in self.lets:
                self.lets[name] = (self.infer(decl.expr), decl)

        for name in self.let_decls:
            visit(name, [])

    def too_deep_let(self) -> str | None:
        """A definition resting on a chain of more than MAX_LET_DEPTH others, found without recursion."""
        depth: dict[str, int] = {}
        for root in self.let_decls:
            stack = [(root, iter(names_in(self.let_decls[root].expr)))]
            on_path = {root}
            while stack:
                name, deps = stack[-1]
                dep = next((d for d in deps if d in self.let_decls and d not in depth and d not in on_path), None)
                if dep is not None:
                    stack.append((dep, iter(names_in(self.let_decls[dep].expr))))
                    on_path.add(dep)
                    continue
                stack.pop()
                on_path.discard(name)
                below = [depth[d] for d in names_in(self.let_decls[name].expr) if d in depth]
                depth[name] = 1 + max(below, default=0)
                if depth[name] > MAX_LET_DEPTH:
                    return name
        return None

    # ------------------------------------------------------------ clauses

    def check_stages(self, p: ast.Clause | ast.Measure) -> None:
        for s in p.stages:
            if s.id not in STAGES:
                self.err(
                    "POL107",
                    f"'{s.id}' is not a stage of a product's life",
                    s.span,
                    *_did_you_mean(s.id, STAGES),
                    "stages: research, clinical, industrialisation, market, international",
                )

    def check_received(self, decl: ast.InputDecl, ty: Ty, clause_ids: set[str]) -> None:
        r = decl.received
        assert r is not None
        if r.of is not None:
            # The sum of a fact over earlier grants: a quantity of the fact's own unit.
            of = self.inputs.get(r.of.id)
            if of is None:
                self.err("POL101", f"'{r.of.id}' is not an input", r.of.span, *_did_you_mean(r.of.id, self.inputs))
            elif not isinstance(of[0], QuantityT) or of[0] != ty:
                self.err(
                    "POL201",
                    f"'{decl.name}' sums '{r.of.id}' over earlier grants, so it must be of the same kind "
                    f"({of[0].describe()}), not {ty.describe()}",
                    r.span,
                )
            if r.local:
                self.err(
                    "POL107", "`received local … of` is not supported: other governments' grants hold no facts", r.span
                )
        elif not (isinstance(ty, QuantityT) and ty.unit.kind == "money"):
            self.err("POL201", f"'{decl.name}' is filled from grants received, so it must be money", r.span)
        for name in r.clauses:
            if name.id not in clause_ids and name.id not in self.broken:  # a broken clause is reported once
                self.err(
                    "POL101", f"no clause '{name.id}' in this policy", name.span, *_did_you_mean(name.id, clause_ids)
                )
        for s in r.scopes:
            if s not in RECEIVED_SCOPES:
                self.err(
                    "POL107",
                    f"'{s}' is not a scope of amounts received",
                    r.span,
                    *_did_you_mean(s, RECEIVED_SCOPES),
                    "scopes: per product, per project, per policy, per year, per quarter, per enterprise, total",
                )
        if r.local and LEVEL_RANK.get(str(self.header.get("level")), 99) >= LEVEL_RANK["区级"]:
            self.err(
                "POL106",
                "`received local` sums grants of lower levels of government, so the policy needs "
                "a level above district",
                r.span,
                "e.g. `level: province` in the policy header",
            )

    def check_earlier(self, decl: ast.InputDecl, ty: Ty) -> None:
        e = decl.earlier
        assert e is not None
        if ty != BOOL:
            self.err("POL201", f"'{decl.name}' is filled from earlier years' events, so it must be yes/no", e.span)
        if isinstance(self.infer(e.condition), ErrorT):
            return
        # The ledger compares one fact of each earlier event with a figure, as 首次突破/首次达到 do.
        c = e.condition
        if not (
            isinstance(c, ast.Compare)
            and isinstance(c.left, ast.Name)
            and c.left.id in self.inputs
            and c.left.id != decl.name
            and isinstance(c.right, ast.Quantity)
        ):
            self.err(
                "POL107",
                "`earlier` compares an input with a figure, as in `earlier 年销售收入 突破 10亿`",
                c.span,
            )

    def check_clause(self, c: ast.Clause) -> None:
        if c.subject is not None and self.subjects is not None and c.subject.id not in self.subjects:
            self.err(
                "POL107",
                f"'{c.subject.id}' is not a subject of the taxonomy",
                c.subject.span,
                *_did_you_mean(c.subject.id, self.subjects),
                "subjects are listed in subjects.toml beside the policies",
            )
        if c.beneficiary and c.beneficiary.id not in BENEFICIARIES:
            self.err(
                "POL107",
                f"'{c.beneficiary.id}' is not a kind of beneficiary",
                c.beneficiary.span,
                *_did_you_mean(c.beneficiary.id, BENEFICIARIES),
                "beneficiaries: enterprise, park, institution, platform, person",
            )
        for cond in c.conditions:
            self.expect_bool(cond)
        if c.grant is None:
            self.err(
                "POL106",
                f"clause '{c.id}' has no grant",
                c.id_span,
                "write `grant …`, or make it a `measure` if the text gives no money or support",
            )
        else:
            self.check_grant(c, c.grant)
        for cap in c.caps:
            self.expect_money(cap.value, "a cap")
            for s in cap.scopes:
                if s not in SCOPES:
                    self.err(
                        "POL107",
                        f"'{s}' is not a scope of a cap",
                        cap.span,
                        *_did_you_mean(s, SCOPES),
                        "scopes: per year, per quarter, per product, per enterprise, per project, per policy, total",
                    )
            low = _const(cap.value)
            if low is not None and low < 0:
                self.err("POL305", f"the cap is negative ({_money(low)})", cap.value.span)
        self.check_cap_binds(c)
        for off in c.offsets:
            self.expect_money(off.value, "an amount already paid")
        if c.duration is not None and c.duration.unit.kind != "years":
            self.err("POL204", f"a duration is a number of years such as 5年, not '{c.duration.text}'", c.duration.span)
        if c.once is not None and c.once.key is not None and c.once.key.id not in self.inputs:
            self.err(
                "POL101",
                f"'{c.once.key.id}' is not an input: `once by` names the fact whose each value is paid once",
                c.once.key.span,
                *_did_you_mean(c.once.key.id, self.inputs),
            )
        for ex in c.examples:
            self.check_example(ex)

    def check_grant(self, c: ast.Clause, g: ast.Grant) -> None:
        if g.support is not None and g.support not in SUPPORT_KINDS:
            self.err(
                "POL107",
                f"'{g.support}' is not a kind of support",
                g.span,
                *_did_you_mean(g.support, SUPPORT_KINDS),
                "kinds: cash, equity, tax_refund, service",
            )
        if g.mode == "case_by_case":
            return
        if g.mode == "range":
            assert g.low is not None and g.high is not None
            self.expect_money(g.low, "the low end of a range")
            self.expect_money(g.high, "the high end of a range")
            lo, hi = _const(g.low), _const(g.high)
            if lo is not None and hi is not None and lo > hi:
                self.err("POL306", "the range's low end is above its high end", g.span)
            return
        assert g.value is not None
        self.expect_money(g.value, "a grant")
        low = _const(g.value)
        if low is not None and low < 0:
            self.err("POL305", "the grant is negative", g.value.span)
        elif self.may_be_negative(g.value):
            # A negative grant would be reported as 予以支持 and subtract another clause's money from the
            # totals: what has been paid before is deducted with `offset` or `topup`, which stop at zero.
            self.err(
                "POL305",
                "the grant can be negative: a subtraction in it may take away more than there is",
                g.value.span,
                "deduct what was paid before with `offset …` (计入并扣除) or `topup …` (晋级补差), "
                "which never go below zero; or bound it with max(…, 0元)",
            )

    def may_be_negative(self, e: ast.Expr) -> bool:
        """Whether the checker cannot prove the expression non-negative (facts are never negative)."""
        lets = {name: decl.expr for name, (ty, decl) in self.lets.items() if not isinstance(ty, ErrorT)}
        low = _lower(e, lets, set())
        return low is None or low < 0

    def check_cap_binds(self, c: ast.Clause) -> None:
        g = c.grant
        if g is None or g.mode == "case_by_case":
            return
        top = g.high if g.mode == "range" else g.value
        if top is None:
            return
        for cap in c.caps:
            if isinstance(cap.value, ast.ByTable) and isinstance(top, ast.ByTable) and cap.value.key.id == top.key.id:
                grant_rows = {_key_text(k): _upper(e.value) for e in top.entries for k in e.keys}
                for e in cap.value.entries:
                    limit = _const(e.value)
                    for k in e.keys:
                        most = grant_rows.get(_key_text(k))
                        if limit is not None and most is not None and limit >= most:
                            self.err(
                                "POL304",
                                f"the cap for {_key_text(k)} ({_money(limit)}) can never bind: "
                                f"the grant for it is at most {_money(most)}",
                                e.span,
                            )
                continue
            limit = _const(cap.value)
            most = _upper(top)
            if limit is not None and most is not None and limit >= most and not cap.scopes:
                self.err(
                    "POL304",
                    f"the cap {_money(limit)} can never bind: the grant is at most {_money(most)}",
                    cap.span,
                    "remove the cap, or check the amounts against the original text",
                )

    def check_example(self, ex: ast.Example | ast.PolicyExample) -> None:
        seen: set[str] = set()
        for fact in ex.facts:
            name = fact.name.id
            if name in seen:
                self.err("POL401", f"fact '{name}' is given twice in the example", fact.span)
            seen.add(name)
            if name not in self.inputs:
                what = "a definition, computed from inputs" if name in self.lets else "not an input"
                self.err(
                    "POL401",
                    f"'{name}' is {what}; an example gives inputs only",
                    fact.name.span,
                    *_did_you_mean(name, self.inputs),
                )
                continue
            ty = self.inputs[name][0]
            problem = _literal_fits(fact.value, ty)
            if problem:
                self.err("POL401", f"fact '{name}': {problem}", fact.value.span)
        exp = ex.expect
        for q in (exp.amount, exp.low, exp.high):
            if q is not None and q.unit != CNY:
                self.err("POL401", f"an expected amount is money in 元, not '{q.text}'", q.span)

    def check_limit(self, lim: ast.Limit, clause_ids: set[str]) -> None:
        self.expect_money(lim.value, "a limit")
        for name in names_in(lim.value):
            decl = self.inputs.get(name)
            if decl is not None and decl[1].default is None:
                # A limit applies to the totals, after every clause: it cannot wait for a missing fact.
                self.err(
                    "POL107",
                    f"the limit uses '{name}', which has no default",
                    lim.span,
                    f"give it one, e.g. `input {name}: money default 0` for amounts already received",
                )
        for s in lim.scopes:
            if s not in SCOPES:
                self.err("POL107", f"'{s}' is not a scope of a limit", lim.span, *_did_you_mean(s, SCOPES))
        for ref in lim.clauses:
            if ref.id not in clause_ids and ref.id not in self.broken:
                self.err("POL101", f"no clause is called '{ref.id}'", ref.span, *_did_you_mean(ref.id, clause_ids))

    def check_limits_nest(self, limits: list[ast.Limit]) -> None:
        """Limits are nested or apart: for two that share some clauses but not all, no order of cuts is right."""
        sets = [(lim, frozenset(n.id for n in lim.clauses)) for lim in limits if lim.clauses]
        for i, (lim, mine) in enumerate(sets):
            for other, theirs in sets[:i]:
                if mine & theirs and not (mine <= theirs or theirs <= mine):
                    self.err(
                        "POL307",
                        "this limit shares some clauses with the limit at line "
                        f"{other.span.line} but not all ({'、'.join(sorted(mine & theirs))})",
                        lim.span,
                        "limits must be nested (one on a part of the other's clauses) or apart, so that "
                        "a cut is counted once; write the shared clauses' limit as its own `limit`",
                    )

    # ------------------------------------------------------------ expressions

    def expect_bool(self, e: ast.Expr) -> None:
        ty = self.infer(e)
        if not isinstance(ty, (BoolT, ErrorT)):
            self.err(
                "POL204",
                f"a condition must be yes or no, but this is {ty.describe()}",
                e.span,
                "compare it, as in '实缴注册资本 2000万 以上'",
            )

    def expect_money(self, e: ast.Expr, what: str) -> None:
        ty = self.infer(e)
        if isinstance(ty, ErrorT):
            return
        if not isinstance(ty, QuantityT) or ty.unit.kind != "money":
            self.err("POL204", f"{what} must be an amount of money, but this is {ty.describe()}", e.span)
        elif ty.unit.currency != "CNY":
            self.err(
                "POL202",
                f"{what} must be in 元, but this is {ty.describe()}",
                e.span,
                "amounts in 美元 may be compared with 美元 thresholds but are never paid or added to 元",
            )

    def infer(self, e: ast.Expr, hint: Ty | None = None) -> Ty:
        ty = self._infer(e, hint)
        self.types[id(e)] = ty  # the module's AST keeps every node alive, so ids stay unique
        return ty

    def _infer(self, e: ast.Expr, hint: Ty | None) -> Ty:
        match e:
            case ast.Quantity(unit=unit):
                return QuantityT(unit)
            case ast.DateLit():
                return DATE
            case ast.BoolLit():
                return BOOL
            case ast.Name():
                return self.infer_name(e, hint)
            case ast.BinOp():
                return self.infer_binop(e)
            case ast.Call(args=args):
                tys = [self.infer(a) for a in args]
                return self.same_quantity(tys, [a.span for a in args], f"the values of {e.func}()", e.span)
            case ast.Compare():
                return self.infer_compare(e)
            case ast.InSet(subject=subject, options=options):
                sty = self.infer(subject)
                for o in options:
                    oty = self.infer(o, sty)
                    self.compatible(sty, oty, o.span, "compare")
                return BOOL
            case ast.And(items=items) | ast.Or(items=items):
                for item in items:
                    self.expect_bool(item)
                return BOOL
            case ast.Not(item=item):
                self.expect_bool(item)
                return BOOL
            case ast.ByTable():
                return self.infer_table(e)
            case ast.Tiers():
                return self.infer_tiers(e)
            case _:
                assert_never(e)

    def infer_name(self, e: ast.Name, hint: Ty | None) -> Ty:
        if e.id in self.inputs:
            ty = self.inputs[e.id][0]
            self.refs[id(e)] = Ref("input", e.id, ty)
            return ty
        if e.id in self.let_decls:
            ty = self.lets[e.id][0] if e.id in self.lets else ERROR
            self.refs[id(e)] = Ref("let", e.id, ty)
            return ty
        if isinstance(hint, EnumT) and e.id in hint.members:
            self.refs[id(e)] = Ref("member", e.id, hint)
            return hint
        owners = self.members.get(e.id, [])
        if len(owners) == 1:
            self.refs[id(e)] = Ref("member", e.id, owners[0])
            return owners[0]
        if e.id in self.broken:
            return ERROR
        if e.id in self.enums:
            self.err(
                "POL101",
                f"'{e.id}' is an enum, a kind of value, not a value",
                e.span,
                f"declare an input that holds it: input {e.id}: {e.id}",
            )
            return ERROR
        known = list(self.inputs) + list(self.let_decls) + list(self.members)
        notes = list(_did_you_mean(e.id, known))
        if isinstance(hint, EnumT) and not notes:
            notes.append(f"'{hint.name}' is one of: {', '.join(hint.members)}")
        glued = sorted(
            (
                w
                for w in set(COMPARE_WORDS) | set(KEYWORD_SPELLINGS.values())
                if not w.isascii() and w in e.id and w != e.id
            ),
            key=len,
        )
        if glued:
            notes.append(
                f"'{e.id}' contains the keyword '{glued[-1]}': Chinese keywords must be separated from "
                "names and numbers by spaces, as in '年亩产税收 50万 以上'"
            )
        if len(owners) > 1:
            self.err(
                "POL101",
                f"'{e.id}' is a member of several enums ({', '.join(o.name for o in owners)}); "
                "compare it with an input to say which",
                e.span,
            )
        else:
            self.err("POL101", f"unknown name '{e.id}'", e.span, *notes)
        return ERROR

    def infer_binop(self, e: ast.BinOp) -> Ty:
        lt, rt = self.infer(e.left), self.infer(e.right)
        if isinstance(lt, ErrorT) or isinstance(rt, ErrorT):
            return ERROR
        if not isinstance(lt, QuantityT) or not isinstance(rt, QuantityT):
            bad = e.left if not isinstance(lt, QuantityT) else e.right
            self.err("POL204", f"arithmetic needs numbers, but this is {self.types[id(bad)].describe()}", bad.span)
            return ERROR
        lu, ru = lt.unit, rt.unit
        if e.op in ("+", "-"):
            return self.same_quantity([lt, rt], [e.left.span, e.right.span], "the two sides", e.span)
        if e.op == "every":
            if isinstance(self.same_quantity([lt, rt], [e.left.span, e.right.span], "the two sides", e.span), ErrorT):
                return ERROR
            step = _const(e.right)
            if step is not None and step <= 0:
                self.err("POL204", f"the step of 每满 must be above zero, not {step}", e.right.span)
                return ERROR
            return QuantityT(NUMBER)
        if e.op == "*":
            for side, u in ((e.left, lu), (e.right, ru)):
                other = ru if side is e.left else lu
                v = _const(side)
                if u.kind == "ratio" and other.kind in ("money", "money_per_area") and v is not None and v > 1:
                    self.err(
                        "POL203",
                        f"a rate of {_pct(v)} is above 100%",
                        side.span,
                        "a grant cannot exceed the base it is a share of; check the original text",
                    )
                # `费用 × 40` where the text says 40%: the explanation would read "× 40 = 4亿元".
                if (
                    u.kind == "number"
                    and isinstance(side, ast.Quantity)
                    and v is not None
                    and v > 1
                    and other.kind in ("money", "money_per_area")
                ):
                    self.warn(
                        "POL206",
                        f"money multiplied by the bare number {side.text}: {v} times the amount",
                        side.span,
                        f"a rate is written with %, as in '× {side.text}%'; a multiple meant as such is clearer as "
                        "a named definition (let)",
                    )
            if lu.kind in ("ratio", "number"):
                return QuantityT(ru)
            if ru.kind in ("ratio", "number"):
                return QuantityT(lu)
            pair = {lu.kind, ru.kind}
            if pair == {"money_per_area", "area"}:
                rate, area = (lu, ru) if lu.kind == "money_per_area" else (ru, lu)
                if rate.area != area.area:
                    self.err(
                        "POL201",
                        f"cannot multiply {rate.describe()} by {area.describe()}: the area units differ",
                        e.span,
                        "use the same area unit on both sides (平方米 or 亩)",
                    )
                    return ERROR
                return QuantityT(Unit("money", rate.currency))
            if lu.kind == "money" and ru.kind == "money":
                self.err(
                    "POL205",
                    "money multiplied by money has no meaning",
                    e.span,
                    "a rate is written as a percentage, as in '临床研发费用 × 40%'",
                )
                return ERROR
            self.err("POL201", f"cannot multiply {lu.describe()} by {ru.describe()}", e.span)
            return ERROR
        # division
        if ru.kind in ("number", "ratio"):
            return QuantityT(lu)
        if lu == ru:
            return QuantityT(RATIO)
        if lu.kind == "money" and ru.kind == "area":
            return QuantityT(Unit("money_per_area", lu.currency, ru.area))
        if lu.kind == "money" and ru.kind == "money":
            self.err("POL202", f"cannot divide {lu.describe()} by {ru.describe()}", e.span)
            return ERROR
        self.err("POL201", f"cannot divide {lu.describe()} by {ru.describe()}", e.span)
        return ERROR

    def same_quantity(self, tys: list[Ty], spans: list[Span], what: str, span: Span) -> Ty:
        if any(isinstance(t, ErrorT) for t in tys):
            return ERROR
        if not all(isinstance(t, QuantityT) for t in tys):
            self.err("POL204", f"{what} must be numbers", span)
            return ERROR
        first = tys[0]
        for t, s in zip(tys[1:], spans[1:], strict=True):
            if not self.compatible(first, t, s, "combine"):
                return ERROR
        return first

    def compatible(self, a: Ty, b: Ty, span: Span, verb: str) -> bool:
        """Whether values of types `a` and `b` may be compared or combined; reports why not."""
        if isinstance(a, ErrorT) or isinstance(b, ErrorT) or a == b:
            return True
        if isinstance(a, QuantityT) and isinstance(b, QuantityT):
            ua, ub = a.unit, b.unit
            if ua.kind == ub.kind and ua.kind in ("money", "money_per_area") and ua.currency != ub.currency:
                self.err(
                    "POL202",
                    f"cannot {verb} {ua.describe()} with {ub.describe()}",
                    span,
                    "write the amount in the same currency, as in '500万美元'",
                )
                return False
            if {ua.kind, ub.kind} == {"number", "years"}:
                return True
            self.err("POL201", f"cannot {verb} {ua.describe()} with {ub.describe()}", span)
            return False
        self.err("POL204", f"cannot {verb} {a.describe()} with {b.describe()}", span)
        return False

    def infer_compare(self, e: ast.Compare) -> Ty:
        lt = self.infer(e.left)
        rt = self.infer(e.right, lt)
        if isinstance(lt, EnumT) and not isinstance(rt, ErrorT):
            if e.op not in ("==", "!="):
                self.err("POL204", f"'{lt.name}' is a category and has no order; use = or in (…)", e.span)
        elif isinstance(lt, BoolT) and e.op not in ("==", "!="):
            self.err("POL204", "yes/no values have no order", e.span)
        self.compatible(lt, rt, e.right.span, "compare")
        return BOOL

    def key_type(self, key: ast.Name) -> Ty:
        ty = self.infer(key)
        if isinstance(ty, QuantityT) and ty.unit.kind not in ("number", "years"):
            self.err(
                "POL204",
                f"a table is keyed by a category, a yes/no or a count, not {ty.describe()}",
                key.span,
                "for thresholds on amounts, use tiers { … }",
            )
            return ERROR
        if isinstance(ty, DateT):
            self.err("POL204", "a table cannot be keyed by a date", key.span)
            return ERROR
        return ty

    def infer_table(self, e: ast.ByTable) -> Ty:
        kty = self.key_type(e.key)
        seen: dict[str, Span] = {}
        for entry in e.entries:
            for k in entry.keys:
                if isinstance(kty, ErrorT):
                    continue
                kt = self.infer(k, kty)
                self.compatible(kty, kt, k.span, "match")
                text = _key_text(k)
                if text in seen:
                    self.err("POL102", f"'{text}' is listed twice in the table", k.span)
                seen[text] = k.span
        vtys = [self.infer(x.value) for x in e.entries]
        spans = [x.value.span for x in e.entries]
        if e.default is not None:
            vtys.append(self.infer(e.default))
            spans.append(e.default.span)
        if e.default is None and isinstance(kty, (EnumT, BoolT)):
            members = kty.members if isinstance(kty, EnumT) else ("true", "false")
            missing = [m for m in members if m not in seen]
            if missing:
                self.err(
                    "POL301",
                    f"the table by '{e.key.id}' has no row for {', '.join(missing)}",
                    e.span,
                    "add the missing rows, or an `else:` row",
                )
        return self.same_quantity(vtys, spans, "the table's values", e.span) if vtys else ERROR

    def infer_tiers(self, e: ast.Tiers) -> Ty:
        for t in e.entries:
            self.expect_bool(t.condition)
        vtys = [self.infer(t.value) for t in e.entries]
        self.check_tier_order(e)
        return self.same_quantity(vtys, [t.value.span for t in e.entries], "the tiers' values", e.span)

    def check_tier_order(self, e: ast.Tiers) -> None:
        bounds = [_tier_bounds(t.condition) for t in e.entries]
        for i in range(1, len(e.entries)):
            for name, (lo, lo_cmp) in bounds[i]["low"].items():
                prev = bounds[i - 1]["low"].get(name)
                if prev is not None and lo <= prev[0]:
                    self.err(
                        "POL302",
                        f"tier {i + 1} starts at {_show(lo_cmp)}, not above tier {i}'s {_show(prev[1])}",
                        lo_cmp.span,
                        "list tiers from the lowest threshold to the highest; the highest tier reached applies",
                    )
            for name, (hi, hi_cmp) in bounds[i - 1]["high"].items():
                nxt = bounds[i]["low"].get(name)
                if nxt is None:
                    continue
                lo, lo_cmp = nxt
                if hi > lo or (hi == lo and hi_cmp.op == "<=" and lo_cmp.op == ">="):
                    self.err(
                        "POL303",
                        f"tiers {i} and {i + 1} overlap: {name} = {_show_value(lo_cmp)} is in both",
                        lo_cmp.span,
                        f"'{hi_cmp.word}' and '{lo_cmp.word}' both include the number itself; "
                        "use 不满/低于 or 超过 on one side",
                    )


# ---------------------------------------------------------------- helpers


def _const(e: ast.Expr) -> Decimal | None:
    """The value of an expression made only of literals, else None."""
    match e:
        case ast.Quantity(value=v):
            return v
        case ast.BinOp(op=op, left=left, right=right):
            a, b = _const(left), _const(right)
            if a is None or b is None:
                return None
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "every":
                return max(a, Decimal(0)) // b if b > 0 else None
            return a / b if b else None
        case _:
            return None


def _upper(e: ast.Expr) -> Decimal | None:
    """The largest value an expression can take, where that is fixed by the text; None when unbounded."""
    match e:
        case ast.ByTable(entries=entries, default=default):
            values = [_upper(x.value) for x in entries] + ([_upper(default)] if default is not None else [])
            return None if any(v is None for v in values) else max(values)  # type: ignore[type-var]
        case ast.Tiers(entries=entries):
            values = [_upper(t.value) for t in entries]
            return None if any(v is None for v in values) else max(values)  # type: ignore[type-var]
        case ast.Call(func="min", args=args):
            bounded = [v for v in (_upper(a) for a in args) if v is not None]
            return min(bounded) if bounded else None
        case _:
            return _const(e)


def _lower(e: ast.Expr, lets: dict[str, ast.Expr], seen: set[str]) -> Decimal | None:
    """The smallest value an expression can take, given that facts are never negative; None when unbounded."""
    match e:
        case ast.Quantity(value=v):
            return v
        case ast.Name(id=name):
            if name in lets:
                # A cycle is POL501's to report; it proves nothing here.
                return Decimal(0) if name in seen else _lower(lets[name], lets, seen | {name})
            return Decimal(0)
        case ast.BinOp(op="every"):
            return Decimal(0)  # a count of whole steps is never negative
        case ast.BinOp(op=op, left=left, right=right):
            a, b = _lower(left, lets, seen), _lower(right, lets, seen)
            if op == "-":
                most = _upper(right)
                return None if a is None or most is None else a - most
            if a is None or b is None:
                return None
            if op == "+":
                return a + b
            return a * b if op == "*" and a >= 0 and b >= 0 else Decimal(0) if a >= 0 and b >= 0 else None
        case ast.Call(func=func, args=args):
            lows = [_lower(a, lets, seen) for a in args]
            if func == "min":
                return None if any(v is None for v in lows) else min(lows)  # type: ignore[type-var]
            known = [v for v in lows if v is not None]
            return max(known) if known else None
        case ast.ByTable(entries=entries, default=default):
            lows = [_lower(x.value, lets, seen) for x in entries]
            lows += [_lower(default, lets, seen)] if default is not None else []
            return None if any(v is None for v in lows) else min(lows)  # type: ignore[type-var]
        case ast.Tiers(entries=entries):
            lows = [_lower(t.value, lets, seen) for t in entries]
            return None if any(v is None for v in lows) else min(lows)  # type: ignore[type-var]
    return None


def _key_text(k: ast.Expr) -> str:
    match k:
        case ast.Name(id=i):
            return i
        case ast.Quantity(text=t):
            return t
        case ast.BoolLit(value=v):
            return "true" if v else "false"
        case _:
            return "?"


def _tier_bounds(cond: ast.Expr) -> dict[str, dict[str, tuple[Decimal, ast.Compare]]]:
    """Lower and upper thresholds on names in a tier condition: {"low": {name: (value, cmp)}, "high": …}."""
    out: dict[str, dict[str, tuple[Decimal, ast.Compare]]] = {"low": {}, "high": {}}
    items = cond.items if isinstance(cond, ast.And) else (cond,)
    for item in items:
        if isinstance(item, ast.Compare) and isinstance(item.left, ast.Name):
            v = _const(item.right)
            if v is None:
                continue
            if item.op in (">=", ">"):
                out["low"][item.left.id] = (v, item)
            elif item.op in ("<=", "<"):
                out["high"][item.left.id] = (v, item)
    return out


def _show_value(c: ast.Compare) -> str:
    return c.right.text if isinstance(c.right, ast.Quantity) else "?"


def _show(c: ast.Compare) -> str:
    value = _show_value(c)
    return f"{value}{c.word}" if c.word in POSTFIX_WORDS else f"{c.word} {value}"


def _money(v: Decimal) -> str:
    return _fmt(v, CNY)


def _pct(v: Decimal) -> str:
    return _fmt(v, RATIO)


def _literal_fits(value: ast.Expr, ty: Ty) -> str | None:
    """Why a literal fact cannot be a value of `ty`, or None when it can."""
    match ty:
        case ErrorT():
            return None
        case QuantityT(unit=unit):
            if not isinstance(value, ast.Quantity):
                return f"expected {unit.describe()}, got {type(value).__name__.lower()}"
            got = value.unit
            zero = got.kind == "number" and value.value == 0  # nothing is nothing in any unit
            if got == unit or zero or {got.kind, unit.kind} <= {"number", "years"}:
                if unit.kind == "number" and value.value != value.value.to_integral_value():
                    return f"a count must be a whole number, not {value.text}"
                return None
            return f"expected {unit.describe()}, got '{value.text}' which is {got.describe()}"
        case DateT():
            return None if isinstance(value, ast.DateLit) else "expected a date such as 2021-11-01"
        case BoolT():
            return None if isinstance(value, ast.BoolLit) else "expected true or false (是/否)"
        case EnumT(members=members):
            if isinstance(value, ast.Name) and value.id in members:
                return None
            shown = value.id if isinstance(value, ast.Name) else getattr(value, "text", "?")
            return f"'{shown}' is not one of {', '.join(members)}" + "".join(
                " (" + n + ")" for n in _did_you_mean(str(shown), members)
            )
        case _:
            return "unexpected value"
