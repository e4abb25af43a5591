"""Describe the facts a policy needs as a JSON Schema, so forms and APIs can be generated from it."""

from __future__ import annotations

from typing import Any

from compiler.checker import CheckedPolicy
from dsl import ast
from compiler.types import BoolT, DateT, EnumT, ErrorT, QuantityT, Ty

_NUMBER = r"[0-9]+(\.[0-9]+)?"
_MULT = "(万|亿|千万|百万)?"


def _property(ty: Ty, label: str) -> dict[str, Any]:
    match ty:
        case QuantityT(unit=u):
            if u.kind == "money":
                cur = "美元" if u.currency == "USD" else "元"
                return {"title": label, "description": f"金额（{cur}），如 \"3000万{cur}\" 或 30000000",
                        "anyOf": [{"type": "number", "minimum": 0},
                                  {"type": "string", "pattern": f"^{_NUMBER}{_MULT}({cur})?$"}],
                        "x-pol-kind": "money", "x-pol-currency": u.currency}
            if u.kind == "area":
                name = "亩" if u.area == "mu" else "平方米"
                return {"title": label, "description": f"面积（{name}）",
                        "anyOf": [{"type": "number", "minimum": 0},
                                  {"type": "string", "pattern": f"^{_NUMBER}({name})?$"}],
                        "x-pol-kind": "area", "x-pol-area": u.area}
            if u.kind == "money_per_area":
                name = "亩" if u.area == "mu" else "平方米"
                return {"title": label, "description": f"单价（元/{name}），如 \"3万元/{name}\"",
                        "anyOf": [{"type": "number", "minimum": 0},
                                  {"type": "string", "pattern": f"^{_NUMBER}{_MULT}元?/{name}$"}],
                        "x-pol-kind": "money_per_area", "x-pol-area": u.area}
            if u.kind == "ratio":
                return {"title": label, "description": "比例，如 \"40%\"，或小数 0.4",
                        "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": f"^{_NUMBER}%$"}],
                        "x-pol-kind": "ratio"}
            if u.kind == "years":
                return {"title": label, "description": "年数", "type": "number", "minimum": 0, "x-pol-kind": "years"}
            return {"title": label, "type": "integer", "minimum": 0, "x-pol-kind": "count"}
        case DateT():
            return {"title": label, "type": "string", "format": "date", "x-pol-kind": "date"}
        case BoolT():
            return {"title": label, "type": "boolean", "x-pol-kind": "bool"}
        case EnumT(members=members):
            return {"title": label, "enum": list(members), "x-pol-kind": "enum"}
        case ErrorT():
            return {"title": label}


def input_schema(policy: CheckedPolicy) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of an applicant's facts for one policy; every field is optional."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": str(policy.header.get("title", "")),
        "description": "申请人情况。缺少的字段使相关条款显示为“需补充信息”。",
        "type": "object",
        "additionalProperties": False,
        "properties": {name: _with_default(_property(ty, decl.label or name), decl)
                       for name, (ty, decl) in policy.inputs.items()},
    }


def _with_default(prop: dict[str, Any], decl: ast.InputDecl) -> dict[str, Any]:
    match decl.default:
        case ast.Quantity(text=text):
            prop["default"] = text
        case ast.Name(id=i):
            prop["default"] = i
        case ast.BoolLit(value=v):
            prop["default"] = v
        case ast.DateLit(value=v):
            prop["default"] = v.isoformat()
    return prop
