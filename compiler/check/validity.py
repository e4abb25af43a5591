"""When a policy is in force: its first and last day, whether an event falls inside, and its status on a day."""

from __future__ import annotations

import datetime
from decimal import Decimal

import attrs


def end_of_term(start: datetime.date, years: Decimal) -> datetime.date | None:
    """The last day of a term of whole years from `start` (有效期3年 from 2021-07-28 ends 2024-07-27)."""
    if years != years.to_integral_value():
        return None
    if start.year + years > datetime.MAXYEAR:
        return None  # the checker refuses such a term; here it only must not crash
    try:
        anniversary = start.replace(year=start.year + int(years))
    except ValueError:  # 29 February
        anniversary = start.replace(year=start.year + int(years), day=28) + datetime.timedelta(days=1)
    return anniversary - datetime.timedelta(days=1)


def period(header: dict[str, object]) -> tuple[datetime.date | None, datetime.date | None]:
    """The first and last day in force, each None when the text does not say."""
    start = header.get("effective") or header.get("issued")
    end = header.get("expires")
    term = header.get("term")
    if end is None and isinstance(start, datetime.date) and isinstance(term, Decimal):
        end = end_of_term(start, term)
    return (start if isinstance(start, datetime.date) else None, end if isinstance(end, datetime.date) else None)


def _day(d: datetime.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def outside(header: dict[str, object], day: datetime.date) -> tuple[str, str] | None:
    """None when an event on `day` is inside the policy's effect; else the entry's status and why.

    The status is `not_yet_effective` or `expired` for a day outside the policy's period, and
    `not_eligible` for a day in force but before the projects it counts (events_from).
    """
    start, end = period(header)
    if start is not None and day < start:
        return "not_yet_effective", f"{_day(day)}早于政策施行之日（{_day(start)}）"
    if end is not None and day > end:
        return "expired", f"{_day(day)}晚于政策有效期截止之日（{_day(end)}）"
    since = header.get("events_from")
    if isinstance(since, datetime.date) and day < since:
        return "not_eligible", f"{_day(day)}早于政策规定的项目认定时限（{_day(since)}以后）"
    return None


@attrs.frozen
class Standing:
    """A policy's status on a day (`label`), and its validity period as a reader should see it (`period`)."""

    label: str
    period: str
    in_force: bool


def standing(header: dict[str, object], as_of: datetime.date) -> Standing:
    """A policy's status on `as_of`, from its stated status and its dates."""
    start, end = period(header)
    term = header.get("term")
    if isinstance(start, datetime.date):
        words = f"{_day(start)}起" + (f"至{_day(end)}" if isinstance(end, datetime.date) else "，原文未规定截止日期")
    elif isinstance(term, Decimal):
        words = f"有效期{term}年，原文未载明起始日期"
    else:
        words = "原文未载明施行日期"
    stated = header.get("status")
    if stated in ("征求意见稿", "已废止", "已失效"):
        return Standing(str(stated), words, False)
    if isinstance(end, datetime.date) and as_of > end:
        return Standing(f"已失效（{_day(end)}到期）", words, False)
    if isinstance(start, datetime.date) and as_of < start:
        return Standing(f"尚未施行（{_day(start)}起施行）", words, False)
    if stated in ("状态未知", None):  # the dates allow it, but nobody has said it is in force
        return Standing("状态未知", words, True)
    return Standing("现行有效", words, True)
