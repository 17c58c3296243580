"""Assembly from grids: value columns by grid geometry, garbled cells, derivation, alignment."""

from __future__ import annotations

from nianbao.assembly import align_rows, Candidate, TemplateRow
from nianbao.labels import LabelMatcher
from nianbao.confidence import factor_value
from nianbao.models import CellKind, CheckStatus, Document, FactorCode, Row, SourceInfo, TextCell, load_template
from nianbao.pipeline import parse_document
from nianbao.readers.common import table_layouts
from nianbao.settings import AssemblySettings, ConfidenceSettings, Settings

T19 = load_template("2019")
APP = T19.table("applications").items[0]


def _grid_rows(values: dict[str, list[str]]) -> list[Row]:
    """Applications matrix as a scan grid would give it: label in grid cols 0-1, values 2-8."""
    rows = [
        Row(kind="text", cells=[TextCell(text="三、收到和处理政府信息公开申请情况")]),
        Row(kind="table", table_index=0, exact_cells=True, cells=[
            TextCell(text="（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", col=0, colspan=2),
            TextCell(text="申请人情况", col=2, colspan=7)]),
    ]
    for r in APP.rows:
        if r.optional:
            continue
        vals = values.get(r.id, ["0"] * 7)
        cells = [TextCell(text=r.label, col=0, colspan=2)]
        cells += [TextCell(text=v, col=2 + j, confidence=0.98) for j, v in enumerate(vals) if v is not None]
        rows.append(Row(kind="table", table_index=0, exact_cells=True, cells=cells))
    return rows


def _parse(rows: list[Row]):
    doc = Document(path="grid", format="image", rows=rows, tables=table_layouts(rows, "markup"))
    return parse_document(doc, Settings(), SourceInfo(path="grid", sha256="", size=0, format="image"))


def test_garbled_value_cell_stays_in_its_grid_column():
    """OCR garble ("天") in a value cell must not shift the row's numbers into other columns."""
    values = {"new_received": ["3", "1", "0", "0", "0", "0", "4"], "disclosed": ["3", "1", "0", "0", "0", "0", "4"],
              "result_total": ["3", "天", "0", "0", "0", "0", "4"]}
    app = _parse(_grid_rows(values)).table("applications")
    assert app.cell("result_total", "natural_person").value == 3
    assert app.cell("result_total", "total").value == 4
    garbled = app.cell("result_total", "commercial_enterprise")
    assert garbled.text == "天"
    assert garbled.kind == CellKind.derived and garbled.value == 1  # 4 - 3, and the column rule agrees
    assert garbled.confidence < 0.9


def test_grid_cell_missing_from_a_row_is_derived_not_shifted():
    values = {"new_received": ["2", "0", "0", "0", "0", "0", "2"], "disclosed": ["2", "0", "0", "0", "0", "0", "2"],
              "result_total": ["2", "0", "0", None, "0", "0", "2"]}
    app = _parse(_grid_rows(values)).table("applications")
    row = {c.col: c for c in app.cells if c.row == "result_total"}
    assert row["natural_person"].value == 2 and row["total"].value == 2
    assert row["social_welfare_org"].kind == CellKind.derived and row["social_welfare_org"].value == 0
    assert row["social_welfare_org"].confidence < 0.9


def test_printed_blank_is_never_filled_in():
    values = {"withheld_third_party": ["", "0", "0", "0", "0", "0", "0"]}
    report = _parse(_grid_rows(values))
    cell = report.table("applications").cell("withheld_third_party", "natural_person")
    assert cell.kind == CellKind.blank and cell.value is None
    assert any(c.status.value == "not_assessable" for c in report.checks if "withheld_third_party" in c.subject)


def test_rows_without_labels_are_placed_between_anchors():
    cands = []
    labels = ["一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "", "（二）部分公开"]
    for i, lab in enumerate(labels):
        cands.append(Candidate(i, Row(kind="table", cells=[]), lab, [TextCell(text="0")] * 7))
    trows = [TemplateRow(APP, r) for r in APP.rows]
    matcher = LabelMatcher([n for t in trows for n in t.spec.names])
    matches = align_rows(cands, trows, matcher, AssemblySettings())
    assert [m.trow.row_id for m in matches] == ["new_received", "carried_over", "disclosed", "partially_disclosed"]
    (placed,) = matches[2].factors
    assert placed.code == FactorCode.row_by_position_anchored and "placed by position" in placed.reason
    assert factor_value(placed.code, ConfidenceSettings()) < 0.9


def test_a_run_of_unreadable_labels_filling_the_rows_between_two_anchors_is_placed_in_order():
    """A 1-bit fax garbled the labels of the three (六)其他处理 rows ("（正期", "gce", nothing;
    seed 2031 report 009): only a single unlabelled row was placed between two matched rows,
    and 21 cells went missing. A run of unreadable labels that is every value row between two
    matched rows, and exactly as many as the template's required rows between them, is placed
    in order, by position (below 0.9)."""
    t21 = load_template("2021").table("applications").items[0]
    trows = [TemplateRow(t21, r) for r in t21.rows]
    ids = [t.row_id for t in trows if not t.spec.optional]
    k = ids.index("other_no_correction")
    names = {t.row_id: t.spec.names[0] for t in trows}
    labels = [names[i] for i in ids[k - 2:k]] + ["（正期", "gce", ""] + [names[ids[k + 3]]]
    cands = [Candidate(i, Row(kind="table", cells=[]), lab, [TextCell(text=str(i))] * 7) for i, lab in enumerate(labels)]
    matcher = LabelMatcher([n for t in trows for n in t.spec.names])
    matches = align_rows(cands, trows, matcher, AssemblySettings())
    assert [m.trow.row_id for m in matches] == ids[k - 2:k + 4]
    assert all([f.code for f in m.factors] == [FactorCode.row_by_position_anchored]
               and "placed by position between matched rows" in m.factors[0].reason for m in matches[2:5])
    # one row too many between the anchors: the run is not every row between them, nothing is guessed
    cands.insert(3, Candidate(9, Row(kind="table", cells=[]), "", [TextCell(text="9")] * 7))
    cands = [Candidate(i, c.row, c.label, c.values) for i, c in enumerate(cands)]
    placed = [m.trow.row_id for m in align_rows(cands, trows, matcher, AssemblySettings())]
    assert not {"other_no_correction", "other_no_fee", "other_other"} & set(placed)


def test_ocr_garbled_labels_align_in_order():
    labels = ["一、才 卜年新收 政 政府信息公开申请数量", "二、」 上年结转政 (府信息公开申请数量", "(一) 子 以公开", "1 B分公开(区分处理的, -情形,不计其他情形)"]
    cands = [Candidate(i, Row(kind="table", cells=[]), lab, [TextCell(text="0")] * 7) for i, lab in enumerate(labels)]
    trows = [TemplateRow(APP, r) for r in APP.rows]
    matcher = LabelMatcher([n for t in trows for n in t.spec.names])
    ids = [m.trow.row_id for m in align_rows(cands, trows, matcher, AssemblySettings())]
    assert ids == ["new_received", "carried_over", "disclosed", "partially_disclosed"]


def test_dash_read_as_yi_keeps_its_row():
    """OCR reads a printed "—" as the character "一": the 规章 row's three dashes made it a
    label-only row, so the 规范性文件 numbers below were placed on 规章 and 规范性文件
    itself went missing."""
    def grid_row(*texts: str) -> Row:
        return Row(kind="table", table_index=0, exact_cells=True,
                   cells=[TextCell(text=t, col=j, confidence=0.98) for j, t in enumerate(texts)])

    rows = [
        Row(kind="text", cells=[TextCell(text="二、主动公开政府信息情况")]),
        Row(kind="table", table_index=0, exact_cells=True, cells=[TextCell(text="第二十条第（一）项", col=0, colspan=4)]),
        grid_row("信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"),
        grid_row("规章", "一", "一", "一"),
        grid_row("规范性文件", "0", "0", "7"),
        Row(kind="table", table_index=0, exact_cells=True, cells=[TextCell(text="第二十条第（五）项", col=0, colspan=4)]),
        grid_row("信息内容", "上一年项目数量", "本年增/减", "处理决定数量"),
        grid_row("行政许可", "5", "0", "33"),
        grid_row("其他对外管理服务事项", "3", "9", "11"),
        Row(kind="table", table_index=0, exact_cells=True, cells=[TextCell(text="第二十条第（六）项", col=0, colspan=4)]),
        grid_row("信息内容", "上一年项目数量", "本年增/减", "处理决定数量"),
        grid_row("行政处罚", "6", "一", "0"),
        grid_row("行政强制", "5", "15", "0"),
    ]
    active = _parse(rows).table("active_disclosure")
    assert [active.cell("art20_1.regulations", c).kind for c in ("made_this_year", "published_this_year", "published_total")] \
        == [CellKind.dash] * 3
    assert [active.cell("art20_1.normative_documents", c).value
            for c in ("made_this_year", "published_this_year", "published_total")] == [0, 0, 7]


def test_row_a_pdf_table_finder_missed_at_a_page_top_is_read_from_its_text_lines():
    """A born-digital PDF's table continued on the next page with its first row open at the
    top: the table finder left that row out, it came as three text lines (label start, the
    numbers, label end) and its seven cells went missing, hiding a broken （七）总计 rule."""
    from report_text import parse_text, report_text

    text = report_text(cells={("applications", "unable_unclear", "natural_person"): "2",
                              ("applications", "unable_unclear", "total"): "2"})
    lines = text.splitlines()
    k = next(i for i, line in enumerate(lines) if line.startswith("3.补正后申请内容仍不明确"))
    lines[k:k + 1] = ["3.补正后申请内容仍", "2 0 0 0 0 0 2", "不明确"]
    report = parse_text("\n".join(lines) + "\n")
    app = report.table("applications")
    assert [app.cell("unable_unclear", c).value for c in ("natural_person", "commercial_enterprise", "total")] == [2, 0, 2]
    failed = {(c.rule, c.subject) for c in report.checks if c.status == CheckStatus.failed}
    assert ("applications.result_total", "natural_person") in failed  # the 2 is not in （七）总计


def _review_rows(value_cells: list[str]) -> list[Row]:
    """The review/litigation matrix as the scan of a phone photo gave it (seed 2031 report 041):
    its header of three levels, then a value row whose walls were lost inside each group."""
    head = ["结果维持", "结果纠正", "其他结果", "尚未审结"]
    return [
        Row(kind="text", cells=[TextCell(text="四、政府信息公开行政复议、行政诉讼情况")]),
        Row(kind="table", table_index=1, exact_cells=True, cells=[
            TextCell(text="行政复议", col=0), TextCell(text="", col=1),
            TextCell(text="行政诉讼未经复议直接起诉复议后起诉", col=2, colspan=3), TextCell(text="", col=5)]),
        Row(kind="table", table_index=1, exact_cells=True, cells=[
            TextCell(text=" ".join(head), col=0), TextCell(text="总计", col=1), TextCell(text=" ".join(head), col=2),
            TextCell(text="总计", col=3), TextCell(text=" ".join(head), col=4), TextCell(text="总计", col=5)]),
        Row(kind="table", table_index=1, exact_cells=True,
            cells=[TextCell(text=t, col=j, confidence=0.95) for j, t in enumerate(value_cells)]),
    ]


def test_review_values_read_as_several_numbers_in_one_cell_are_placed_in_order():
    """The word reading took the four values of each review group for one cell ("1 0 0 0"): the
    row had six values for fifteen columns and the whole matrix went missing. A cell holding
    numbers apart is that many values when that gives the row exactly its template columns;
    placed by order only, they stay below 0.9 unless the rules confirm them."""
    rows = _grid_rows({}) + _review_rows(["1 0 0 0", "1", "5 0 1 0", "6", "7 0 0 1", "8"])
    rev = _parse(rows).table("reviews_litigation")
    assert rev.found
    assert [c.value for c in rev.cells] == [1, 0, 0, 0, 1, 5, 0, 1, 0, 6, 7, 0, 0, 1, 8]
    split = rev.cell("count", "review_upheld")
    assert split.placement_confidence <= 0.85 and any("numbers read in one cell" in r for r in split.reasons)
    assert rev.cell("count", "review_total").placement_confidence == 1.0  # a cell of its own keeps its place


def test_cells_of_several_numbers_are_not_split_when_the_count_does_not_fit():
    """Numbers apart in one cell are not guessed into columns when splitting them does not give
    the template's count: the row stays unplaced rather than shifted."""
    rows = _grid_rows({}) + _review_rows(["1 0 0", "1", "5 0 1 0", "6", "7 0 0 1", "8"])
    rev = _parse(rows).table("reviews_litigation")
    assert all(c.value is None or c.confidence < 0.9 for c in rev.cells)


def test_review_matrix_read_as_one_text_gives_its_fifteen_trailing_numbers():
    """A hairline scan of a Word review matrix lost every wall (seed 2031 report 035): the whole
    table was one cell, its header's text followed by the fifteen values ("…尚总计0  0  0 …"),
    and no row had values, so the table went missing. A row of the region that ends in exactly
    fifteen numbers apart after text is the value row, placed by order (a lowered placement)."""
    header = "行政复议未经复议直接起诉 行政诉讼 复议后起诉结其 总计 结其 尚 总计结其尚总计"
    values = "0  0  0 0 0  1  0 0 0  1  1  0 0 0 1"
    one_cell = [Row(kind="text", cells=[TextCell(text="四、政府信息公开行政复议、行政诉讼情况")]),
                Row(kind="table", table_index=1, exact_cells=True, cells=[TextCell(text=header + values, col=0, confidence=0.6)])]
    rev = _parse(_grid_rows({}) + one_cell).table("reviews_litigation")
    assert rev.found and [c.value for c in rev.cells] == [0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1]
    assert all(c.placement_confidence <= 0.85 for c in rev.cells)
    one_cell[1].cells[0].text = header + values[:-3]  # fourteen numbers: no guess
    rev = _parse(_grid_rows({}) + one_cell).table("reviews_litigation")
    assert all(c.value is None for c in rev.cells)


def test_review_value_row_with_a_garbled_cell_is_not_taken_for_a_label():
    """Spent sheet2036 lowres report 021: the review matrix's value row came as exactly fifteen
    grid cells, one of them OCR garble ("1 1 0 0 2I 1 1 a 2 4 1 0 0 1 1"); everything up to the
    "a" was taken for the row's label, seven values were left and the matrix was lost. The
    matrix prints no row label: fifteen cells without Chinese are its fifteen values, the garble
    unreadable."""
    values = ["1", "1", "0", "0", "2", "1", "1", "a", "2", "4", "1", "0", "0", "1", "1"]
    rev = _parse(_grid_rows({}) + _review_rows(values)).table("reviews_litigation")
    assert rev.found
    assert [c.text for c in rev.cells] == values
    garbled = rev.cell("count", "direct_suit_other")
    assert garbled.confidence < 0.9


def test_review_row_under_a_header_cell_read_as_a_number_keeps_its_fifteen_values():
    """Spent sheet2036 lowres report 021, its review matrix as the scan read it: a header cell
    read "00" made the grid's rows disagree on where values begin (no value column stated), and
    the value row's garble ("a") was taken for its label. The reader states it: a grid row with
    no Chinese prints no label, its values begin at its first cell."""
    header = ["培集维疼", "M果NIE", "", "而未单经", "00", "结策维拌", "轴果圳证", "共助结案", "汽北常结", "ui",
              "拉果增林", "结果加证", "其他征集", "为术地站", "ai"]
    values = ["1", "1", "0", "0", "2I", "1", "1", "a", "2", "4", "1", "9", "0", "1", "1"]
    rows = _review_rows(values)
    rows[2] = Row(kind="table", table_index=1, exact_cells=True,
                  cells=[TextCell(text=t, col=j) for j, t in enumerate(header) if t])
    layout = table_layouts(rows, "words")[0]
    assert layout.label_columns(2) == 0
    rev = _parse(_grid_rows({}) + rows).table("reviews_litigation")
    assert rev.found
    assert [c.text for c in rev.cells] == values
    assert all(c.confidence < 0.9 for c in rev.cells if c.text in ("2I", "a"))


def test_review_row_read_in_one_grid_with_the_application_matrix_keeps_its_values():
    """Spent mix2039 Word copier report 057: the application matrix and the review matrix under
    it were read as one grid of 19 columns, values from column 6; the review matrix's value row,
    15 cells from column 0, lost its first six values to the label columns, and the matrix was
    lost. A row with no Chinese and values in its run's label columns begins its values at its
    first cell; the rows after it keep their run."""
    values = ["0", "0", "2", "0", "2", "1", "0", "0", "0", "1", "0", "0", "0", "0", "0"]
    app = _grid_rows({})
    review = [r.model_copy(update={"table_index": 0}) if r.table_index is not None else r for r in _review_rows(values)]
    after = Row(kind="table", table_index=0, exact_cells=True,
                cells=[TextCell(text="说明", col=0), TextCell(text="1", col=2), TextCell(text="2", col=3)])
    rows = app + review + [after]
    layout = table_layouts(rows, "lines")[0]
    value_row = sum(1 for r in rows if r.table_index == 0) - 2
    assert layout.label_columns(value_row) == 0
    assert layout.label_columns(value_row + 1) == 2
    assert layout.label_columns(value_row - 1) == 2
    rev = _parse(rows).table("reviews_litigation")
    assert rev.found
    assert [c.text for c in rev.cells] == values


def test_application_row_whose_label_was_lost_keeps_its_value_columns():
    """A grid row whose label only was lost (its label cell one speck read "1") is no row of
    values only: its values stay in the run's value columns."""
    rows = _grid_rows({})
    k = next(i for i, r in enumerate(rows) if len(r.cells) == 8)
    rows[k] = rows[k].model_copy(update={"cells": [TextCell(text="1", col=0, colspan=2), *rows[k].cells[1:]]})
    layout = table_layouts(rows, "lines")[0]
    assert [start for start, _ in layout.value_runs] == [0]


def test_review_row_with_a_lone_speck_cell_drops_the_speck_not_a_value():
    """Dev seed 4978 sheet copier report 003, its review row as the scan read it: sixteen grid
    cells (a stroke cut 尚未审结's column in two), one of them a lone "•". The rules dropped the
    first value instead, and the row came out shifted by one. A cell of specks only is the
    surplus cell; the others are placed in their order, never certain (a speck may be what is
    left of a value)."""
    values = ["5", "t", "·.1", "4•", "11", "6", "0", "2", "•", "1", "·9", "•. 2", "←0.", " 0", "0", "2"]
    rev = _parse(_grid_rows({}) + _review_rows(values)).table("reviews_litigation")
    assert rev.found
    got = {c.col: c.value for c in rev.cells}
    assert got["review_upheld"] == 5 and got["review_pending"] == 4 and got["review_total"] == 11
    assert [got[c] for c in ("direct_suit_upheld", "direct_suit_corrected", "direct_suit_other", "direct_suit_pending",
                             "direct_suit_total")] == [6, 0, 2, 1, 9]
    assert got["suit_after_review_total"] == 2
    assert all(c.confidence < 0.9 for c in rev.cells)


def test_review_matrix_read_twice_takes_the_row_with_its_values_not_the_blank_one():
    """world2032 report 038 (Chromium, flatbed): a region found from the words overlapped the
    line grid of the review matrix, so the matrix was read twice, and the first row of fifteen
    cells was a row of blank cells of the overlapping reading; it was taken for the value row
    and every value went missing. The row printing the most values is the value row."""
    # the overlapping reading: the sentence over the matrix taken into its region, then blanks
    sentence = Row(kind="table", table_index=2, exact_cells=True, cells=[
        TextCell(text="", col=0), TextCell(text="全年未发生因政府信息公开引起的行政复议、行政诉讼案件。", col=1, colspan=14)])
    blank = Row(kind="table", table_index=2, exact_cells=True, cells=[TextCell(text="", col=j) for j in range(15)])
    values = [str(v) for v in (1, 0, 0, 0, 1, 0, 2, 0, 0, 2, 0, 0, 0, 0, 0)]
    rows = _grid_rows({}) + _review_rows(values)
    rows[len(rows) - 3:len(rows) - 3] = [sentence, blank]  # under the heading, above the matrix's header rows
    rev = _parse(rows).table("reviews_litigation")
    assert rev.found and [c.value for c in rev.cells] == [int(v) for v in values]
