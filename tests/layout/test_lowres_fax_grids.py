"""Application matrices of Word reports scanned at low resolution (about 100 dpi) and sent by
fax (1-bit): the ruling-line grid must not take digit strokes for walls. Real page images
(crops of seed-2033 reports) in, the grid and the values read out."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from nianbao.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "scan"


def _table_rows(res) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in res.rows if r.kind == "table"]


def _row_starting(rows: list[list[str]], label: str) -> list[str]:
    hits = [r for r in rows if r and r[0].endswith(label)]
    assert hits, f"no row labelled {label!r} in {rows}"
    return hits[0]


@pytest.mark.slow
def test_digit_strokes_lined_up_down_a_value_column_are_no_wall() -> None:
    """Seed-2033 Word low-resolution report 007, page 3 (101 dpi): the "1"s and "0"s down the
    商业企业, 法律服务机构, 其他 and 总计 columns line up into vertical strokes that pass from row
    to row; taken for walls they cut the table into 11 value columns, the values were read one
    column off (34 cells wrong, 16 missing). A ruling wall meets the row lines at its crossings;
    the digit strokes keep off them, and are no wall."""
    from nianbao.scan import read_page

    page = cv2.imread(str(DATA / "word_lowres_digit_strokes_in_line.jpg"))
    res = read_page(page, 3, 101.0, Settings())
    apps = [lay for lay in res.layouts if len(lay.rows) > 20]
    assert apps, "the application matrix was not found"
    lay = apps[0]
    assert lay.source == "lines" and not lay.faults
    # 自然人 .. 总计: seven value columns of about 58 px, no boundary inside any of them
    value_walls = [x for x in lay.cols if x > lay.cols[-1] - 7.5 * 58.0]
    assert len(value_walls) == 8, value_walls
    rows = _table_rows(res)
    first = _row_starting(rows, "申请数量")
    assert len(first) == 8 and first[1:3] == ["922", "158"] and first[-1] == "1143", first
    assert _row_starting(rows, "保护第三方合法权益")[1:] == ["13", "1", "0", "0", "0", "1", "15"]


@pytest.mark.slow
def test_a_label_column_read_as_values_does_not_fault_a_sound_line_grid() -> None:
    """Seed-2033 Word fax report 045, page 2 (240 dpi, 1-bit): the word reading joined the
    label columns (三、本年度办理结果 | （三）不予公开 | 1. 属于国家秘密 ...) into one it took for
    the first value column, so the long labels there, crossing the walls the table draws
    between its label columns, faulted the sound line grid ("8 word(s) cut by a wall"); the
    word grid that joined two value columns ("00") won and 16 cells were lost. Label columns
    hold labels, value columns numbers: a column of words as wide as labels is a label column
    (``StructureSettings.label_columns_from_width``, off by default: see its comment)."""
    from nianbao.scan import read_page

    page = cv2.imread(str(DATA / "word_fax_label_columns_joined.png"))
    res = read_page(page, 2, 240.0, Settings(structure={"label_columns_from_width": True}))
    apps = [lay for lay in res.layouts if len(lay.rows) > 10]
    assert apps, "the application matrix was not found"
    assert apps[0].source == "lines" and not apps[0].faults, apps[0].faults
    rows = _table_rows(res)
    assert _row_starting(rows, "属于三类内部事务信息")[1:] == ["0"] * 7
    assert _row_starting(rows, "属于行政执法案卷")[1:] == ["0"] * 7


def test_prose_over_a_table_is_no_label_column() -> None:
    """Seed-2033 Word lowres 043, page 2: the paragraph over a small table lay in the column the
    template counted as its first value column; its wide words were taken for labels, and the
    words that fault the line grid drawn over it were hidden. A label column holds its labels on
    the lines of its values; prose lines hold no values."""
    from nianbao.layout.structure import label_columns_by_width
    from nianbao.settings import StructureSettings

    p = StructureSettings()
    ch = 20.0
    bounds = [0.0, 100.0, 400.0, 500.0, 600.0]
    labels = [(110.0, 40.0 * k, 390.0, 40.0 * k + 20) for k in range(8)]  # 14 characters wide
    values = [(x, 40.0 * k, x + 20, 40.0 * k + 20) for k in range(8) for x in (440.0, 540.0)]
    words = labels + values
    line_of = [k for k in range(8)] + [k for k in range(8) for _ in (0, 1)]
    ink = np.zeros((400, 700), np.uint8)
    for x0, y0, x1, y1 in words:  # characters set close: a blank column every few pixels
        ink[int(y0) + 3:int(y1) - 3, int(x0) + 2:int(x1) - 2] = 255
        ink[int(y0):int(y1), int(x0):int(x1):4] = 0
    assert label_columns_by_width(bounds, 1, words, line_of, ch, p, ink) == 2
    # the same wide words on lines of their own (a paragraph), the values on other lines
    line_of_prose = [k for k in range(8)] + [8 + k for k in range(8) for _ in (0, 1)]
    assert label_columns_by_width(bounds, 1, words, line_of_prose, ch, p, ink) == 1
    # without the page's ink, width alone tells no label column
    assert label_columns_by_width(bounds, 1, words, line_of, ch, p) == 1


def test_numbers_boxed_together_across_their_columns_are_no_label_column() -> None:
    """Dev seed 4601 sheet phone report 001: the photo's detector boxed the numbers of several
    value columns together, as wide as labels, on the lines of the values further right: the
    first value column was taken for labels (199 -> 106 cells). Their ink is a few digits with
    the blank between the columns, not characters set close (``label_ink_cover``)."""
    from nianbao.layout.structure import ink_cover, label_columns_by_width
    from nianbao.settings import StructureSettings

    p = StructureSettings()
    ch = 20.0
    bounds = [0.0, 100.0, 400.0, 500.0, 600.0]
    joined = [(110.0, 40.0 * k, 390.0, 40.0 * k + 20) for k in range(8)]  # "0    0    0" in one box
    values = [(x, 40.0 * k, x + 20, 40.0 * k + 20) for k in range(8) for x in (440.0, 540.0)]
    words = joined + values
    line_of = [k for k in range(8)] + [k for k in range(8) for _ in (0, 1)]
    ink = np.zeros((400, 700), np.uint8)
    for x0, y0, x1, y1 in joined:
        for x in (x0 + 5, (x0 + x1) / 2 - 5, x1 - 15):  # three digits 10 px wide
            ink[int(y0) + 3:int(y1) - 3, int(x):int(x) + 10] = 255
    assert ink_cover(ink, joined[0]) < p.label_ink_cover
    assert label_columns_by_width(bounds, 1, words, line_of, ch, p, ink) == 1
