"""The fixed vocabularies a policy's header and clauses are checked against: levels, statuses, beneficiaries, stages."""

from __future__ import annotations

import re

from pol.dsl.words import HEADER_WORDS

LEVELS = {
    "national": "国家级",
    "province": "省级",
    "city": "市级",
    "district": "区级",
    "county": "县级",
    "国家级": "国家级",
    "省级": "省级",
    "市级": "市级",
    "区级": "区级",
    "县级": "县级",
}


STATUSES = {
    "in_force": "现行有效",
    "draft": "征求意见稿",
    "expired": "已失效",
    "repealed": "已废止",
    "unknown": "状态未知",  # said explicitly when the text does not show it; dates still decide what is paid
    "现行有效": "现行有效",
    "征求意见稿": "征求意见稿",
    "已失效": "已失效",
    "已废止": "已废止",
    "状态未知": "状态未知",
}


BENEFICIARIES = {
    "enterprise": "企业",
    "park": "园区",
    "institution": "机构",
    "platform": "平台",
    "person": "个人",
    "government": "地方政府",
    "企业": "企业",
    "园区": "园区",
    "机构": "机构",
    "平台": "平台",
    "个人": "个人",
    "人才": "个人",
    "地方政府": "地方政府",
}


# Stages of a product's life, for the site's index by stage and the comparison between cities.
STAGES = {
    "research": "研发",
    "clinical": "临床试验",
    "industrialisation": "产业化",
    "market": "市场开拓",
    "international": "国际化",
    "研发": "研发",
    "临床试验": "临床试验",
    "产业化": "产业化",
    "市场开拓": "市场开拓",
    "国际化": "国际化",
}


# A validity term longer than this is no policy's; definitions chained deeper than this are no text's.
MAX_TERM_YEARS = 100


# Levels of government from the centre outwards; `received local` sums grants of the levels below,
# `received higher` those of the levels above.
LEVEL_RANK = {"国家级": 0, "省级": 1, "市级": 2, "区级": 3, "县级": 3}


def other_levels(own: str | None, higher: bool) -> tuple[str, ...]:
    """The levels of government above (`higher`) or below a policy's own level, whose grants the ledger sums."""
    rank = LEVEL_RANK.get(own or "", 99)
    return tuple(level for level, r in LEVEL_RANK.items() if (r < rank if higher else r > rank))


OVERLAP = {"best": "从优就高不重复", "从优就高不重复": "从优就高不重复", "stack": "可叠加", "可叠加": "可叠加"}


SUPPORT_KINDS = {
    "cash": "资金",
    "equity": "股权投资",
    "tax_refund": "税收奖励",
    "service": "服务",
    "资金": "资金",
    "股权投资": "股权投资",
    "税收奖励": "税收奖励",
    "服务": "服务",
}


# What a header's `url` may be: a web address with nothing that could end an HTML attribute or a
# Markdown link, so the site can link to it.
SAFE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[^\s<>\"'`\\{}|^\x00-\x1f\x7f]*)?")


# Each header field's first Chinese name, for messages (dsl/words.py HEADER_WORDS reads them all).
CHINESE_HEADER = {english: chinese for chinese, english in reversed(list(HEADER_WORDS.items()))}


# Header fields: the kind of value each takes.
HEADER_FIELDS = {
    "title": "text",
    "issuer": "text",
    "number": "text",
    "level": "level",
    "status": "status",
    "issued": "date",
    "effective": "date",
    "expires": "date",
    "source": "texts",
    "paid_by": "text",
    "region": "text",
    "summary": "text",
    "term": "years",  # 有效期 N 年, when the text gives a length rather than an end date
    "events_from": "date",  # 项目认定时限: events before this date do not qualify
    "note": "notes",  # a document-level interpretation note; may be repeated
    "overlap": "overlap",  # best: 从优、就高、不重复 with other policies of the same region
    "supersedes": "text",
    # How to apply, for every clause (a clause's own `materials:` … come first): the text's words.
    "materials": "text",
    "procedure": "text",
    "window": "text",
    "office": "text",
    "contact": "text",
    "url": "text",  # the official text's address
    "guide": "text",  # the document that is the 申报指南, if another one
    # the file name (without .pol) of the version this one replaces, e.g. a 征求意见稿
}
