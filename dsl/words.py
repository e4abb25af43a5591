"""The words of the language that carry meaning beyond the grammar: legal comparison words and keyword spellings."""

from __future__ import annotations

from typing import Literal

CompareOp = Literal[">=", ">", "<=", "<", "==", "!="]

# Legal Chinese comparison words and the comparison each one means.
# 以上/以下/以内 include the number; 超过/不满/低于 exclude it (民法典 第一千二百五十九条).
# 不少于/不低于/不超过 are the negations and so include it. 突破 (break through) is read as 超过.
COMPARE_WORDS: dict[str, CompareOp] = {
    "超过": ">",
    "突破": ">",
    "不满": "<",
    "低于": "<",
    "不少于": ">=",
    "不低于": ">=",
    "不超过": "<=",
    "达到": ">=",
    "以上": ">=",
    "(含)以上": ">=",
    "以下": "<=",
    "(含)以下": "<=",
    "以内": "<=",
    "(含)以内": "<=",
}

# Words that are written after the number (50万元以上) rather than before it (超过 50万元).
POSTFIX_WORDS = frozenset({"以上", "以下", "以内", "(含)以上", "(含)以下", "(含)以内"})

# The items a clause may hold, for "did you mean" on a misspelt item.
FIELD_KEYWORDS = [
    "title",
    "original",
    "beneficiary",
    "stage",
    "subject",
    "exclusive",
    "general",
    "each",
    "lead",
    "responsible",
    "note",
    "waive",
    "when",
    "grant",
    "cap",
    "offset",
    "topup",
    "duration",
    "once",
    "example",
]

# How to show a grammar terminal in a syntax error.
KEYWORD_SPELLINGS: dict[str, str] = {
    "_POLICY": "policy",
    "_ENUM": "enum",
    "_INPUT": "input",
    "_LET": "let",
    "_LIMIT": "limit",
    "_CLAUSE": "clause",
    "_MEASURE": "measure",
    "_TITLE": "title",
    "_ORIGINAL": "original",
    "_BENEFICIARY": "beneficiary",
    "_STAGE": "stage",
    "_SUBJECT": "subject",
    "_EXCLUSIVE": "exclusive",
    "_GENERAL": "general",
    "_RECEIVED": "received",
    "RECEIVED_ALL": "*",
    "_EACH": "each",
    "_RESPONSIBLE": "responsible",
    "_LEAD": "lead",
    "_WAIVE": "waive",
    "_NOTE": "note",
    "_WHEN": "when",
    "_GRANT": "grant",
    "_UP": "up to",
    "_HIGHEST": "最高",
    "_NOT_OVER": "不超过",
    "_CAP": "cap",
    "_OFFSET": "offset",
    "_TOPUP": "topup",
    "_DURATION": "duration",
    "_ONCE": "once",
    "_CASE": "case_by_case",
    "_AS": "as",
    "_LABEL": "label",
    "_PER": "per",
    "_ON": "on",
    "_EXAMPLE": "example",
    "_EXPECT": "expect",
    "_BY": "by",
    "_TIERS": "tiers",
    "_ELSE": "else",
    "_MIN": "min",
    "_MAX": "max",
    "_AND": "and",
    "_OR": "or",
    "_NOT": "not",
    "_IN": "in",
    "_OF": "of",
    "_DE": "的",
    "_TIMES": "×",
    "_TO": "to",
    "_REACH": "达到",
    "TRUE": "true",
    "FALSE": "false",
    "NOT_ELIGIBLE": "not_eligible",
    "SCOPE_WORD": "a scope such as 每年",
    "CMP_WORD": "a comparison word such as 超过",
    "CMP_OP": "a comparison such as >=",
}

TERMINAL_NAMES: dict[str, str] = {
    "NAME": "a name",
    "QUANTITY": "a number",
    "THRESHOLD": "a threshold such as 50万元以上",
    "STRING": "a string",
    "DATE": "a date",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LPAR": "'('",
    "RPAR": "')'",
    "_COLON": "':'",
    "_COMMA": "','",
    "EQUAL": "'='",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "SLASH": "'/'",
    "VBAR": "'|'",
    "$END": "end of file",
}
