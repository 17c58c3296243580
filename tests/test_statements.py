"""Body-text figures against the tables (issue #8 part 2) and what a cell means (part 1):
generated reports (TSV text like the seeds) and the five real seed reports."""

from __future__ import annotations

import pytest
from report_text import parse_text, report_text

from nianbao.models import CellKind, CheckStatus, Document, Row, TextCell
from nianbao.statements import classify, cn_number, extract_statements

A, R, AD = "applications", "reviews_litigation", "active_disclosure"


def _statements(*lines: str):
    doc = Document(path="x", format="text-tsv", rows=[Row(kind="text", cells=[TextCell(text=t)], page=2) for t in lines])
    return extract_statements(doc)


@pytest.mark.parametrize("sentence, topic, qty, unit", [
    ("2020年，本机关共受理政府信息公开申请859件。", "applications.new_received", 859, "件"),
    ("收到申请1件，已按时答复。", "applications.new_received", 1, "件"),
    ("金贵镇受理政府信息公开申请 1 件，已按照依申请公开程序办结。", "applications.new_received", 1, "件"),
    ("全年共收到政府信息公开申请两件。", "applications.new_received", 2, "件"),
    ("结转下年度继续办理 3 件。", None, 3, "件"),  # no 申请 anywhere in the sentence: not guessed
    ("发布信息 134 条。", "active_disclosure.items", 134, "条"),
    ("通过12345平台受理群众举报573件。", None, 573, "件"),
    ("政府集中采购金额 328.65 万元。", "art20_9.procurement.amount", 328.65, "万元"),
])
def test_common_phrasings_are_read(sentence, topic, qty, unit):
    sts = _statements(sentence)
    assert len(sts) == 1
    st = sts[0]
    assert (st.topic, st.quantity, st.unit, st.page) == (topic, qty, unit, 2)
    assert st.sentence == sentence


def test_pairs_and_inherited_wording():
    sts = _statements("行政复议7件，诉讼9件。", "申请行政复议 0 件，提起行政诉讼 0 件。",
                      "本年制发规章2件，行政规范性文件5件，废止行政规范性文件1件。",
                      "主动公开规章13件，行政规范性文件60件。",
                      "共受理申请10件，其中予以公开6件，部分公开1件，不予公开2件，上年结转1件。")
    got = [(s.topic, s.quantity) for s in sts]
    assert got == [
        ("reviews.review_total", 7), ("reviews.suit_total", 9),
        ("reviews.review_total", 0), ("reviews.suit_total", 0),
        ("art20_1.regulations.issued", 2), ("art20_1.normative_documents.issued", 5),
        ("art20_1.normative_documents.repealed", 1),
        ("art20_1.regulations.published", 13), ("art20_1.normative_documents.published", 60),
        ("applications.new_received", 10), ("applications.disclosed", 6), ("applications.partially_disclosed", 1),
        ("applications.withheld", 2), ("applications.carried_over", 1),
    ]


def test_approximate_and_non_figures():
    sts = _statements("公开政府信息100多条，其中政务动态80余条。", "推行一件事一次办，打造一条龙服务。", "2021年4月27日")
    assert [(s.quantity, s.status) for s in sts] == [(100, "no_counterpart"), (80, "unrecognised")]
    assert all("approximate" in s.note for s in sts)
    assert cn_number("二十三") == 23 and cn_number("一百零五") == 105 and cn_number("一二") is None


def test_negated_statements_mean_zero():
    sts = _statements("本年度未收到政府信息公开申请。", "未发生因政府信息公开被申请行政复议、提起行政诉讼的情况。")
    assert [(s.topic, s.quantity) for s in sts] == [
        ("applications.new_received", 0), ("reviews.review_total", 0), ("reviews.suit_total", 0)]


def test_classify_keeps_wording_apart():
    assert classify("现行有效规范性文件", "", "件").id == "art20_1.normative_documents.in_force"
    assert classify("行政复议、行政诉讼", "", "件") is None
    assert classify("复议后起诉", "", "件").id == "reviews.suit_after_review_total"
    assert classify("未经复议直接起诉", "", "件").id == "reviews.direct_suit_total"
    assert classify("申请人", "", "个") is None


# --------------------------------------------------------------------------- generated reports

CONSISTENT = {
    (A, "new_received", "natural_person"): "3", (A, "new_received", "total"): "3",
    (A, "disclosed", "natural_person"): "3", (A, "disclosed", "total"): "3",
    (A, "result_total", "natural_person"): "3", (A, "result_total", "total"): "3",
    (R, "count", "review_upheld"): "1", (R, "count", "review_total"): "1",
}


def test_text_disagreeing_with_the_tables_gives_one_finding_each_with_evidence():
    body = ["2020年，本镇共受理政府信息公开申请5件，均已办结。",
            "全年收到政府信息公开申请5件。",  # the same claim again: evidence for the same finding
            "因政府信息公开申请行政复议2件，提起行政诉讼0件。"]
    report = parse_text(report_text(cells=CONSISTENT, body=body))
    assert not [c for c in report.checks if c.status == CheckStatus.failed]
    findings = [f for f in report.findings if f.kind == "text_vs_table"]
    assert len(findings) == 2
    by_subject = {f.subject: f for f in findings}
    f = by_subject["applications.new_received"]
    texts = [e for e in f.sources if e.source == "text"]
    cells = [e for e in f.sources if e.source == "cell"]
    assert [e.value for e in texts] == [5, 5] and len({e.text for e in texts}) == 2
    assert [(e.cell, e.value, e.text) for e in cells] == [("applications.new_received.total", 3, "3")]
    assert "5 件" in f.message and "= 3" in f.message
    f = by_subject["reviews.review_total"]
    assert [(e.cell, e.value) for e in f.sources if e.source == "cell"] == [("reviews_litigation.count.review_total", 1)]
    # nothing rewritten
    assert report.table(A).cell("new_received", "total").value == 3
    assert report.table(R).cell("count", "review_total").value == 1
    # the agreeing statement (诉讼 0) raised its cells, with a reason
    suit = report.table(R).cell("count", "direct_suit_total")
    assert any("agrees with the body text" in r for r in suit.reasons)
    status = {(s.topic, s.quantity): s.status for s in report.statements}
    assert status[("applications.new_received", 5)] == "disagrees"
    assert status[("reviews.suit_total", 0)] == "agrees"


def test_agreement_raises_confidence_and_unrecognised_text_changes_nothing():
    cells = {(A, r, c): "1" for r in ("new_received", "disclosed", "result_total") for c in ("natural_person", "total")}
    cells[(A, "new_received", "total")] = "l"  # a look-alike: read as 1, less sure
    plain = parse_text(report_text(cells=cells))
    said = parse_text(report_text(cells=cells, body=["本年度受理政府信息公开申请1件。", "清理规章13件，行政规范性文件60件。"]))
    before = plain.table(A).cell("new_received", "total")
    after = said.table(A).cell("new_received", "total")
    assert before.value == after.value == 1 and after.text == "l"
    assert 0 < before.confidence < after.confidence <= 1
    assert said.findings == []
    unrec = [s for s in said.statements if s.quantity in (13, 60)]
    assert [s.status for s in unrec] == ["unrecognised", "unrecognised"]
    assert [c.confidence for c in said.table(AD).cells] == [c.confidence for c in plain.table(AD).cells]


def test_2021_wording_decides_the_column():
    cells = {(AD, "art20_1.regulations", "issued_this_year"): "1", (AD, "art20_1.regulations", "in_force"): "4",
             (AD, "art20_1.normative_documents", "in_force"): "20"}
    body = ["本年制发规章1件，现行有效行政规范性文件21件。", "主动公开行政规范性文件20件。"]
    report = parse_text(report_text(year=2022, version="2021", cells=cells, body=body))
    assert report.template_version == "2021"
    st = {s.topic: s for s in report.statements}
    assert st["art20_1.regulations.issued"].status == "agrees"
    assert st["art20_1.normative_documents.in_force"].status == "disagrees"
    # 主动公开 does not say which column: 20 is not this year's 0 but is the 现行有效 20 → ambiguous, no finding
    published = st["art20_1.normative_documents.published"]
    assert published.status == "not_assessable" and "ambiguous" in published.note
    assert [f.subject for f in report.findings] == ["art20_1.normative_documents.in_force"]


def test_2019_published_wording():
    cells = {(AD, "art20_1.regulations", "made_this_year"): "2", (AD, "art20_1.regulations", "published_this_year"): "1",
             (AD, "art20_1.normative_documents", "published_this_year"): "4"}
    body = ["本年度主动公开规章2件，规范性文件5件。", "新制作规章2件。"]
    report = parse_text(report_text(cells=cells, body=body))
    st = [(s.topic, s.quantity, s.status) for s in report.statements]
    assert st == [("art20_1.regulations.published", 2, "not_assessable"),  # = 新制作 2, not 新公开 1: ambiguous
                  ("art20_1.normative_documents.published", 5, "disagrees"),
                  ("art20_1.regulations.issued", 2, "agrees")]
    assert [(f.subject, [e.cell for e in f.sources if e.cell]) for f in report.findings] == [
        ("art20_1.normative_documents.published", ["active_disclosure.art20_1.normative_documents.published_this_year"])]


# --------------------------------------------------------------------------- what a cell means

def test_dash_and_blank_cells_make_rules_not_assessable_never_zero():
    cells = {(A, "new_received", "natural_person"): "/", (A, "new_received", "commercial_enterprise"): "",
             (A, "carried_over", "total"): "—"}
    report = parse_text(report_text(spacer=False, cells=cells, body=["本年度共收到政府信息公开申请0件。"]), exact=True)
    app = report.table(A)
    np_, ce, co = app.cell("new_received", "natural_person"), app.cell("new_received", "commercial_enterprise"), \
        app.cell("carried_over", "total")
    assert (np_.kind, np_.value, np_.text) == (CellKind.dash, None, "/")
    assert (ce.kind, ce.value) == (CellKind.blank, None)
    assert (co.kind, co.value, co.text) == (CellKind.dash, None, "—")
    na = {(c.rule, c.subject): c for c in report.checks if c.status == CheckStatus.not_assessable}
    assert set(na) == {("applications.balance", "natural_person"), ("applications.balance", "commercial_enterprise"),
                       ("applications.balance", "total"), ("applications.row_total", "new_received"),
                       ("applications.row_total", "carried_over")}
    assert "applications.new_received.natural_person" in na[("applications.row_total", "new_received")].description
    assert "applications.new_received.commercial_enterprise" in na[("applications.row_total", "new_received")].description
    assert na[("applications.balance", "total")].equation == "0 + ? = 0 + 0"
    assert not [c for c in report.checks if c.status == CheckStatus.failed]
    assert report.findings == []


def test_statement_over_a_dash_cell_is_not_assessable():
    cells = {(R, "count", "review_total"): "/"}
    report = parse_text(report_text(spacer=False, cells=cells, body=["申请行政复议 2 件。"]), exact=True)
    st = [s for s in report.statements if s.topic == "reviews.review_total"][0]
    assert st.status == "not_assessable" and "review_total" in st.note
    assert report.findings == []
    assert report.table(R).cell("count", "review_total").value is None


def test_dash_in_a_short_row_is_never_turned_into_a_number():
    rows = {(A, "new_received"): ["/", "0", "0", "0", "0", "0"]}  # 6 printed cells for 7 columns
    report = parse_text(report_text(spacer=False, rows=rows), exact=True)
    dash = [c for c in report.table(A).cells if c.row == "new_received" and c.text == "/"]
    assert dash and all(c.value is None for c in dash)


# --------------------------------------------------------------------------- the seed reports

def test_seed_body_figures_are_extracted_and_agree(seeds_dir):
    from nianbao.pipeline import parse_file

    r = parse_file(next(seeds_dir.glob("003_*.txt")))  # 金贵镇
    got = {(s.topic, s.quantity, s.unit): s.status for s in r.statements}
    assert got[("applications.new_received", 1, "件")] == "agrees"
    assert got[("reviews.review_total", 0, "件")] == "agrees"
    assert got[("reviews.suit_total", 0, "件")] == "agrees"
    assert got[("active_disclosure.items", 134, "条")] == "no_counterpart"
    assert got[(None, 573, "件")] == "unrecognised"  # 12345 举报: not an application
    cell = r.table(A).cell("new_received", "total")
    assert cell.value == 1 and any("受理政府信息公开申请 1 件" in x or "受理政府信息公开申请1件" in x for x in cell.reasons)
    r4 = parse_file(next(seeds_dir.glob("004_*.txt")))  # 湖沟镇: "未收到…政府信息公开申请"
    assert [(s.topic, s.quantity, s.status) for s in r4.statements if s.topic == "applications.new_received"] == [
        ("applications.new_received", 0, "agrees")]


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seeds_have_no_text_vs_table_findings(seeds_dir, prefix):
    from nianbao.pipeline import parse_file

    r = parse_file(next(seeds_dir.glob(f"{prefix}_*.txt")))
    assert r.findings == []
    assert not [s for s in r.statements if s.status == "disagrees"]


def test_more_wordings():
    sts = _statements("本年度共收到政府信息公开申请12件，上年结转2件，办结13件，结转下年度1件。其中，自然人申请10件，法人或其他组织申请2件。",
                      "因政府信息公开工作被申请行政复议、提起行政诉讼均为0件。", "行政复议、行政诉讼共3件。",
                      "行政复议结果维持2件，行政诉讼败诉1件。")
    assert [(s.topic, s.quantity) for s in sts] == [
        ("applications.new_received", 12), ("applications.carried_over", 2), ("applications.result_total", 13),
        ("applications.carried_forward", 1), (None, 10), (None, 2),  # "其中" after four figures: of which?
        ("reviews.review_total", 0), ("reviews.suit_total", 0),
        (None, 3),  # a sum of both that no cell holds
        (None, 2), (None, 1)]  # result columns: not read from prose
    sts = _statements("本年度共收到政府信息公开申请12件。其中，自然人申请10件，法人或其他组织申请2件。")
    assert [(s.topic, s.quantity) for s in sts] == [
        ("applications.new_received", 12), ("applications.new_received.natural_person", 10),
        ("applications.new_received.orgs", 2)]


def test_received_including_carried_over_is_ambiguous_not_a_finding():
    cells = {(A, "new_received", "natural_person"): "3", (A, "new_received", "total"): "3",
             (A, "carried_over", "natural_person"): "1", (A, "carried_over", "total"): "1",
             (A, "disclosed", "natural_person"): "4", (A, "disclosed", "total"): "4",
             (A, "result_total", "natural_person"): "4", (A, "result_total", "total"): "4"}
    report = parse_text(report_text(cells=cells, body=["全年共受理政府信息公开申请4件（含上年结转1件），其中自然人4件。"]))
    st = [(s.topic, s.quantity, s.status) for s in report.statements]
    assert st == [("applications.new_received", 4, "not_assessable"), (None, 1, "unrecognised"),
                  ("applications.new_received.natural_person", 4, "not_assessable")]
    assert "carried_over" in report.statements[0].note
    assert report.findings == []


@pytest.mark.slow
def test_fixture_samples_born_digital_claims():
    """The generated samples state figures in their text (manifest "statements"): those about
    applications and 复议 are found and agree when the manifest says they are consistent."""
    import json
    from pathlib import Path

    from nianbao.pipeline import parse_file

    root = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
    if not (root / "manifest.json").exists():
        pytest.skip("fixture samples not present")
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    checked = 0
    for entry in manifest["reports"]:
        if entry["kind"] != "born_digital":
            continue
        report = parse_file(root / entry["file"])
        for claim in (c for s in entry["statements"] for c in s["claims"]):
            if claim["cell"].startswith("active_disclosure"):
                continue  # 主动公开 wording: compared with 本年新公开 (2019), see statements.ART20_1_COLUMNS
            hits = [s for s in report.statements if claim["cell"] in s.cells and s.quantity == claim["stated"]]
            assert hits, claim
            assert hits[0].status == ("agrees" if claim["consistent"] else "disagrees"), (claim, hits[0])
            checked += 1
    assert checked >= 4
