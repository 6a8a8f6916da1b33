"""Pure: the date of a page from a metadata value, its URL, or a byline or dateline in its first
lines ("Published: 22 November 2025", "EASTMERE, Sept. 7, 2017 — ...")."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlsplit

__all__ = ["BYLINE_LINES", "byline_date", "parse_date", "url_date"]

BYLINE_LINES = 5  # a byline or dateline sits in the first few lines; later dates are news
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_MONTH = (
    r"(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ORDINAL = r"(?i:st|nd|rd|th)?"
_ISO = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})")
_DAY_MONTH = re.compile(
    rf"\b(?P<day>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<month>{_MONTH})\.?,?\s+(?P<year>\d{{4}})\b"
)
_MONTH_DAY = re.compile(
    rf"\b(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}}){_ORDINAL},?\s+(?P<year>\d{{4}})\b"
)
_URL_DATE = re.compile(r"/(?P<year>\d{4})[/-](?P<month>\d{1,2})[/-](?P<day>\d{1,2})(?=[/_.-]|$)")

# One segment of a byline that is only a date: a label or a dateline's place may come before it,
# a time or an agency after it.
_ANY_DATE = (
    rf"\d{{1,2}}{_ORDINAL}\s+(?:of\s+)?{_MONTH}\.?,?\s+\d{{4}}"
    rf"|{_MONTH}\.?\s+\d{{1,2}}{_ORDINAL},?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}"
)
_LABEL = (
    r"(?i:(?P<updated>(?:last\s+)?(?:updated|modified|edited))"
    r"|(?:first\s+)?(?:published|posted)|dated?)(?i:\s+on)?\s*:?\s*"
)
_PLACE = r"[A-Z][A-Z.'’ -]{1,40}(?:\s*\([^)]{1,40}\))?,\s*"
_WEEKDAY = r"(?i:(?:mon|tue|tues|wed|wednes|thu|thur|thurs|fri|sat|satur|sun)(?:day)?\.?,?\s+)"
_TIME = r"(?:,?\s*(?i:at\s+)?\d{1,2}(?:[:.]\d{2})?\s*(?i:[ap]\.?m\.?)?(?:\s*[A-Z]{2,5})?)?"
_DATED = re.compile(
    rf"(?:{_LABEL}|{_PLACE})?{_WEEKDAY}?(?P<date>{_ANY_DATE}){_TIME}(?:\s*\([^)]{{1,60}}\))?"
)
_SEGMENTS = re.compile(r"\s*[|·•]\s*|\s+[—–-]+\s+")


def _day(m: re.Match[str]) -> date | None:
    """The date of a match with ``year``, ``month`` (a number or a name) and ``day`` groups."""
    month = m.group("month")
    number = int(month) if month.isdigit() else _MONTHS[month[:3].lower()]
    year = int(m.group("year"))
    if not 1800 <= year <= date.today().year + 1:
        return None
    try:
        return date(year, number, int(m.group("day")))
    except ValueError:
        return None


def parse_date(value: object) -> date | None:
    """A date from a date, a datetime or a string holding one (``2024-03-11T08:00Z``,
    ``11 March 2024``, ``Sept. 7, 2017``, ``Mon, 11 Mar 2024 08:00:00 GMT``); else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    for pattern in (_ISO, _DAY_MONTH, _MONTH_DAY):
        if m := pattern.search(value):
            return _day(m)
    return None


def url_date(url: str | None) -> date | None:
    """The date in a URL's path: ``/2024/03/11/`` or ``/2024-03-11/``."""
    if not url:
        return None
    m = _URL_DATE.search(urlsplit(url).path)
    return _day(m) if m else None


def byline_date(text: str, lines: int = BYLINE_LINES) -> date | None:
    """The date of a byline or dateline among the first ``lines`` lines of ``text`` ("*22 November
    2025*", "Published: ...", "By Ann Lee | Nov. 22, 2025", "EASTMERE, Sept. 7, 2017 — ...").
    A date inside a sentence is not a byline. A publication date wins over an "Updated" one."""
    found: list[tuple[bool, date]] = []
    for line in [ln for ln in text.split("\n") if ln.strip()][:lines]:
        for segment in _SEGMENTS.split(line.strip()):
            m = _DATED.fullmatch(segment.strip(" *_~>#"))
            if m and (day := parse_date(m.group("date"))):
                found.append((m.group("updated") is not None, day))
    return min(found, key=lambda f: f[0])[1] if found else None
