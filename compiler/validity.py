"""When a policy is in force: its first and last day from the header, and whether an event falls inside."""

from __future__ import annotations

import datetime
from decimal import Decimal


def end_of_term(start: datetime.date, years: Decimal) -> datetime.date | None:
    """The last day of a term of whole years from `start` (有效期3年 from 2021-07-28 ends 2024-07-27)."""
    if years != years.to_integral_value():
        return None
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


def outside(header: dict[str, object], day: datetime.date) -> str | None:
    """Why an event on `day` is outside the policy's effect, or None when it is inside."""
    start, end = period(header)
    if start is not None and day < start:
        return f"{_day(day)}早于政策施行之日（{_day(start)}）"
    if end is not None and day > end:
        return f"{_day(day)}晚于政策有效期截止之日（{_day(end)}）"
    since = header.get("events_from")
    if isinstance(since, datetime.date) and day < since:
        return f"{_day(day)}早于政策规定的项目认定时限（{_day(since)}以后）"
    return None
