"""Scan pipeline: page image → Document rows (text lines and exact table rows) with values
read equal to the truth, upright pages, page geometry."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import pytest

from nianbao.layout import rotate_quadrant, rotate_small
from nianbao.models import Document
from nianbao.scan import read_scanned_pages
from nianbao.settings import Settings

DATA = Path(__file__).resolve().parents[1] / "data" / "scan"
SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"


@pytest.fixture(scope="module")
def page():
    return cv2.imread(str(DATA / "applications.png"))


@pytest.fixture(scope="module")
def truth():
    return json.loads((DATA / "applications.truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def doc(page) -> Document:
    return read_scanned_pages([page], Settings())


def _table_rows(doc):
    return [r for r in doc.rows if r.kind == "table"]


def test_rows_and_values(doc, truth):
    rows = _table_rows(doc)
    assert len(rows) == 26 and all(r.exact_cells and r.table_index == 0 and r.page == 1 for r in rows)
    data = rows[3:]
    for r, values in zip(data, truth["values"]):
        nums = [c.text for c in r.cells if c.col is not None and c.col >= 3]
        assert nums == [str(v) for v in values]
        assert [c.col for c in r.cells][-7:] == list(range(3, 10))


def test_merged_and_vertical_cells(doc):
    rows = _table_rows(doc)
    # the merged header cell appears once, in its first row, spanning three columns
    assert rows[0].cells[0].colspan == 3 and rows[0].cells[0].col == 0
    assert [c.col for c in rows[1].cells] == [3, 4, 9] and [c.col for c in rows[2].cells] == [4, 5, 6, 7, 8]
    # vertical header text (one character per line) is joined
    first_result_row = rows[5]
    assert first_result_row.cells[0].text == "三、本年度办理结果" and first_result_row.cells[0].col == 0
    assert first_result_row.cells[1].text.endswith("予以公开")
    # rows under the rowspan carry only their own cells
    assert rows[6].cells[0].col == 1


def test_text_rows_and_page_info(doc):
    texts = [r.cells[0].text for r in doc.rows if r.kind == "text"]
    assert texts[0] == "某某县人民政府2020年政府信息公开工作年度报告"
    assert texts[1].startswith("本报告由某某县") and texts[1].endswith("…")  # prose: only its head is read
    assert "三、收到和处理政府信息公开申请情况" in texts
    assert texts[-1].startswith("四、政府信息公开行政复议")
    # reading order: the heading comes before the table, the next heading after it
    kinds = [r.kind for r in doc.rows]
    assert kinds[:3] == ["text"] * 3 and kinds[-1] == "text"
    p = doc.pages[0]
    assert (p.number, p.width, p.height, p.source, p.rotation) == (1, 1240, 1754, "scan", 0)
    # boxes are page pixels
    cell = _table_rows(doc)[3].cells[-1]
    assert 1120 < cell.bbox[0] < cell.bbox[2] < 1175


def test_document_carries_seconds_per_reading_stage(doc):
    """``nianbao bench`` breaks speed down by these: every stage of a scanned page, summed."""
    from nianbao.bench import STAGES

    assert set(doc.timings) == {"render", "orient", "grids", "page_words", "structure", "crops", "ocr", "second_look"}
    assert set(doc.timings) <= set(STAGES)
    assert all(v >= 0 for v in doc.timings.values()) and doc.timings["ocr"] > 0


def test_blank_cells_are_kept(page):
    img = page.copy()
    img[256:278, 712:780] = 255  # white out the "0" of 商业企业 in row 一
    rows = _table_rows(read_scanned_pages([img], Settings()))
    assert rows[3].cells[2].text == "" and rows[3].cells[2].col == 4
    assert len(rows[3].cells) == 8


def test_turned_and_skewed_page_comes_back_upright(page, truth):
    turned = rotate_small(rotate_quadrant(page, 90), 1.5)
    doc = read_scanned_pages([turned], Settings())
    p = doc.pages[0]
    assert p.rotation == 270 and abs(p.skew + 1.5) < 0.2
    assert (p.width, p.height) == (1240, 1754)
    rows = _table_rows(doc)
    assert len(rows) == 26
    got = [[c.text for c in r.cells][-7:] for r in rows[3:]]
    assert got == [[str(v) for v in vals] for vals in truth["values"]]


def _truth_numbers(csv_path: Path) -> list[str]:
    with open(csv_path, encoding="utf-8") as fh:
        return [r["value"] for r in csv.DictReader(fh) if r["table"] == "reviews_litigation"]


@pytest.mark.slow
def test_scanned_sample_report():
    """A whole scanned sample (skew, seal over the table): the review/litigation row reads as printed."""
    pdf = SAMPLES / "002.pdf"
    if not pdf.exists():
        pytest.skip("fixtures/samples not generated")
    doc = read_scanned_pages(pdf, Settings())
    assert [p.number for p in doc.pages] == list(range(1, len(doc.pages) + 1))
    want = _truth_numbers(SAMPLES / "002.truth.csv")
    rows = [r for r in doc.rows if r.kind == "table" and len(r.cells) == 15]
    assert any([c.text for c in r.cells] == want for r in rows)


def test_debug_page_png_and_dump_even_when_no_table_is_found(page, tmp_path):
    """``nianbao debug`` on the top of a table page (not a whole report: parsing finds no
    table) still draws what the stages saw, and dumps their intermediates beside the PNG."""
    from nianbao.debug import debug_page

    src = tmp_path / "top.png"
    cv2.imwrite(str(src), page[:420])
    out = debug_page(src, 1, tmp_path / "dbg.png")
    img = cv2.imread(str(out))
    assert img.shape[:2] == (420, 1240)
    dump = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert dump["kind"] == "image" and dump["grids"] and dump["rows"] and dump["timings"]["ocr"] > 0


def test_value_cells_stay_apart_when_the_wall_between_them_is_lost(page, truth):
    """A broken scan that loses the wall between two value cells (and the line under one)
    merged them into one grid cell, read as one number ("3" and "0" became "30")."""
    img = page.copy()
    img[255:279, 703:712] = 255  # wall 自然人 | 商业企业 in row 一、本年新收
    img[276:284, 710:782] = 255  # line under 商业企业 between 一、 and 二、
    rows = _table_rows(read_scanned_pages([img], Settings()))
    for r, values in zip(rows[3:5], truth["values"][:2]):
        nums = [c.text for c in r.cells if c.col is not None and c.col >= 3]
        assert nums == [str(v) for v in values]


@pytest.mark.slow
def test_row_whose_walls_are_all_lost_keeps_its_label_and_numbers_apart():
    """A one-line row of a scan with a fifth of every ruling line erased lost all its walls:
    label and seven numbers were one merged cell read as "2.重复申请1000001", the row had no
    values and its seven cells went missing. The dashes left of a lost wall are not text, and
    a merged cell that reads as a label followed by numbers is split at the grid's columns."""
    img = cv2.imread(str(DATA / "row_without_walls.jpg"))
    doc = read_scanned_pages([img], Settings())
    row = next(r for r in _table_rows(doc) if "重复申请" in r.cells[0].text)
    assert [c.text for c in row.cells] == ["2.重复申请", "1", "0", "0", "0", "0", "0", "1"]


@pytest.mark.slow
def test_cells_under_a_red_seal_read_without_the_seals_residue():
    """Seal ink was turned into a pale grey, and its rim was too pale to count as red: the
    binarised page kept the seal's outline, characters and star as specks, and the cells
    under it read "BO", "NO3", "e0号" instead of 0. Seal over paper now turns to the
    paper's tone (the red channel tells it from black print under the stamp)."""
    from nianbao.ingest import iter_page_images

    page = next(p for p in iter_page_images(SAMPLES / "010.pdf", Settings()) if p.number == 3).image
    rows = _table_rows(read_scanned_pages([page], Settings()))
    publication = next(r for r in rows if any("出版物" in c.text for c in r.cells))
    assert [c.text for c in publication.cells[-7:]] == ["0"] * 7


@pytest.mark.slow
def test_label_column_whose_dotted_rules_a_lowres_scan_lost_keeps_one_label_per_row():
    """A Word table with dotted inner rules, scanned at 107 dpi (crop of a generated report's
    applications matrix, seed 2031 report 019 page 4): the dotted rules between the item labels
    were lost, so the line grid made the label column one cell over eight rows of values. All
    eight labels ran together in the first row and the seven rows below had no label: 105 cells
    of the report went missing. Each text line of such a cell now goes to the row it lies in."""
    img = cv2.imread(str(DATA / "word_dotted_label_rules_lost.jpg"))
    rows = [r for r in _table_rows(read_scanned_pages([img], Settings())) if len(r.cells) >= 7]
    labels = [next((c.text for c in r.cells if c.col == 2), "") for r in rows]
    expected = ["1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益",
                "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项"]
    assert labels[1:] == expected
    assert all([c.text for c in r.cells if c.col is not None and c.col >= 3] == ["0"] * 7 for r in rows)


@pytest.mark.slow
def test_review_matrix_whose_dotted_rule_under_the_header_was_lost_keeps_its_fifteen_values():
    """The review/litigation matrix of the same 107 dpi Word scan (seed 2031 report 019 page 5):
    the dotted rule under the "结果维持 / 结果纠正 …" header was lost, so each header and the value
    under it were one cell ("结果维持1"); the value row had three values instead of fifteen and the
    whole table went missing. A row line along which a rule however faint runs cuts the merged
    cell; the header parts go back together and the value keeps its row."""
    img = cv2.imread(str(DATA / "word_dotted_review_header_rule_lost.jpg"))
    rows = _table_rows(read_scanned_pages([img], Settings()))
    assert [c.text for c in rows[-1].cells] == ["1", "0", "0", "0", "1", "1", "0", "0", "0", "1", "0", "0", "0", "0", "0"]
    assert [c.text for c in rows[-2].cells][:5] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
