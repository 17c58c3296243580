"""Generated report text (TSV extract like the seed reports) for the tests of statements,
years, suggestions and metadata: every canonical cell printed as given (default "0")."""

from __future__ import annotations

import hashlib

from nianbao.models import SourceInfo, load_template
from nianbao.pipeline import parse_document
from nianbao.readers.text import read_text
from nianbao.settings import Settings

ART20_HEADERS = {
    "2019": {"art20_1": "信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量",
             "art20_5": "信息内容\t上一年项目数量\t本年增/减\t处理决定数量",
             "art20_6": "信息内容\t上一年项目数量\t本年增/减\t处理决定数量",
             "art20_8": "信息内容\t上一年项目数量\t本年增/减",
             "art20_9": "信息内容\t采购项目数量\t采购总金额"},
    "2021": {"art20_1": "信息内容\t本年制发件数\t本年废止件数\t现行有效件数",
             "art20_5": "信息内容\t本年处理决定数量",
             "art20_6": "信息内容\t本年处理决定数量",
             "art20_8": "信息内容\t本年收费金额（单位：万元）"},
}


def report_text(agency: str = "青山县白河镇", year: int = 2020, version: str = "2019",
                cells: dict[tuple[str, str, str], str] | None = None, body: list[str] | None = None,
                rows: dict[tuple[str, str], list[str]] | None = None, tail: list[str] | None = None,
                spacer: bool = True) -> str:
    """The text of one report. ``cells`` overrides printed texts by (table, row, col);
    ``rows`` replaces the printed value cells of a whole row by (table, row)."""
    cells = cells or {}
    rows = rows or {}
    t = load_template(version)
    out = [f"{agency}{year}年政府信息公开工作年度报告", "", "一、总体情况", *(body or []), "", "二、主动公开政府信息情况"]

    def values(table: str, row_id: str, cols) -> list[str]:
        if (table, row_id) in rows:
            return rows[(table, row_id)]
        return [cells.get((table, row_id, c.id), "0") for c in cols]

    ad = t.table("active_disclosure")
    for item in ad.items:
        out.append(item.label + "\t\t\t")
        out.append(ART20_HEADERS[version][item.id])
        for r in item.rows:
            if r.optional:
                continue
            out.append("\t".join([r.label, *values("active_disclosure", item.row_id(r), item.columns)]))
    out += ["", "三、收到和处理政府信息公开申请情况", "",
            "(本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和)\t\t申请人情况",
            "\t\t自然人\t法人或其他组织\t\t\t\t\t总计",
            "\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他"]
    app = t.table("applications").items[0]
    for r in app.rows:
        if r.optional:
            continue
        out.append("\t".join([r.label, *([""] if spacer else []), *values("applications", r.id, app.columns)]))
    out += ["", "四、政府信息公开行政复议、行政诉讼情况", "",
            "行政复议\t\t\t\t\t行政诉讼",
            "结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉",
            "\t\t\t\t\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计"]
    rev = t.table("reviews_litigation").items[0]
    out.append("\t".join(values("reviews_litigation", "count", rev.columns)))
    out += ["", "五、存在的主要问题及改进情况", "", "一是公开意识需要进一步加强。", "", "六、其他需要报告的事项", "",
            "无。", *(tail or [])]
    return "\n".join(out) + "\n"


def parse_text(text: str, name: str = "generated.txt", exact: bool = False):
    """Parse report text with the real pipeline (no file needed). ``exact``: every printed
    cell of a table row is one cell, blanks included (as a grid or HTML reader gives them)."""
    doc = read_text(text, name)
    if exact:
        for row in doc.rows:
            row.exact_cells = row.kind == "table"
    source = SourceInfo(path=name, sha256=hashlib.sha256(text.encode()).hexdigest(), size=len(text.encode()),
                        format=doc.format)
    return parse_document(doc, Settings(), source)
