"""What a policy text says of itself: its title, issuer, 文号, level, region and the dates it is in force."""

from __future__ import annotations

import datetime
import re
import unicodedata

import attrs

from pol.compiler.drafting.figures import arabic

_TITLE_WORDS = re.compile(r"(?:若干)?(?:政策|措施|意见|办法|方案|细则|通知|规定|决定)(?:（[^）]*）)?$")
_ISSUER = re.compile(r"([\u4e00-\u9fa5]{2,12}?(?:人民政府办公室|人民政府办公厅|人民政府|委员会|管委会))")
_NUMBER = re.compile(r"[\u4e00-\u9fa5]{1,8}[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d+\s*号")
_LEVELS = (("省", "province"), ("自治区", "province"), ("市", "city"), ("区", "district"), ("县", "county"))


@attrs.frozen
class Header:
    """The header fields a text states; None where it does not."""

    title: str
    issuer: str | None = None
    number: str | None = None
    level: str | None = None
    region: str | None = None
    status: str | None = None
    effective: str | None = None
    expires: str | None = None
    term: str | None = None


def _date(y: str, m: str, d: str) -> str | None:
    try:
        return datetime.date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


def read_header(text: str) -> Header:
    """The header fields the text itself states (a title always: the first line that reads as one)."""
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]
    title = next(
        (line for line in lines if 4 <= len(line) <= 60 and _TITLE_WORDS.search(line.replace(" ", ""))),
        next((line for line in lines if line), "未命名政策"),
    )
    title = re.sub(r"^.*?(?=关于)", "", title) if "关于" in title else title
    title = title.strip("《》“” ").replace('"', "”")
    issuer_m = _ISSUER.search(text[:2000])
    issuer = issuer_m.group(1) if issuer_m else None
    number_m = _NUMBER.search(unicodedata.normalize("NFKC", text[:3000]))
    number = re.sub(r"\s+", "", number_m.group(0)) if number_m else None
    region = re.sub(r"(?:人民政府办公室|人民政府办公厅|人民政府|委员会|管委会)$", "", issuer) if issuer else None
    level = next((lv for suffix, lv in _LEVELS if region and region.endswith(suffix)), None)
    plain = arabic(text)[0]
    effective = expires = term = None
    m = re.search(r"自\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日起(?:施行|实施|执行|生效)", plain)
    if m:
        effective = _date(*m.groups())
    m = re.search(r"有效期(?:至|到)\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日", plain)
    if m:
        expires = _date(*m.groups())
    m = re.search(r"有效期\s*(?:为)?\s*(\d{1,2})\s*年", plain)
    if m:
        term = f"{m.group(1)}年"
    status = "draft" if "征求意见稿" in text[:3000] else None
    return Header(title, issuer, number, level, region, status, effective, expires, term)
