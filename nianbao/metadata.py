"""Report metadata from the text: agency and report year from the title."""

from __future__ import annotations

import re

from nianbao.models import Document

_TITLE = re.compile(r"(?P<agency>[\u4e00-\u9fff（）()]{2,40}?)(?P<year>20\d{2})年度?(?:政府)?信息公开(?:工作)?年度?报告")
_PREFIXES = ("关于报送", "关于印发", "关于公布", "关于")


def title_metadata(doc: Document) -> tuple[str | None, int | None]:
    """(agency, year) from the report title near the top of the document."""
    head = "".join("".join(r.text.split()) for r in doc.rows[:25])
    head = head.replace("#", "")
    m = _TITLE.search(head)
    if not m:
        years = re.findall(r"(20[12]\d)年", head)
        return None, int(years[0]) if years else None
    agency = m.group("agency")
    for p in _PREFIXES:
        if agency.startswith(p):
            agency = agency[len(p):]
    return agency or None, int(m.group("year"))
