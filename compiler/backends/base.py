"""What every backend shares: walking the lowered form, pooling constants, naming helpers, emitting lines."""

from __future__ import annotations

from typing import Any

from pol.compiler import ir

# Characters a language or an editor may take as the end of a line; never let one end a generated comment.
_LINE_BREAKS = str.maketrans({c: " " for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


def one_line(text: str) -> str:
    """`text` with every line break made a space, for a one-line comment."""
    return text.translate(_LINE_BREAKS)


class Emitter:
    """Collects lines of code at the current indentation."""

    def __init__(self, indent: str = "    ") -> None:
        self.lines: list[str] = []
        self.level = 0
        self.unit = indent

    def line(self, text: str = "") -> None:
        self.lines.append((self.unit * self.level + text) if text else "")

    def indent(self) -> None:
        self.level += 1

    def outdent(self) -> None:
        self.level -= 1

    def source(self) -> str:
        return "\n".join(self.lines) + "\n"


# Which trace records an expression's steps. Definitions, limits and caps read from a table are
# explained by their names, so their steps are kept by no trace; a computed cap's steps go to a trace
# of their own, shown only when the cap binds; everything else goes to the clause's trace.
MAIN, QUIET, WORKED = "main", "quiet", "worked"


class Generator:
    """Turns a lowered program into the source of one evaluator module; subclasses write one language.

    `expr` dispatches on the node's class to `expr_<Class>`, which a backend defines; constants are
    pooled into module-level names so each is built once.
    """

    comment_prefix = "# "

    def __init__(self, program: ir.Program):
        self.prog = program
        self.consts: dict[str, str] = {}  # the code of a literal -> the module-level name holding it
        self.helpers: list[list[str]] = []
        self.helper_count = 0

    def comment(self, text: str) -> str:
        return self.comment_prefix + one_line(text)

    def where(self, line: int, text: str = "") -> str:
        """A comment pointing at the policy's source line."""
        return self.comment(f"{self.prog.source}:{line}" + (f"  {text}" if text else ""))

    def helper_name(self, kind: str) -> str:
        """A fresh name for a helper function; taken before its body, which may need helpers of its own."""
        self.helper_count += 1
        return f"_{kind}_{self.helper_count}"

    def pooled(self, code: str) -> str:
        return self.consts.setdefault(code, f"_K{len(self.consts) + 1}")

    def expr(self, e: ir.Expr, t: str) -> str:
        """Code computing `e`, recording its explanation steps on the trace `t` (MAIN, QUIET or WORKED)."""
        method = getattr(self, f"expr_{type(e).__name__}")
        return method(e, t)

    def trace(self, t: str) -> str:
        """The name of trace `t` in generated code."""
        raise NotImplementedError

    def literal(self, value: Any) -> str:
        """Code for a string, number or yes/no, in the target's syntax."""
        raise NotImplementedError

    def generate(self) -> str:
        raise NotImplementedError
