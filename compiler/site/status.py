"""Whether a policy is a draft, in force, not yet in force or expired on a given day, and its validity in words."""

from __future__ import annotations

import datetime
from decimal import Decimal

import attrs

from compiler import validity


@attrs.frozen
class Standing:
    """A policy's status on a day (`label`), and its validity period as a reader should see it (`period`)."""

    label: str
    period: str
    in_force: bool


def _day(d: datetime.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def standing(header: dict[str, object], as_of: datetime.date) -> Standing:
    """A policy's status on `as_of`, from its stated status and its dates."""
    start, end = validity.period(header)
    term = header.get("term")
    if isinstance(start, datetime.date):
        period = f"{_day(start)}起" + (f"至{_day(end)}" if isinstance(end, datetime.date) else "，原文未规定截止日期")
    elif isinstance(term, Decimal):
        period = f"有效期{term}年，原文未载明起始日期"
    else:
        period = "原文未载明施行日期"
    stated = header.get("status")
    if stated in ("征求意见稿", "已废止", "已失效"):
        return Standing(str(stated), period, False)
    if isinstance(end, datetime.date) and as_of > end:
        return Standing(f"已失效（{_day(end)}到期）", period, False)
    if isinstance(start, datetime.date) and as_of < start:
        return Standing(f"尚未施行（{_day(start)}起施行）", period, False)
    return Standing("现行有效", period, True)
