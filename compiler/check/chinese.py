"""Render checked expressions back into plain Chinese, as a drafter would read them in the original text."""

from __future__ import annotations

from typing import assert_never

from pol.compiler.runtime import format_quantity
from pol.dsl import ast
from pol.dsl.words import COMPARE_WORDS, POSTFIX_WORDS

# What a comparison written with a symbol says in words.
_SYMBOL_WORDS = {">=": "不低于", ">": "超过", "<=": "不超过", "<": "低于", "==": "为", "!=": "不为"}


def quantity(q: ast.Quantity) -> str:
    u = q.unit
    return format_quantity(q.value, u.kind, u.currency, u.area)


class Reading:
    """Reads expressions aloud in Chinese; subclasses change how names and tables are shown (the site links them)."""

    def expr(self, e: ast.Expr) -> str:
        """A plain Chinese reading of an expression."""
        match e:
            case ast.Quantity():
                return quantity(e)
            case ast.DateLit(value=v):
                return f"{v.year}年{v.month}月{v.day}日"
            case ast.BoolLit(value=v):
                return "是" if v else "否"
            case ast.Name():
                return self.name(e)
            case ast.BinOp(op="*", form="of", left=rate, right=base):
                return f"{self.expr(base)}的{self.expr(rate)}"
            case ast.BinOp(op="*", form="de", left=base, right=rate):
                return f"{self.expr(base)}的{self.expr(rate)}"
            case ast.BinOp(op="*", left=ast.BinOp(op="every", left=quantity_, right=step), right=amount):
                return f"{self.group(quantity_)}每满{self.expr(step)}计{self.expr(amount)}"
            case ast.BinOp(op="every", left=left, right=right):
                return f"{self.group(left)}中每满{self.expr(right)}的份数"
            case ast.BinOp(op=op, left=left, right=right):
                symbol = {"+": "＋", "-": "－", "*": "×", "/": "÷"}[op]
                return f"{self.group(left)} {symbol} {self.group(right)}"
            case ast.Call(func=func, args=args):
                which = "较小者" if func == "min" else "较大者"
                return "、".join(self.expr(a) for a in args) + f"中的{which}"
            case ast.Compare(left=left, right=right, word=word, op=op):
                if word == "前":  # a rank: 全市排名前10名
                    return f"{self.expr(left)}前{self.expr(right)}名"
                if word in POSTFIX_WORDS:
                    return f"{self.expr(left)}{self.expr(right)}{word}"
                spoken = word if word in COMPARE_WORDS else _SYMBOL_WORDS[op]
                return f"{self.expr(left)}{spoken}{self.expr(right)}"
            case ast.InSet(subject=subject, options=options):
                names = [self.expr(o) for o in options]
                listed = "、".join(names[:-1]) + "或" + names[-1] if len(names) > 1 else names[0]
                return f"{self.expr(subject)}为{listed}"
            case ast.And(items=items):
                return "，且".join(self.expr(i) for i in items)
            case ast.Or(items=items):
                return "，或".join(self.expr(i) for i in items)
            case ast.Not(item=ast.Name() as item):
                return f"{self.expr(item)}为否"  # a yes/no fact: 用地已转让为否
            case ast.Not(item=item):
                return f"不符合“{self.expr(item)}”"
            case ast.ByTable() | ast.Tiers():
                return self.table(e)
            case _:
                assert_never(e)

    def name(self, e: ast.Name) -> str:
        return e.id

    def table(self, e: ast.ByTable | ast.Tiers) -> str:
        """A table read inline, as one sentence."""
        if isinstance(e, ast.Tiers):
            return (
                "分档确定（" + "；".join(f"{self.expr(t.condition)}的，{self.expr(t.value)}" for t in e.entries) + "）"
            )
        rows = [f"{'、'.join(self.expr(k) for k in x.keys)}为{self.expr(x.value)}" for x in e.entries]
        if e.default is not None:
            rows.append(f"其他为{self.expr(e.default)}")
        return f"按{e.key.id}确定（{'；'.join(rows)}）"

    def group(self, e: ast.Expr) -> str:
        text = self.expr(e)
        return f"（{text}）" if isinstance(e, ast.BinOp) and e.op in "+-" else text


_PLAIN = Reading()


def expr(e: ast.Expr) -> str:
    """A plain Chinese reading of an expression."""
    return _PLAIN.expr(e)
