"""Report metadata from the text: agency, its level (乡镇/街道/县区/市/部门), the region named
before it, the report year and the publication date, each with a confidence and the text it
was read from. Also the normalised agency name that groups one agency's reports across years.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from nianbao.models import Document, MetaField, ReportMetadata

_TITLE = re.compile(r"(?P<agency>[\u4e00-\u9fff（）()]{2,40}?)(?P<year>20\d{2})年度?(?:政府)?信息公开(?:工作)?年度?报告")
_PREFIXES = ("关于报送", "关于印发", "关于公布", "关于发布", "关于")
_DATE = re.compile(r"(?P<y>20\d{2})\s*[年.\-/]\s*(?P<m>\d{1,2})\s*[月.\-/]\s*(?P<d>\d{1,2})\s*日?")
_PUBLISHED = re.compile(r"(?:发布|公开|印发|成文)(?:日期|时间)[:：]?\s*")
_DEPARTMENT = ("管理委员会", "委员会", "管委会", "办公室", "办公厅", "局", "委", "厅", "署", "中心", "院", "所", "站",
               "队", "办", "公司", "集团", "处", "会", "部", "馆", "社", "台")
_REGION_UNIT = re.compile(r"(?:.{2,}?(?:自治区|特别行政区|省|自治州|地区|市|州|盟|自治县|县|区|旗)|.(?:县|市|区|旗))")

LEVELS = ("乡镇", "街道", "县区", "市", "省", "部门")


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).replace("#", "").replace("*", "")


def title_metadata(doc: Document) -> tuple[str | None, int | None]:
    """(agency, year) from the report title near the top of the document."""
    head = "".join(_compact(r.text) for r in doc.rows[:25])
    m = _TITLE.search(head)
    if not m:
        years = re.findall(r"(20[12]\d)年", head)
        return None, int(years[0]) if years else None
    return _strip_prefix(m.group("agency")) or None, int(m.group("year"))


def _strip_prefix(agency: str) -> str:
    for p in _PREFIXES:
        if agency.startswith(p):
            return agency[len(p):]
    return agency


def _core(name: str) -> str:
    """The name without 人民政府/政府/办事处 at its end (the unit itself)."""
    n = _compact(name)
    for suffix in ("人民政府办公室", "人民政府", "政府", "办事处"):
        if n.endswith(suffix) and len(n) > len(suffix) + 1:
            if suffix == "人民政府办公室":
                return n  # the government's office is a department of its own
            return n[: -len(suffix)]
    return n


def agency_level(name: str | None) -> str | None:
    """乡镇 / 街道 / 县区 / 市 / 省 / 部门 from the ending of the agency's name; None if unclear."""
    if not name:
        return None
    n = _core(name)
    if n.endswith("街道") or n.endswith("街道办"):
        return "街道"
    if n.endswith(_DEPARTMENT):
        return "部门"
    if n.endswith(("镇", "乡", "苏木")):
        return "乡镇"
    if n.endswith(("自治区", "省", "特别行政区")):
        return "省"
    if n.endswith(("县", "区", "旗")):
        return "县区"
    if n.endswith(("市", "州", "盟", "地区")):
        return "市"
    return None


def agency_key(name: str | None) -> tuple[str, str | None]:
    """Normalised name for grouping one agency's reports (level kept apart): NFKC, no spaces,
    no 关于… prefix, no 人民政府/办事处 ending. ("贺兰县金贵镇人民政府" → "贺兰县金贵镇")."""
    if not name:
        return "", None
    n = _core(_strip_prefix(_compact(name)))
    if n.endswith("街道办"):
        n = n[:-1]
    return n, agency_level(name)


MIN_TAIL = 3  # a name shorter than this (normalised) never stands for a longer one


def is_tail_of(short: str, long: str) -> bool:
    """``short`` is how ``long`` may be printed without its place names: the normalised name
    ``long`` ends with ``short``, which has at least :data:`MIN_TAIL` characters ("金贵镇" of
    "贺兰县金贵镇"; "局" of anything never). Names as :func:`agency_key` gives them."""
    return len(short) >= MIN_TAIL and long != short and long.endswith(short)


def tail_owner(name: str, names: Iterable[str]) -> str | None:
    """The one name among ``names`` that ``name`` is the tail of (:func:`is_tail_of`); None when
    none is, or several are (then which agency is meant is not known: nothing is joined). The
    rule the cross-year checks group reports by and the roster matches names with."""
    owners = {n for n in names if is_tail_of(name, n)}
    return owners.pop() if len(owners) == 1 else None


def split_region(name: str) -> tuple[str | None, str]:
    """("贺兰县", "金贵镇") from "贺兰县金贵镇": the place names printed before the agency's own."""
    n = _core(name)
    region = ""
    rest = n
    while True:
        m = _REGION_UNIT.match(rest)
        if not m or len(m.group(0)) >= len(rest) or len(m.group(0)) < 2:
            break
        tail = rest[len(m.group(0)):]
        if len(tail) < 2:
            break
        region += m.group(0)
        rest = tail
    return (region or None), rest


def _date(m: re.Match) -> str | None:
    try:
        return date(int(m.group("y")), int(m.group("m")), int(m.group("d"))).isoformat()
    except ValueError:
        return None


def report_metadata(doc: Document) -> ReportMetadata:
    """Agency, level, region, year and publication date, each with a confidence and evidence."""
    meta = ReportMetadata()
    rows = [_compact(r.text) for r in doc.rows if r.kind == "text"]
    head = "".join(rows[:25])
    m = _TITLE.search(head)
    if m:
        agency = _strip_prefix(m.group("agency"))
        title = m.group(0)
        meta.agency = MetaField(value=agency, confidence=0.9, evidence=title)
        meta.year = MetaField(value=int(m.group("year")), confidence=0.95, evidence=title)
    else:
        years = re.findall(r"(20[12]\d)年", head)
        if years:
            meta.year = MetaField(value=int(years[0]), confidence=0.4, evidence=f"first year in the text: {years[0]}年")
    period = re.search(r"(20\d{2})年1月1日(?:起)?(?:至|到|—|-)\1年12月31日", "".join(rows[:80]))
    if period:
        if meta.year.value is None:
            meta.year = MetaField(value=int(period.group(1)), confidence=0.8, evidence=period.group(0))
        elif meta.year.value == int(period.group(1)):
            meta.year.confidence = 0.98
            meta.year.evidence += f"; statistics period {period.group(0)}"
    signed = str(meta.agency.value or "")
    if not signed:  # a signature line: "西坡镇人民政府" alone before a date
        for i, t in enumerate(rows[:-1]):
            if re.fullmatch(r"[\u4e00-\u9fff]{2,30}(?:人民政府|办事处|局|委员会)", t) and _DATE.fullmatch(rows[i + 1]):
                meta.agency = MetaField(value=t, confidence=0.6, evidence=f"signature: {t} {rows[i + 1]}")
                signed = t
                break
    if signed:
        level = agency_level(signed)
        if level:
            meta.level = MetaField(value=level, confidence=0.9 if meta.agency.confidence >= 0.9 else 0.6,
                                   evidence=f"name ends {_core(signed)[-2:]}")
        region, _ = split_region(signed)
        if region:
            meta.region = MetaField(value=region, confidence=0.8, evidence=signed)
    if meta.region.value is None:
        for t in rows[:60]:
            rm = re.search(r"(?:^(?:按照|根据|依据)?|通过|经|由|向|在|和|及|按照|根据|依据|、|，|。|：|《)([\u4e00-\u9fff]{1,4}?(?:县|市|区|旗))人民政府", t)
            if rm and rm.group(1) != _core(signed):
                meta.region = MetaField(value=rm.group(1), confidence=0.4, evidence=rm.group(0))
                break
    meta.published = _published(rows, meta.year.value if isinstance(meta.year.value, int) else None)
    return meta


def _published(rows: list[str], year: int | None) -> MetaField:
    """Publication date: a 发布日期 field, else the last date printed alone on a line (the
    signature), not earlier than the report year."""
    for t in rows:
        pm = _PUBLISHED.search(t)
        if pm:
            dm = _DATE.match(t, pm.end())
            if dm and _date(dm):
                return MetaField(value=_date(dm), confidence=0.9, evidence=t[pm.start():dm.end()])
    for t in reversed(rows):
        dm = _DATE.fullmatch(t)
        if dm and _date(dm) and (year is None or int(dm.group("y")) >= year):
            return MetaField(value=_date(dm), confidence=0.7, evidence=t)
    return MetaField()
