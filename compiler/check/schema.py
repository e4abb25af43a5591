"""Describe the facts a policy needs as a JSON Schema, so forms and APIs can be generated from it."""

from __future__ import annotations

import re
from typing import Any

from pol.compiler.check.checker import CheckedPolicy
from pol.compiler.check.ranks import RANK_TYPES
from pol.compiler.check.types import BoolT, DateT, EnumT, ErrorT, QuantityT, Ty
from pol.compiler.check.vocabulary import LEVELS
from pol.compiler.runtime import AREA_NAMES, AREA_SPELLINGS, CN_INTEGER, CN_NUMBER, MAX_VALUE, MULTIPLIERS, PER_YEAR
from pol.dsl import ast

# A figure as the evaluators read it (runtime.normalise_text): full-width digits, thousands separators,
# and a space before the unit.
_DIGIT = "[0-9０-９]"
_ARABIC = f"({_DIGIT}{{1,3}}([,，]{_DIGIT}{{3}})+|{_DIGIT}+)([.．]{_DIGIT}+)?"


def _traditional(pattern: str) -> str:
    """A pattern that also takes the traditional 萬 and 億, as the evaluators do."""
    return pattern.replace("万", "[万萬]").replace("亿", "[亿億]")


# Or in Chinese numerals (三千万, 壹佰萬, 十二点五), read by runtime.cn_number.
_NUMBER = f"({_ARABIC}|{_traditional(CN_NUMBER)})\\s*"
_COUNT = f"({_DIGIT}+([.．]0+)?|{_traditional(CN_INTEGER)}(点[零〇]+)?)\\s*"
_PERCENT = f"百分之({_DIGIT}+([.．]{_DIGIT}+)?|{_traditional(CN_NUMBER)})"
# JSON numbers: non-negative and below the largest value the evaluators read.
_JSON_NUMBER = {"type": "number", "minimum": 0, "exclusiveMaximum": int(MAX_VALUE)}
# The multipliers and area spellings the runtime reads, so the schema accepts exactly what it accepts.
_SOME_MULT = "(" + "|".join(_traditional(m) for m in MULTIPLIERS if m) + ")"
_MULT = _SOME_MULT + "?"


def _area_spellings(area: str | None) -> str:
    return "(" + "|".join(w for w, a in AREA_SPELLINGS.items() if a == (area or "m2")) + ")"


# Roman numerals as documents print them (Ⅲ期): the evaluators read them as III期 by NFKC.
_ROMAN = re.compile(r"(?<![A-Za-z])(III|II|IV|I|V)(?![A-Za-z])")
_ROMAN_CHARS = {"I": "Ⅰ", "II": "Ⅱ", "III": "Ⅲ", "IV": "Ⅳ", "V": "Ⅴ"}


def _spellings(member: str) -> list[str]:
    """An enumeration member, and the same with Roman numeral characters where it has Roman numerals."""
    roman = _ROMAN.sub(lambda m: _ROMAN_CHARS[m.group()], member)
    return [member] if roman == member else [member, roman]


def _text(body: str) -> dict[str, str]:
    """A string holding one quantity, spaces around it allowed, as the evaluators read it."""
    return {"type": "string", "pattern": f"^\\s*{body}\\s*$"}


def _ranked(prop: dict[str, Any], decl: ast.InputDecl) -> dict[str, Any]:
    """A rank's property: a whole number from 1 (第几名), not from 0."""
    if decl.type.name not in RANK_TYPES:
        return prop
    number = {**prop["anyOf"][0], "minimum": 1}
    return {**prop, "description": "名次，第一名为 1", "anyOf": [number, *prop["anyOf"][1:]], "x-pol-kind": "rank"}


def _property(ty: Ty, label: str) -> dict[str, Any]:
    match ty:
        case QuantityT(unit=u):
            if u.kind == "money":
                cur = "美元" if u.currency == "USD" else "元"
                return {
                    "title": label,
                    "description": f'金额（{cur}），如 "3000万{cur}" 或 30000000',
                    "anyOf": [
                        _JSON_NUMBER,
                        # A figure without a currency is in the input's currency.
                        _text(f"{_NUMBER}{_MULT}({cur})?"),
                    ],
                    "x-pol-kind": "money",
                    "x-pol-currency": u.currency,
                }
            if u.kind in ("area", "money_per_area"):
                name, spellings = AREA_NAMES[u.area or "m2"], _area_spellings(u.area)
                if u.kind == "area":
                    return {
                        "title": label,
                        "description": f"面积（{name}）",
                        "anyOf": [_JSON_NUMBER, _text(f"{_NUMBER}{spellings}?")],
                        "x-pol-kind": "area",
                        "x-pol-area": u.area,
                    }
                times = "|".join(t for t in PER_YEAR if t)
                return {
                    "title": label,
                    "description": f'单价（元/{name}），如 "3万元/{name}"；租金可写 "50元/{name}·月"',
                    "anyOf": [_JSON_NUMBER, _text(f"{_NUMBER}(({_SOME_MULT}元?|元)/{spellings}([·/]({times}))?)?")],
                    "x-pol-kind": "money_per_area",
                    "x-pol-area": u.area,
                }
            if u.kind == "ratio":
                # A whole JSON number is refused: 30 could mean 30% or 3000%.
                return {
                    "title": label,
                    "description": '比例，如 "40%"，或小数 0.4',
                    "anyOf": [{**_JSON_NUMBER, "not": {"type": "integer"}}, _text(f"({_NUMBER}[%％]|{_PERCENT})")],
                    "x-pol-kind": "ratio",
                }
            if u.kind == "years":
                return {
                    "title": label,
                    "description": '年数，如 3 或 "3年"',
                    "anyOf": [_JSON_NUMBER, _text(f"{_NUMBER}(年)?")],
                    "x-pol-kind": "years",
                }
            return {
                "title": label,
                "description": "整数，如 3",
                "anyOf": [{**_JSON_NUMBER, "multipleOf": 1}, _text(f"{_COUNT}年?")],
                "x-pol-kind": "count",
            }
        case DateT():
            return {"title": label, "type": "string", "format": "date", "x-pol-kind": "date"}
        case BoolT():
            return {
                "title": label,
                "description": "true 或 false（也可写“是”“否”）",
                "anyOf": [{"type": "boolean"}, {"enum": ["是", "否"]}],
                "x-pol-kind": "bool",
            }
        case EnumT(members=members):
            return {"title": label, "enum": [v for m in members for v in _spellings(m)], "x-pol-kind": "enum"}
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
        "properties": {
            name: _with_default(_ranked(_property(ty, decl.label or name), decl), decl)
            for name, (ty, decl) in policy.inputs.items()
        },
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


_DATE = {"type": "string", "format": "date"}
_MONEY = {"description": '金额（元），如 "300万" 或 3000000', "anyOf": [_JSON_NUMBER, _text(f"{_NUMBER}{_MULT}(元)?")]}


def _facts(properties: dict[str, Any], title: str) -> dict[str, Any]:
    return {"title": title, "type": "object", "additionalProperties": False, "properties": properties}


def profile_schema(policies: dict[str, CheckedPolicy]) -> dict[str, Any]:
    """A JSON Schema of an enterprise profile (see `pol eval-profile`) for these policies, keyed by file stem."""
    shared: dict[str, list[dict[str, Any]]] = {}
    defs: dict[str, Any] = {}
    events = []
    for key, policy in policies.items():
        own = input_schema(policy)["properties"]
        defs[f"facts.{key}"] = _facts(own, f"{policy.header.get('title', key)}：申请人情况")
        for name, prop in own.items():
            if prop not in shared.setdefault(name, []):
                shared[name].append(prop)
        events.append(
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["date", "policy", "clause"],
                "properties": {
                    "date": _DATE,
                    "policy": {"const": key},
                    "clause": {"enum": [c.id for c in policy.clauses]},
                    "item": {"type": "string", "description": "items 中的产品或项目"},
                    "facts": {"$ref": f"#/$defs/facts.{key}"},
                    "awarded": {**_MONEY, "title": "主管部门审定金额（最高额、区间或一事一议的条款）"},
                    "note": {"type": "string"},
                },
            }
        )
    # A fact shared by all policies: where two policies read the same name differently, either reading.
    defs["facts"] = _facts(
        {name: props[0] if len(props) == 1 else {"anyOf": props} for name, props in sorted(shared.items())},
        "企业情况（各政策共用）",
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "企业档案",
        "description": "企业的情况、产品与项目、按日期记载的事项，以及从其他政策已获的资金。",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "enterprise": {"type": "string", "title": "企业名称"},
            "regions": {
                "type": "array",
                "items": {"type": "string"},
                "title": '所在地区，由省到区，如 ["江苏省", "苏州市"]',
            },
            "facts": {"$ref": "#/$defs/facts"},
            "items": {
                "type": "object",
                "title": "产品与项目",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"name": {"type": "string"}, "facts": {"$ref": "#/$defs/facts"}},
                },
            },
            "events": {"type": "array", "title": "事项", "items": {"oneOf": events}},
            "received": {
                "type": "array",
                "title": "从其他政策已获的资金",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["date", "amount", "subject", "source"],
                    "properties": {
                        "date": _DATE,
                        "item": {"type": "string"},
                        "amount": _MONEY,
                        "subject": {"type": "string", "description": "subjects.toml 中的事项"},
                        "source": {"type": "string"},
                        "region": {"type": "string"},
                        "level": {"enum": list(LEVELS)},
                        "note": {"type": "string"},
                    },
                },
            },
            "changes": {
                "type": "array",
                "title": "企业（或某个产品、项目）情况的变化，如迁出、转让：之后的事项按变化后的情况计算，违反承诺的资助应收回",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["date", "facts"],
                    "properties": {
                        "date": _DATE,
                        "item": {"type": "string", "description": "items 中的产品或项目；不写则为企业本身"},
                        "facts": {"$ref": "#/$defs/facts"},
                        "note": {"type": "string"},
                    },
                },
            },
        },
        "$defs": defs,
    }
