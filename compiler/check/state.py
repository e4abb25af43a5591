"""What every part of the checker shares: the names found so far, the types inferred, the diagnostics."""

from __future__ import annotations

import attrs

from pol.compiler.check.scopes import bind
from pol.compiler.check.types import EnumT, Ty
from pol.dsl import ast
from pol.dsl.diagnostics import Diagnostic, Text, error, warning
from pol.dsl.parser import ParseResult
from pol.dsl.source import Span


@attrs.frozen
class Ref:
    """What a name refers to: an input, a definition, or a member of an enumeration."""

    kind: str  # "input" | "let" | "member"
    target: str
    ty: Ty


class CheckerState:
    """The checker's state, and how it reports a problem."""

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

    def err(self, code: str, message: Text, span: Span, *notes: Text) -> None:
        self.diags.append(error(code, message, span, *notes))

    def warn(self, code: str, message: Text, span: Span, *notes: Text) -> None:
        self.diags.append(warning(code, message, span, *notes))

    def infer(self, e: ast.Expr, hint: Ty | None = None) -> Ty:
        """The type of an expression; `ExpressionChecks` infers it, the checks below it in the chain call it."""
        raise NotImplementedError
