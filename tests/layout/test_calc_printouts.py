"""Tables printed by LibreOffice Calc and scanned (the sheet family): numbers right-aligned
almost against the right wall of their cell, small print where a wide table is shrunk to fit
the page, inner rules dotted. The detector's padded box of such a number reaches over the
wall into the next cell."""

from __future__ import annotations

from pathlib import Path

from nianbao.layout.structure import clip_at_rules
from nianbao.settings import StructureSettings

P = StructureSettings()


def test_a_number_box_over_the_wall_it_is_set_against_is_cut_back_only_by_its_padding():
    # the boxes of the sheet family's review matrix (007 of seed 4101, p8, 150 dpi, character
    # height 13 px): a "0" against its cell's wall at x 116, the detector's box reaching 7 px
    # over it; the word grid merged the row of values into cells of two to four columns
    wall = [(116.0, 185.0, 254.0)]
    number = (100.0, 219.0, 123.0, 246.0)
    header = (60.0, 219.0, 170.0, 246.0)  # a word the wall runs through the middle of
    clipped = clip_at_rules([number, header], wall, 13.0, 2.0, P)
    assert clipped[0][0] == 100.0 and clipped[0][2] < 116.0
    assert clipped[1] == header  # far more than padding on both sides: not this stage's to cut


def test_word_boxes_cut_back_at_walls_do_not_fault_a_good_line_grid() -> None:
    """Seed-2027 Chromium flatbed report 011, page 3: the 第二十条 sub-tables of a split table.
    Judged on the word boxes cut back at their walls, the line grid was faulted ("cells hold
    words of two columns") and a word grid that joined 信息内容 with 行政处罚 and read the wall
    dashes as "1" won: six cells lost. The line grid's faults are judged on the words as the
    detector found them, as the word grid's are; the cut-back boxes only decide spans."""
    import cv2

    from nianbao.scan import read_page
    from nianbao.settings import Settings

    page = cv2.imread(str(Path(__file__).parents[1] / "data" / "scan" / "sub_tables_page_numbers_against_walls.jpg"))
    res = read_page(page, 3, 200.0, Settings())
    assert res.layouts[0].source == "lines" and not res.layouts[0].faults
    rows = [[c.text for c in r.cells] for r in res.rows if r.kind == "table"]
    assert ["行政处罚", "5", "0", "0"] in rows and ["行政强制", "3", "0", "1"] in rows
    assert ["政府集中采购", "3", "6.46"] in rows
