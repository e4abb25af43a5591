"""Ranks among peers (`input 全市排名: rank`): a place counted from 1, only ever compared with a place.

A rank is a whole number, but adding ranks or multiplying one by money means nothing, and “前10名” (the
first ten) includes the tenth. So a rank may appear only as the left side of a comparison with a whole
number of at least 1 (`全市排名 前10名`, `全市排名 <= 10`), and `前N名` only after a rank.
"""

from __future__ import annotations

from collections.abc import Iterator

from pol.dsl import ast
from pol.dsl.ast import field_names
from pol.dsl.diagnostics import T, Text
from pol.dsl.source import Span

# The type names of a rank, in English and in Chinese.
RANK_TYPES = frozenset({"rank", "排名", "名次"})


def _with_parents(node: object, parent: object = None) -> Iterator[tuple[object, object]]:
    """Every AST node at or below `node`, each with the node that holds it, in the order they are written."""
    # A stack, not recursive generators: a chain of nested generators costs each node once per level.
    stack: list[tuple[object, object]] = [(node, parent)]
    while stack:
        node, parent = stack.pop()
        if isinstance(node, tuple):
            stack.extend((item, parent) for item in reversed(node))
            continue
        names = field_names(type(node))
        if names is None:
            continue
        yield node, parent
        stack.extend((getattr(node, name), node) for name in reversed(names))


def misused_ranks(ranks: set[str], exprs: tuple[object, ...]) -> list[tuple[Span, Text]]:
    """Where a rank is used other than compared with a place, and where 前N名 follows something not a rank."""
    out = []
    for node, parent in _with_parents(exprs):
        if isinstance(node, ast.Compare) and node.word == "前":
            if not (isinstance(node.left, ast.Name) and node.left.id in ranks):
                out.append(
                    (
                        node.span,
                        T(
                            "“前N名”只能用于名次（类型为 rank 的输入）",
                            "'前N名' compares a rank (an input of type rank) only",
                        ),
                    )
                )
            continue
        if not (isinstance(node, ast.Name) and node.id in ranks):
            continue
        compared = isinstance(parent, ast.Compare) and parent.left is node and isinstance(parent.right, ast.Quantity)
        if not compared:
            out.append(
                (
                    node.span,
                    T(
                        f"“{node.id}”是名次，只能与名次比较，如“{node.id} 前10名”",
                        f"'{node.id}' is a rank: it can only be compared with a place, as in '{node.id} 前10名'",
                    ),
                )
            )
            continue
        assert isinstance(parent, ast.Compare) and isinstance(parent.right, ast.Quantity)
        place = parent.right
        if place.unit.kind != "number" or place.value < 1 or place.value != place.value.to_integral_value():
            out.append(
                (
                    place.span,
                    T(
                        f"名次从 1 起计，应与整数名次比较，而不是“{place.text}”",
                        f"a rank counts from 1: compare it with a whole place, not '{place.text}'",
                    ),
                )
            )
    return out
