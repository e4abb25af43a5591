"""Check a parsed policy: resolve names, infer units and types, and catch a drafter's mistakes before anything runs."""

from __future__ import annotations

import attrs

from pol.compiler.check.clauses import ClauseChecks
from pol.compiler.check.folding import (
    did_you_mean,
    literal_fits,
)
from pol.compiler.check.header import HeaderChecks
from pol.compiler.check.ranks import RANK_TYPES, misused_ranks
from pol.compiler.check.state import Ref
from pol.compiler.check.types import ERROR, EnumT, Ty, resolve_type
from pol.dsl import ast
from pol.dsl.ast import names_in  # re-exported: the checker's callers import it from here
from pol.dsl.diagnostics import Diagnostic, T, Text
from pol.dsl.parser import ParseResult
from pol.dsl.source import Span

MAX_LET_DEPTH = 200


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


class _Checker(ClauseChecks, HeaderChecks):
    """The checker: the declarations in order, then each provision, limit and example."""

    def run(self) -> CheckedPolicy:
        decls = self.module.decls
        self.check_header([d for d in decls if isinstance(d, ast.PolicyHeader)])
        names: dict[str, Span] = {}
        types: dict[str, Span] = {}

        def declare(name: str, span: Span, names: dict[str, Span] = names) -> bool:
            if name in names:
                prev = names[name]
                self.err(
                    "POL102",
                    T(f"“{name}”定义了两次", f"'{name}' is defined twice"),
                    span,
                    T(f"第一次定义在第 {prev.line} 行", f"first defined at line {prev.line}"),
                )
                return False
            names[name] = span
            return True

        for d in decls:
            if isinstance(d, ast.EnumDecl) and declare(d.name, d.span, types):
                self.enums[d.name] = d
                seen: set[str] = set()
                for m in d.members:
                    if m.name in seen:
                        self.err(
                            "POL102",
                            T(
                                f"“{m.name}”在枚举“{d.name}”中列了两次",
                                f"'{m.name}' is listed twice in enum '{d.name}'",
                            ),
                            m.span,
                        )
                    seen.add(m.name)
                enum_ty = EnumT(d.name, tuple(m.name for m in d.members))
                for member in enum_ty.members:
                    self.members.setdefault(member, []).append(enum_ty)
        for d in decls:
            if isinstance(d, ast.InputDecl) and declare(d.name, d.span):
                ty = self.resolve_type(d.type)
                self.inputs[d.name] = (ty, d)
                if d.default is not None:
                    problem = literal_fits(d.default, ty)
                    if problem:
                        self.err(
                            "POL107", T(f"“{d.name}”的默认值：", f"default of '{d.name}': ") + problem, d.default.span
                        )
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
                        "POL103",
                        T(f"条款编号“{d.id}”用了两次", f"clause id '{d.id}' is used twice"),
                        d.id_span,
                        T(f"第一次用在第 {ids[d.id].line} 行", f"first used at line {ids[d.id].line}"),
                    )
                ids[d.id] = d.id_span
                self.check_stages(d)
                for todo in d.todos:
                    self.warn(
                        "POL108",
                        T(f"待定：{todo.text}", f"left open: {todo.text}"),
                        todo.span,
                        T("确定后写出规则，并删去这一行 todo", "settle it in the rule, then delete this todo"),
                    )
                if isinstance(d, ast.Clause):
                    self.check_clause(d)
                    clauses.append(d)
                else:
                    measures.append(d)
        limits = [d for d in decls if isinstance(d, ast.Limit)]
        ranks = {n for n, (_, decl) in self.inputs.items() if decl.type.name in RANK_TYPES}
        rules = tuple((c.conditions, c.grant, c.caps, c.offsets, c.obligations) for c in clauses)
        lets = tuple(decl.expr for _, decl in self.lets.values())
        for span, message in misused_ranks(ranks, (rules, lets, tuple(lim.value for lim in limits))):
            self.err("POL204", message, span)
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
                    T(
                        "整份文件的算例要写出总额：`expect 8000万`、`expect up to 1亿` 或 `expect not_eligible`",
                        "an example of the whole document expects a total: `expect 8000万`, `expect up to 1亿` or "
                        "`expect not_eligible`",
                    ),
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

    def resolve_type(self, ref: ast.TypeRef) -> Ty:
        if ref.name in self.enums and not ref.arg and not ref.per:
            d = self.enums[ref.name]
            return EnumT(d.name, tuple(m.name for m in d.members))
        ty = resolve_type(ref.name, ref.arg, ref.per)
        if isinstance(ty, Text):
            from pol.compiler.check.types import SIMPLE_TYPES

            self.err("POL105", ty, ref.span, *did_you_mean(ref.name, list(SIMPLE_TYPES) + list(self.enums)))
            return ERROR
        return ty

    def check_lets(self) -> None:
        if (deep := self.too_deep_let()) is not None:
            decl = self.let_decls[deep]
            self.err(
                "POL004",
                T(
                    f"定义层层相套超过 {MAX_LET_DEPTH} 层（此处为“{deep}”）",
                    f"definitions are built on each other more than {MAX_LET_DEPTH} deep (here '{deep}')",
                ),
                decl.span,
                T(
                    "请用更少的步骤计算这个值；没有哪条政策原文需要这样长的链条",
                    "compute the value in fewer steps; no policy text needs such a chain",
                ),
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
                self.err(
                    "POL501",
                    T(
                        "定义之间循环引用：" + " → ".join(cycle),
                        "definitions refer to each other in a cycle: " + " → ".join(cycle),
                    ),
                    decl.span,
                )
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
