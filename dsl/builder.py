"""Build the typed AST from Lark's parse tree: one method per grammar rule, each node with its span."""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from typing import Any

from lark import Token, Tree

from pol.dsl import ast
from pol.dsl.diagnostics import Diagnostic, T, error
from pol.dsl.source import Span
from pol.dsl.units import RangeError, UnitError, parse_quantity, split_threshold
from pol.dsl.words import COMPARE_WORDS, HEADER_WORDS

WHAT_ZH = {"clause": "条款", "measure": "措施"}

# A fact that begins as a figure in Chinese numerals does (三千万, 一千五百万元, 百分之四十, 十年).
_CN_FACT = re.compile(r"(百分之)?[零〇一壹二贰两三叁四肆五伍六陆七柒八捌九玖十拾]")


# How-to-apply items by their English and Chinese spellings.
APPLY_KEYS = {
    "materials": "materials",
    "申报材料": "materials",
    "procedure": "procedure",
    "申报程序": "procedure",
    "window": "window",
    "申报时间": "window",
    "office": "office",
    "受理部门": "office",
    "contact": "contact",
    "联系方式": "contact",
}


# What `received_local` and `received_higher` become, so that `received` can tell them from clause names.

_COMPARE_SYMBOLS: dict[str, ast.CompareOp] = {
    ">=": ">=",
    "≥": ">=",
    "<=": "<=",
    "≤": "<=",
    ">": ">",
    "<": "<",
    "==": "==",
    "=": "==",
    "!=": "!=",
}

LOCAL = object()
HIGHER = object()


# The words written after a threshold (50万元以上), with the comparison the legal reading gives them.
_THRESHOLD_OPS = {word: COMPARE_WORDS[word] for word in ("以上", "以下", "以内")}


_CLAUSE_ONLY = (
    "beneficiary",
    "subject",
    "exclusive",
    "parties",
    "when",
    "grant",
    "cap",
    "offset",
    "topup",
    "duration",
    "once",
    "obligation",
    "example",
    "apply",
)


def _unquote(raw: str) -> str:
    if raw.startswith('"""'):
        body = raw[3:-3]
        return "\n".join(line.strip() for line in body.strip().split("\n"))
    body = raw[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


class Builder:
    """Turns one chunk's parse tree into AST nodes, collecting the problems it finds in literals and items.

    One job that reads better whole: one method per rule of grammar.lark, in the grammar's order, so a rule
    and the node it builds are found side by side.
    """

    def __init__(self, path: str, line_offset: int):
        self.path = path
        self.line_offset = line_offset
        self.diagnostics: list[Diagnostic] = []

    def build(self, tree: Tree[Token]) -> Any:
        """The AST of a parse tree: each rule's method called on its children's ASTs, the deepest first."""
        # A direct walk, not lark.Transformer: its per-node dispatch and meta wrappers were a third of the
        # time `pol check` spent parsing.
        methods = _rule_methods()

        def visit(t: Tree[Token]) -> Any:
            children = [visit(c) if type(c) is Tree else c for c in t.children]
            method = methods.get(t.data)
            return Tree(t.data, children, t.meta) if method is None else method(self, t.meta, children)

        return visit(tree)

    # -- spans

    def _span(self, meta: Any) -> Span:
        if getattr(meta, "empty", True) and not hasattr(meta, "line"):
            return Span(
                file=self.path, line=self.line_offset + 1, column=1, end_line=self.line_offset + 1, end_column=1
            )
        return Span(
            file=self.path,
            line=meta.line + self.line_offset,
            column=meta.column,
            end_line=meta.end_line + self.line_offset,
            end_column=meta.end_column,
        )

    def _tspan(self, token: Token) -> Span:
        return Span(
            file=self.path,
            # The lexer gives every token its position; the `or` only satisfies Lark's optional types.
            line=(token.line or 1) + self.line_offset,
            column=token.column or 1,
            end_line=(token.end_line or token.line or 1) + self.line_offset,
            end_column=token.end_column or 1,
        )

    def _text(self, token: Token) -> ast.Text:
        return ast.Text(value=_unquote(token.value), span=self._tspan(token))

    def _quantity(self, token: Token, text: str | None = None) -> ast.Quantity:
        text = token.value if text is None else text
        try:
            value, unit = parse_quantity(text)
        except UnitError as exc:
            code = "POL003" if isinstance(exc, RangeError) else "POL002"
            self.diagnostics.append(error(code, T(f"无法读取字面量“{text}”：{exc}", str(exc)), self._tspan(token)))
            value, unit = parse_quantity("0")
        return ast.Quantity(value=value, unit=unit, text=text, span=self._tspan(token))

    # -- file structure

    def start(self, meta: Any, children: list[Any]) -> list[Any]:
        return children

    def policy(self, meta: Any, c: list[Any]) -> ast.PolicyHeader:
        return ast.PolicyHeader(name=c[0].value, fields=tuple(c[1:]), span=self._span(meta))

    def meta_field(self, meta: Any, c: list[Any]) -> ast.MetaField:
        key = c[0] if isinstance(c[0], str) and not isinstance(c[0], Token) else c[0].value
        # 标题, 发文机关 …: the Chinese name of a field is that field.
        return ast.MetaField(key=HEADER_WORDS.get(key, key), values=tuple(c[1:]), span=self._span(meta))

    def note_key(self, meta: Any, c: list[Any]) -> str:
        return "note"

    def enum_decl(self, meta: Any, c: list[Any]) -> ast.EnumDecl:
        label = _unquote(c[1].value) if len(c) > 1 and isinstance(c[1], Token) else None
        members = tuple(x for x in c[1:] if isinstance(x, ast.EnumMember))
        return ast.EnumDecl(name=c[0].value, label=label, members=members, span=self._span(meta))

    def enum_member(self, meta: Any, c: list[Any]) -> ast.EnumMember:
        label = _unquote(c[1].value) if len(c) > 1 else None
        return ast.EnumMember(name=c[0].value, label=label, span=self._span(meta))

    def input_decl(self, meta: Any, c: list[Any]) -> ast.InputDecl:
        label = next((_unquote(x.value) for x in c[2:] if isinstance(x, Token)), None)
        default = next((x[1] for x in c[2:] if isinstance(x, tuple)), None)
        received = next((x for x in c[2:] if isinstance(x, ast.Received)), None)
        earlier = next((x for x in c[2:] if isinstance(x, ast.Earlier)), None)
        return ast.InputDecl(
            name=c[0].value,
            type=c[1],
            label=label,
            default=default,
            span=self._tspan(c[0]),
            received=received,
            earlier=earlier,
        )

    def earlier(self, meta: Any, c: list[Any]) -> ast.Earlier:
        return ast.Earlier(condition=c[0], span=self._span(meta))

    def received(self, meta: Any, c: list[Any]) -> ast.Received:
        names = tuple(ast.Name(id=t.value, span=self._tspan(t)) for t in c if isinstance(t, Token) and t.type == "NAME")
        scopes = tuple(x[1] for x in c if isinstance(x, tuple) and x[0] == "scope")
        subject = next((x[1] for x in c if isinstance(x, tuple) and x[0] == "subject"), None)
        of = next((x for x in c if isinstance(x, ast.Name)), None)
        return ast.Received(
            clauses=names,
            scopes=scopes,
            local=LOCAL in c,
            higher=HIGHER in c,
            span=self._span(meta),
            of=of,
            subject=subject,
        )

    def received_subject(self, meta: Any, c: list[Any]) -> tuple[str, ast.Name]:
        return ("subject", ast.Name(id=c[0].value, span=self._tspan(c[0])))

    def received_of(self, meta: Any, c: list[Any]) -> ast.Name:
        return ast.Name(id=c[0].value, span=self._tspan(c[0]))

    def received_local(self, meta: Any, c: list[Any]) -> object:
        return LOCAL

    def received_higher(self, meta: Any, c: list[Any]) -> object:
        return HIGHER

    def default_value(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return ("default", c[0])

    def type_ref(self, meta: Any, c: list[Any]) -> ast.TypeRef:
        arg = next((x[1] for x in c[1:] if x[0] == "arg"), None)
        per = next((x[1] for x in c[1:] if x[0] == "per"), None)
        return ast.TypeRef(name=c[0].value, arg=arg, per=per, span=self._span(meta))

    def type_arg(self, meta: Any, c: list[Any]) -> tuple[str, str]:
        return ("arg", c[0].value)

    def type_per(self, meta: Any, c: list[Any]) -> tuple[str, str]:
        return ("per", c[0].value)

    def let_decl(self, meta: Any, c: list[Any]) -> ast.LetDecl:
        label = _unquote(c[2].value) if len(c) > 2 else None
        return ast.LetDecl(name=c[0].value, expr=c[1], label=label, span=self._tspan(c[0]))

    def limit(self, meta: Any, c: list[Any]) -> ast.Limit:
        article = None
        if isinstance(c[0], Token) and c[0].type == "STRING":
            article, c = _unquote(c[0].value), c[1:]
        scopes = tuple(x[1] for x in c[1:] if isinstance(x, tuple) and x[0] == "scope")
        on = next((x[1] for x in c[1:] if isinstance(x, tuple) and x[0] == "on"), ())
        label = next((x[1] for x in c[1:] if isinstance(x, tuple) and x[0] == "label"), None)
        return ast.Limit(article=article, value=c[0], scopes=scopes, clauses=on, label=label, span=self._span(meta))

    def limit_on(self, meta: Any, c: list[Any]) -> tuple[str, tuple[ast.Name, ...]]:
        return ("on", tuple(ast.Name(id=t.value, span=self._tspan(t)) for t in c))

    def label(self, meta: Any, c: list[Any]) -> tuple[str, str]:
        return ("label", _unquote(c[0].value))

    def scope_per(self, meta: Any, c: list[Any]) -> tuple[str, str]:
        return ("scope", c[0].value)

    def scope_word(self, meta: Any, c: list[Any]) -> tuple[str, str]:
        return ("scope", c[0].value)

    # -- clauses and measures

    def clause(self, meta: Any, c: list[Any]) -> ast.Clause | None:
        return self._provision(meta, c, measure=False)

    def measure(self, meta: Any, c: list[Any]) -> ast.Measure | None:
        return self._provision(meta, c, measure=True)

    def _provision(self, meta: Any, c: list[Any], measure: bool) -> Any:
        id_token: Token = c[0]
        article = _unquote(c[1].value) if len(c) > 1 and isinstance(c[1], Token) else None
        items = [x for x in c[1:] if isinstance(x, tuple)]
        single: dict[str, Any] = {}
        many: dict[str, list[Any]] = {
            k: []
            for k in (
                "stage",
                "parties",
                "lead",
                "responsible",
                "note",
                "waive",
                "when",
                "cap",
                "offset",
                "obligation",
                "todo",
                "example",
                "apply",
            )
        }
        what = "measure" if measure else "clause"
        for kind, value, span in items:
            if not measure and kind == "general":
                self.diagnostics.append(
                    error(
                        "POL104",
                        T(
                            "条款中不能写 general；它标记的是各条款共用其原文的措施",
                            "'general' cannot appear in a clause; it marks a measure whose text every clause shares",
                        ),
                        span,
                        T(
                            "把它写在陈述共同条件（支持对象、适用范围）的措施上",
                            "put it on the measure that states the common conditions (支持对象, 适用范围)",
                        ),
                    )
                )
                continue
            if measure and kind in _CLAUSE_ONLY:
                self.diagnostics.append(
                    error(
                        "POL104",
                        T(
                            f"措施中不能写“{kind}”；措施没有资金规则",
                            f"'{kind}' cannot appear in a measure; a measure has no money rule",
                        ),
                        span,
                        T(
                            "原文给予资金或其他支持时，写成条款（clause）",
                            "write it as a clause if the text grants money or other support",
                        ),
                    )
                )
                continue
            if kind in ("offset", "topup"):
                many["offset"].append(value)
            elif kind in many:
                many[kind].extend(value) if isinstance(value, tuple) else many[kind].append(value)
            elif kind in single:
                self.diagnostics.append(
                    error(
                        "POL104",
                        T(
                            f"“{kind}”在{WHAT_ZH.get(what, what)}“{id_token.value}”中写了两次",
                            f"'{kind}' is given twice in {what} '{id_token.value}'",
                        ),
                        span,
                    )
                )
            else:
                single[kind] = value
        span = self._span(meta)
        general = single.get("general")
        if general is not None and not general.value and single.get("original") is None:
            self.diagnostics.append(
                error(
                    "POL104",
                    T(
                        f"措施“{id_token.value}”标为 general（共同条件），却什么也没说：它没有原文",
                        f"measure '{id_token.value}' is marked general but states nothing: it has no original",
                    ),
                    general.span,
                    T(
                        '请给出原文，或直接写出共同条件：general "…"',
                        'give its original, or say the common conditions plainly: general "…"',
                    ),
                )
            )
        if measure:
            return ast.Measure(
                id=id_token.value,
                article=article,
                title=single.get("title"),
                original=single.get("original"),
                stages=tuple(many["stage"]),
                lead=tuple(many["lead"]),
                responsible=tuple(many["responsible"]),
                notes=tuple(many["note"]),
                waivers=tuple(many["waive"]),
                span=span,
                id_span=self._tspan(id_token),
                general=general,
                todos=tuple(many["todo"]),
            )
        return ast.Clause(
            id=id_token.value,
            article=article,
            title=single.get("title"),
            original=single.get("original"),
            beneficiary=single.get("beneficiary"),
            stages=tuple(many["stage"]),
            subject=single.get("subject"),
            exclusive=single.get("exclusive"),
            parties=tuple(many["parties"]),
            lead=tuple(many["lead"]),
            responsible=tuple(many["responsible"]),
            notes=tuple(many["note"]),
            waivers=tuple(many["waive"]),
            conditions=tuple(many["when"]),
            grant=single.get("grant"),
            caps=tuple(many["cap"]),
            offsets=tuple(many["offset"]),
            duration=single.get("duration"),
            examples=tuple(many["example"]),
            span=span,
            id_span=self._tspan(id_token),
            once=single.get("once"),
            obligations=tuple(many["obligation"]),
            todos=tuple(many["todo"]),
            application=tuple(many["apply"]),
        )

    def title(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        return ("title", self._text(c[0]), self._span(meta))

    def original(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        return ("original", self._text(c[0]), self._span(meta))

    def lead(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        return ("lead", tuple(self._text(t) for t in c), self._span(meta))

    def waive(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        values = tuple(self._quantity(t) for t in c[:-1])
        return (
            "waive",
            ast.Waiver(values=values, reason=_unquote(c[-1].value), span=self._span(meta)),
            self._span(meta),
        )

    def todo(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        values = tuple(self._quantity(t) for t in c[:-1])
        span = self._span(meta)
        return ("todo", ast.Todo(values=values, text=_unquote(c[-1].value), span=span), span)

    def waive_scope(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        waiver = ast.Waiver(
            values=(), reason=_unquote(c[1].value), span=self._span(meta), words=(_unquote(c[0].value),)
        )
        return ("waive", waiver, self._span(meta))

    def apply(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        key = APPLY_KEYS[c[0].value]
        return ("apply", ((key, self._text(c[1])),), self._span(meta))

    def note(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        return ("note", self._text(c[0]), self._span(meta))

    def beneficiary(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        return ("beneficiary", ast.Name(id=c[0].value, span=self._tspan(c[0])), self._span(meta))

    def subject(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        return ("subject", ast.Name(id=c[0].value, span=self._tspan(c[0])), self._span(meta))

    def exclusive(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        reason = self._text(c[0]) if c else ast.Text(value="", span=self._span(meta))
        return ("exclusive", reason, self._span(meta))

    def general(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        reading = self._text(c[0]) if c else ast.Text(value="", span=self._span(meta))
        return ("general", reading, self._span(meta))

    def stage(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        return ("stage", tuple(ast.Name(id=t.value, span=self._tspan(t)) for t in c), self._span(meta))

    def parties(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        return ("parties", tuple(self._text(t) for t in c), self._span(meta))

    def responsible(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        return ("responsible", tuple(self._text(t) for t in c), self._span(meta))

    def when(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        return ("when", c[0], self._span(meta))

    def grant(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        g: ast.Grant = c[0]
        support = c[1] if len(c) > 1 else None
        span = self._span(meta)
        return (
            "grant",
            ast.Grant(mode=g.mode, value=g.value, low=g.low, high=g.high, support=support, span=span),
            span,
        )

    def support(self, meta: Any, c: list[Any]) -> str:
        return str(c[0].value)

    def grant_exact(self, meta: Any, c: list[Any]) -> ast.Grant:
        return ast.Grant(mode="exact", value=c[0], low=None, high=None, support=None, span=self._span(meta))

    def grant_up_to(self, meta: Any, c: list[Any]) -> ast.Grant:
        return ast.Grant(mode="up_to", value=c[0], low=None, high=None, support=None, span=self._span(meta))

    def grant_range(self, meta: Any, c: list[Any]) -> ast.Grant:
        low, high = c
        # `15% to 30% of 销售价格` parses as (15%) to (30% of 销售价格): give the low rate the same base.
        if (
            isinstance(low, ast.Quantity)
            and low.unit.kind == "ratio"
            and isinstance(high, ast.BinOp)
            and high.op == "*"
            and high.form in ("of", "times")
            and isinstance(high.left, ast.Quantity)
            and high.left.unit.kind == "ratio"
        ):
            low = ast.BinOp(op="*", left=low, right=high.right, form=high.form, span=low.span.to(high.span))
        return ast.Grant(mode="range", value=None, low=low, high=high, support=None, span=self._span(meta))

    def grant_case(self, meta: Any, c: list[Any]) -> ast.Grant:
        return ast.Grant(mode="case_by_case", value=None, low=None, high=None, support=None, span=self._span(meta))

    def cap(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        scopes = tuple(x[1] for x in c[1:] if x[0] == "scope")
        label = next((x[1] for x in c[1:] if x[0] == "label"), None)
        after = any(x[0] == "after_offsets" for x in c[1:])
        span = self._span(meta)
        return ("cap", ast.Cap(value=c[0], scopes=scopes, label=label, span=span, after_offsets=after), span)

    def after_offsets(self, meta: Any, c: list[Any]) -> tuple[str, bool]:
        return ("after_offsets", True)

    def offset(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        span = self._span(meta)
        return ("offset", ast.Offset(kind="offset", value=c[0], span=span), span)

    def topup(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        span = self._span(meta)
        return ("topup", ast.Offset(kind="topup", value=c[0], span=span), span)

    def once(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        key = ast.Name(id=c[0].value, span=self._tspan(c[0])) if c else None
        span = self._span(meta)
        return ("once", ast.Once(key=key, span=span), span)

    def obligation(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        label = next((x[1] for x in c[2:] if isinstance(x, tuple) and x[0] == "label"), None)
        span = self._span(meta)
        return ("obligation", ast.Obligation(term=self._quantity(c[0]), condition=c[1], label=label, span=span), span)

    def duration(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        return ("duration", self._quantity(c[0]), self._span(meta))

    def example(self, meta: Any, c: list[Any]) -> tuple[str, Any, Span]:
        name = _unquote(c[0].value) if isinstance(c[0], Token) else ""
        facts = tuple(x for x in c if isinstance(x, ast.Fact))
        span = self._span(meta)
        return ("example", ast.Example(name=name, facts=facts, expect=c[-1], span=span), span)

    def policy_example(self, meta: Any, c: list[Any]) -> ast.PolicyExample:
        _, ex, _ = self.example(meta, c)
        return ast.PolicyExample(name=ex.name, facts=ex.facts, expect=ex.expect, span=ex.span)

    def fact(self, meta: Any, c: list[Any]) -> ast.Fact:
        value = c[1]
        if isinstance(value, ast.Name):
            # A fact written as people write it: 三千万, 百分之四十 (figures in Chinese numerals, which the
            # lexer reads as names), Ⅲ期 (a Roman numeral character for the member III期).
            plain = unicodedata.normalize("NFKC", value.id)
            if _CN_FACT.match(plain):
                # 三千万 is money, as 3000万 is: a figure ending in 万 or 亿 is an amount in 元.
                money = plain + "元" if plain.endswith(("万", "亿", "萬", "億")) else plain
                try:
                    number, unit = parse_quantity(money)
                    value = ast.Quantity(value=number, unit=unit, text=value.id, span=value.span)
                except UnitError:
                    pass
            if isinstance(value, ast.Name) and plain != value.id:
                value = ast.Name(id=plain, span=value.span)
        return ast.Fact(name=ast.Name(id=c[0].value, span=self._tspan(c[0])), value=value, span=self._span(meta))

    def expect_amount(self, meta: Any, c: list[Any]) -> ast.Expect:
        return ast.Expect(kind="amount", amount=self._quantity(c[0]), low=None, high=None, span=self._span(meta))

    def expect_up_to(self, meta: Any, c: list[Any]) -> ast.Expect:
        return ast.Expect(kind="up_to", amount=self._quantity(c[0]), low=None, high=None, span=self._span(meta))

    def expect_range(self, meta: Any, c: list[Any]) -> ast.Expect:
        return ast.Expect(
            kind="range", amount=None, low=self._quantity(c[0]), high=self._quantity(c[1]), span=self._span(meta)
        )

    def expect_not_eligible(self, meta: Any, c: list[Any]) -> ast.Expect:
        return ast.Expect(kind="not_eligible", amount=None, low=None, high=None, span=self._span(meta))

    def expect_case(self, meta: Any, c: list[Any]) -> ast.Expect:
        return ast.Expect(kind="case_by_case", amount=None, low=None, high=None, span=self._span(meta))

    # -- expressions

    def quantity(self, meta: Any, c: list[Any]) -> ast.Quantity:
        return self._quantity(c[0])

    def date(self, meta: Any, c: list[Any]) -> ast.DateLit:
        token = c[0]
        try:
            value = datetime.date.fromisoformat(token.value)
        except ValueError:
            self.diagnostics.append(
                error(
                    "POL003",
                    T(f"“{token.value}”不是日历上的日期", f"'{token.value}' is not a calendar date"),
                    self._tspan(token),
                )
            )
            value = datetime.date(1, 1, 1)
        return ast.DateLit(value=value, span=self._tspan(token))

    def name(self, meta: Any, c: list[Any]) -> ast.Name:
        return ast.Name(id=c[0].value, span=self._tspan(c[0]))

    def text(self, meta: Any, c: list[Any]) -> ast.Text:
        return self._text(c[0])

    def true(self, meta: Any, c: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(value=True, span=self._tspan(c[0]))

    def false(self, meta: Any, c: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(value=False, span=self._tspan(c[0]))

    def _binop(self, meta: Any, c: list[Any], op: Any, form: Any = "times") -> ast.BinOp:
        return ast.BinOp(op=op, left=c[0], right=c[1], form=form, span=self._span(meta))

    def add(self, meta: Any, c: list[Any]) -> ast.BinOp:
        return self._binop(meta, c, "+")

    def sub(self, meta: Any, c: list[Any]) -> ast.BinOp:
        return self._binop(meta, c, "-")

    def mul(self, meta: Any, c: list[Any]) -> ast.BinOp:
        return self._binop(meta, c, "*")

    def of(self, meta: Any, c: list[Any]) -> ast.BinOp:
        return self._binop(meta, c, "*", "of")

    def de(self, meta: Any, c: list[Any]) -> ast.BinOp:
        return self._binop(meta, c, "*", "de")

    def div(self, meta: Any, c: list[Any]) -> ast.BinOp:
        return self._binop(meta, c, "/")

    def every(self, meta: Any, c: list[Any]) -> ast.BinOp:
        return self._binop(meta, c, "every")

    def min_(self, meta: Any, c: list[Any]) -> ast.Call:
        return ast.Call(func="min", args=tuple(c), span=self._span(meta))

    def max_(self, meta: Any, c: list[Any]) -> ast.Call:
        return ast.Call(func="max", args=tuple(c), span=self._span(meta))

    def cmp_symbol(self, meta: Any, c: list[Any]) -> ast.Compare:
        left, op, right = c
        return ast.Compare(op=_COMPARE_SYMBOLS[op.value], left=left, right=right, word=op.value, span=self._span(meta))

    def cmp_word(self, meta: Any, c: list[Any]) -> ast.Compare:
        left, word, right = c
        return ast.Compare(op=COMPARE_WORDS[word.value], left=left, right=right, word=word.value, span=self._span(meta))

    def cmp_reach(self, meta: Any, c: list[Any]) -> ast.Compare:
        left, right = c
        return ast.Compare(op=">=", left=left, right=right, word="达到", span=self._span(meta))

    def cmp_threshold(self, meta: Any, c: list[Any]) -> ast.Compare:
        left, token = c
        text, word, explicit = split_threshold(token.value)
        right = self._quantity(token, text)
        return ast.Compare(
            op=_THRESHOLD_OPS[word],
            left=left,
            right=right,
            word=("(含)" if explicit else "") + word,
            span=self._span(meta),
        )

    def cmp_rank(self, meta: Any, c: list[Any]) -> ast.Compare:
        left, token = c
        digits = "".join(ch for ch in unicodedata.normalize("NFKC", token.value) if ch.isdigit())
        right = self._quantity(token, digits)
        return ast.Compare(op="<=", left=left, right=right, word="前", span=self._span(meta))

    def in_set(self, meta: Any, c: list[Any]) -> ast.InSet:
        return ast.InSet(subject=c[0], options=tuple(c[1:]), span=self._span(meta))

    def and_(self, meta: Any, c: list[Any]) -> ast.And:
        items = [y for x in c for y in (x.items if isinstance(x, ast.And) else (x,))]
        return ast.And(items=tuple(items), span=self._span(meta))

    def or_(self, meta: Any, c: list[Any]) -> ast.Or:
        items = [y for x in c for y in (x.items if isinstance(x, ast.Or) else (x,))]
        return ast.Or(items=tuple(items), span=self._span(meta))

    def not_(self, meta: Any, c: list[Any]) -> ast.Not:
        return ast.Not(item=c[0], span=self._span(meta))

    def by_table(self, meta: Any, c: list[Any]) -> ast.ByTable:
        entries = tuple(x for x in c[1:] if isinstance(x, ast.TableEntry))
        default = next((x[1] for x in c[1:] if isinstance(x, tuple)), None)
        return ast.ByTable(
            key=ast.Name(id=c[0].value, span=self._tspan(c[0])), entries=entries, default=default, span=self._span(meta)
        )

    def table_entry(self, meta: Any, c: list[Any]) -> ast.TableEntry:
        return ast.TableEntry(keys=tuple(c[:-1]), value=c[-1], span=self._span(meta))

    def default(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return ("default", c[0])

    def tiers(self, meta: Any, c: list[Any]) -> ast.Tiers:
        return ast.Tiers(entries=tuple(c), span=self._span(meta))

    def tier(self, meta: Any, c: list[Any]) -> ast.Tier:
        return ast.Tier(condition=c[0], value=c[1], span=self._span(meta))


@functools.cache
def _rule_methods() -> dict[str, Any]:
    """Builder's methods by the grammar rule each builds (every public method is one)."""
    return {name: f for name, f in vars(Builder).items() if not name.startswith("_") and name != "build"}
