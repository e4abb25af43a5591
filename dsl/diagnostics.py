"""Diagnostics: the registry of error codes and the record of one reported problem."""

from __future__ import annotations

from typing import Literal

import attrs

from pol.dsl.source import Span

Severity = Literal["error", "warning"]
Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


@attrs.frozen
class Text:
    """A message in both languages pol speaks: Chinese for drafters (the default) and English (`--lang en`)."""

    zh: str
    en: str

    def __add__(self, other: Text) -> Text:
        return Text(self.zh + other.zh, self.en + other.en)

    def __attrs_post_init__(self) -> None:
        # A message shown to a drafter in English only would pass silently; every text carries both.
        assert self.zh and self.en, (self.zh, self.en)

    def get(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


T = Text  # short, for the many call sites that build messages

# Every code the front end and checker can report, with a one-line summary.
# Codes are stable: tools and tests match on them, so never renumber.
CODES: dict[str, str] = {
    "POL001": "syntax error",
    "POL002": "unknown unit in a literal",
    "POL003": "malformed literal",
    "POL004": "declaration nested too deeply",
    "POL101": "unknown name",
    "POL102": "name defined twice",
    "POL103": "duplicate clause id",
    "POL104": "unknown or misplaced field",
    "POL105": "unknown type",
    "POL106": "missing required field",
    "POL107": "invalid field value",
    "POL108": "a judgement left open (todo)",
    "POL201": "unit mismatch",
    "POL202": "currency mismatch",
    "POL203": "rate above 100%",
    "POL204": "wrong kind of value",
    "POL205": "money multiplied by money",
    "POL206": "money multiplied by a bare number (a rate without %)",
    "POL301": "category table does not cover every category",
    "POL302": "tier thresholds not increasing",
    "POL303": "tiers overlap",
    "POL304": "cap can never bind",
    "POL305": "negative amount or cap",
    "POL306": "range bounds reversed",
    "POL307": "limits that share some clauses but not all",
    "POL308": "a cap after offsets with no offset before it",
    "POL401": "example facts do not fit the inputs",
    "POL501": "definitions form a cycle",
    "POL601": "figure in the original text not used by the rule (pol lint)",
    "POL602": "provision without original text (pol lint)",
    "POL603": "waiver for a figure the text does not print, or the rule uses (pol lint)",
    "POL604": "a threshold's boundary on the other side from the original's word (pol lint)",
    "POL605": "a figure in an original text that pol lint cannot read (pol lint)",
    "POL606": "a scope the original states that the rule does not bind (pol lint)",
    "POL607": "the original deducts before it caps, the rule caps first (pol lint)",
    "POL701": "a clause no facts can grant anything (pol prove)",
    "POL702": "more of a money or area fact pays less (pol prove)",
    "POL703": "a value between two tiers that falls in neither (pol prove)",
    "POL704": "a clause that can pay more than the most its original states (pol prove)",
    "POL705": "a document limit that cuts what one clause alone must pay (pol prove)",
    "POL706": "a condition that no facts can make true, or none false (pol prove)",
    "POL707": "money granted on a day the policy is not in force (pol prove)",
    "POL708": "two clauses for one subject both paid in full for one item (pol prove)",
}

# The same summaries in Chinese, for drafters (docs/language.zh.md lists them).
CODES_ZH: dict[str, str] = {
    "POL001": "语法错误",
    "POL002": "字面量中的单位无法识别",
    "POL003": "字面量格式错误",
    "POL004": "声明嵌套过深",
    "POL101": "未知的名称",
    "POL102": "名称重复定义",
    "POL103": "条款编号重复",
    "POL104": "未知或位置不对的字段",
    "POL105": "未知的类型",
    "POL106": "缺少必填字段",
    "POL107": "字段的值无效",
    "POL108": "待定事项（todo）",
    "POL201": "单位不匹配",
    "POL202": "币种不匹配",
    "POL203": "比例超过 100%",
    "POL204": "值的种类不对",
    "POL205": "金额乘以金额",
    "POL206": "金额乘以不带 % 的数（比例漏写了 %）",
    "POL301": "类别表没有覆盖每个类别",
    "POL302": "分档门槛没有递增",
    "POL303": "分档重叠",
    "POL304": "上限永远不起作用",
    "POL305": "金额或上限为负",
    "POL306": "区间上下限颠倒",
    "POL307": "限额之间共用部分而非全部条款",
    "POL308": "扣除后封顶，但没有可扣除的项",
    "POL401": "算例的事实与输入不符",
    "POL501": "定义之间循环引用",
    "POL601": "原文中的数额没有被规则用到（pol lint）",
    "POL602": "条款或措施没有原文（pol lint）",
    "POL603": "豁免的数额原文没有，或规则已用到（pol lint）",
    "POL604": "门槛是否含本数与原文用词相反（pol lint）",
    "POL605": "原文中有 pol lint 读不懂的数额（pol lint）",
    "POL606": "原文写明的范围规则没有限定（pol lint）",
    "POL607": "原文先扣除后封顶，规则却先封顶（pol lint）",
    "POL701": "条款在任何事实下都得不到资助（pol prove）",
    "POL702": "金额或面积更多，所得反而更少（pol prove）",
    "POL703": "两档之间的某个值不属于任何一档（pol prove）",
    "POL704": "条款所得可能超过原文写明的最高额（pol prove）",
    "POL705": "文件限额削减了单个条款本应得的金额（pol prove）",
    "POL706": "条件在任何事实下都成立或都不成立（pol prove）",
    "POL707": "在政策施行前或失效后支付（pol prove）",
    "POL708": "同一事项的两个条款都足额支付（pol prove）",
}


@attrs.frozen(kw_only=True)
class Diagnostic:
    """One problem found in a source file: a code, a message in both languages, and where it is."""

    code: str
    text: Text
    span: Span
    severity: Severity = "error"
    note_texts: tuple[Text, ...] = ()

    def __attrs_post_init__(self) -> None:
        assert self.code in CODES, self.code

    @property
    def message(self) -> str:
        """The message in English, as tools and the tests match on it."""
        return self.text.en

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(n.en for n in self.note_texts)

    def message_in(self, lang: Lang) -> str:
        return self.text.get(lang)

    def notes_in(self, lang: Lang) -> tuple[str, ...]:
        return tuple(n.get(lang) for n in self.note_texts)

    def to_json(self, lang: Lang = "zh") -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message_in(lang),
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "notes": list(self.notes_in(lang)),
            "summary": summary(self.code, lang),
        }


def summary(code: str, lang: Lang) -> str:
    """What a code means, in one line."""
    return CODES_ZH[code] if lang == "zh" else CODES[code]


def error(code: str, message: Text, span: Span, *notes: Text) -> Diagnostic:
    return Diagnostic(code=code, text=message, span=span, note_texts=tuple(notes))


def warning(code: str, message: Text, span: Span, *notes: Text) -> Diagnostic:
    return Diagnostic(code=code, text=message, span=span, severity="warning", note_texts=tuple(notes))


class PolicyError(Exception):
    """Raised with every diagnostic of a file when it cannot be compiled."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__(f"{len(diagnostics)} error(s)")
        self.diagnostics = diagnostics
