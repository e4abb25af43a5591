"""A draft against a hand encoding of the same text, clause by clause, after renaming inputs.

Each money clause of the hand encoding is paired with the draft clause whose original holds its sentence.
Two clauses agree when their computable structure is the same: the thresholds their conditions compare facts
with (word and figure), the form and figures of the grant, the caps with their scopes, offsets, once and
duration. Names do not count (the draft names facts from the text's nouns, a drafter by choice), nor do
conditions on yes/no facts or categories, which a draft leaves as a todo.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from decimal import Decimal
from typing import Any

import attrs

from pol.compiler.check.checker import CheckedPolicy
from pol.compiler.check.scopes import SCOPES
from pol.compiler.drafting.figures import Key, figures
from pol.dsl import ast

VERDICTS = {
    "exact": "一致",
    "figures": "数字一致，写法不同",
    "differs": "不一致",
    "missing": "未起草",
    "extra": "多出",
}


@attrs.frozen
class Pair:
    """One hand clause and what the draft made of its sentence."""

    hand: str  # the hand clause's id (or the draft's, for an extra clause)
    article: str | None
    draft: str | None
    verdict: str  # exact, figures, differs, missing, extra


@attrs.frozen
class Comparison:
    """Every pair, and the counts a ratchet holds: exact matches, figures placed, figures invented."""

    pairs: tuple[Pair, ...]
    invented: int  # figures in a drafted rule that its original does not print

    def count(self, verdict: str) -> int:
        return sum(p.verdict == verdict for p in self.pairs)

    @property
    def hand_clauses(self) -> int:
        return sum(p.verdict != "extra" for p in self.pairs)

    def to_json(self) -> dict[str, Any]:
        return {
            "hand_clauses": self.hand_clauses,
            **{v: self.count(v) for v in VERDICTS},
            "invented": self.invented,
            "pairs": [attrs.asdict(p) for p in self.pairs],
        }


def _norm(text: str) -> str:
    """A text for matching: NFKC, and only its letters and digits."""
    return re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", text))


def _value(q: ast.Quantity) -> tuple[Decimal, str]:
    return (q.value.normalize(), q.unit.kind)


def _shape(e: Any, policy: CheckedPolicy) -> Any:
    """An expression with names replaced by what they are: the structure two encodings share."""
    match e:
        case ast.Quantity():
            return ("q", *_value(e))
        case ast.Name():
            ref = policy.ref(e)
            if ref is not None and ref.kind == "let":
                return _shape(policy.lets[ref.target][1].expr, policy)
            return "member" if ref is not None and ref.kind == "member" else "x"
        case ast.BinOp(op=op, left=left, right=right):
            parts = (_shape(left, policy), _shape(right, policy))
            return (op, *sorted(parts, key=repr)) if op in ("*", "+") else (op, *parts)
        case ast.Call(func=func, args=args):
            return (func, *sorted((_shape(a, policy) for a in args), key=repr))
        case ast.ByTable():
            rows = [_shape(r.value, policy) for r in e.entries] + ([_shape(e.default, policy)] if e.default else [])
            # A row of nothing (其他: 0元, a member for "none of these") is a category not listed: it pays
            # what a table without it pays, so it does not count.
            rows = [r for r in rows if not (isinstance(r, tuple) and r[0] == "q" and r[1] == 0)]
            return ("by", *sorted(rows, key=repr))
        case ast.Tiers():
            return ("tiers", *((_thresholds(t.condition), _shape(t.value, policy)) for t in e.entries))
    return None


def _thresholds(e: Any) -> tuple[Any, ...]:
    """The comparisons of a fact with a figure inside a condition, as (op, value, kind), in order."""
    out = []
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Compare) and isinstance(node.right, ast.Quantity) and node.right.unit.kind != "number":
            out.append((node.op, *_value(node.right)))
        elif isinstance(node, (ast.And, ast.Or)):
            stack.extend(node.items)
        elif isinstance(node, ast.Not):
            stack.append(node.item)
    return tuple(sorted(out, key=repr))


_PERIODS = {"每年", "每季度", "每月"}


def _cap(cap: ast.Cap, policy: CheckedPolicy) -> tuple[Any, tuple[str, ...]]:
    """A cap's shape and scopes, as the ledger enforces it: `cap 1000万 - 本年已获 per year`, the amount
    received in scope deducted by hand, is `cap 1000万 per year`, whose remainder the ledger derives; every
    cap is the enterprise's, so 单个企业 beside a period says nothing more, and alone it is 累计."""
    value = cap.value
    if isinstance(value, ast.BinOp) and value.op == "-" and isinstance(value.right, ast.Name):
        entry = policy.inputs.get(value.right.id)
        if entry is not None and entry[1].received is not None:
            value = value.left
    scopes = {SCOPES.get(s, s) for s in cap.scopes}
    if scopes & _PERIODS:
        scopes.discard("单个企业")
    elif scopes & {"单个企业", "累计"}:
        scopes = (scopes - {"单个企业"}) | {"累计"}  # the ledger enforces both as all the enterprise's grants
    return (_shape(value, policy), tuple(sorted(scopes)))


def signature(clause: ast.Clause, policy: CheckedPolicy) -> tuple[Any, ...]:
    """The computable structure of a clause, names left out."""
    g = clause.grant
    grant = None
    if g is not None:
        grant = (g.mode, _shape(g.value, policy), _shape(g.low, policy), _shape(g.high, policy))
    caps = sorted((_cap(c, policy) for c in clause.caps if not c.derived), key=repr)
    return (
        tuple(sorted(t for c in clause.conditions for t in _thresholds(c))),
        grant,
        tuple(caps),
        tuple(sorted(o.kind for o in clause.offsets)),
        clause.once is not None,
        clause.duration.value if clause.duration is not None else None,
    )


def _figures_of(clause: ast.Clause) -> Counter[Key]:
    """The figures a clause's rule uses, counted."""
    rule = (clause.conditions, clause.grant, tuple(c for c in clause.caps if not c.derived), clause.duration)
    return Counter(
        (n.value.normalize(), n.unit.kind, n.unit.currency, n.unit.area)
        for n in ast.nodes(rule)
        if isinstance(n, ast.Quantity)
    )


def _best(hand: ast.Clause, drafts: list[tuple[ast.Clause | ast.Measure, str]]) -> ast.Clause | ast.Measure | None:
    """The draft provision whose original holds the hand clause's sentence (most of it, at least)."""
    if hand.original is None:
        return None
    h = _norm(hand.original.value)
    best, score = None, 0.0
    for d, text in drafts:
        if h in text:
            s = 1.0 + len(h) / max(len(text), 1)  # held whole: the tightest holder wins
        else:
            m = difflib.SequenceMatcher(None, h, text, autojunk=False).find_longest_match(0, len(h), 0, len(text))
            s = m.size / max(len(h), 1)
        if s > score:
            best, score = d, s
    return best if score >= 0.6 else None


def compare(draft: CheckedPolicy, hands: list[CheckedPolicy]) -> Comparison:
    """Each money clause of the hand encodings against the draft, and the draft's clauses no hand clause took."""
    drafts = [(p, _norm(p.original.value)) for p in draft.provisions if p.original is not None]
    pairs: list[Pair] = []
    taken: set[int] = set()
    for hand in hands:
        for clause in hand.clauses:
            found = _best(clause, drafts)
            if found is None or not isinstance(found, ast.Clause):
                pairs.append(Pair(clause.id, clause.article, found.id if found else None, "missing"))
                continue
            taken.add(id(found))
            if signature(found, draft) == signature(clause, hand):
                verdict = "exact"
            elif _figures_of(found) == _figures_of(clause):
                verdict = "figures"
            else:
                verdict = "differs"
            pairs.append(Pair(clause.id, clause.article, found.id, verdict))
    for d in draft.clauses:
        if id(d) not in taken:
            pairs.append(Pair(d.id, d.article, d.id, "extra"))
    invented = 0
    for d in draft.clauses:
        printed = Counter(f.key for f in figures(d.original.value)) if d.original is not None else Counter()
        # 亩产税收达到50万元 is 50万元 a 亩: a figure read per area is printed when its money is.
        invented += sum(
            n
            for key, n in _figures_of(d).items()
            if key not in printed and (key[0], "money", key[2], None) not in printed
        )
    return Comparison(tuple(pairs), invented)
