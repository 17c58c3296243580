"""A grid row that holds several table rows (the rules between them lost) is read as those rows,
cut by the values stacked in its cells (``nianbao.scan.stacked_rows``).

The cells are a stored intermediate: what ``scan.read_page`` read in grid row 19 of page 4 of
``fixtures/generated/world2032/043.pdf`` (Word family, a 105 dpi low-resolution scan) at main
1a4f0bd — the line boxes of each cell's ink and their OCR readings. The scan lost the rules
between 重复申请, 要求提供公开出版物 and 无正当理由大量反复申请: one grid row held the three
rows, its label cell the three labels, each value cell "0" three times, and what was left of the
two rules (flat runs of ink three pixels high) read as more "0"s; assembly matched the row to
none of the three template rows, and 16 cells were lost.
"""

from __future__ import annotations

from nianbao.ocr import Recognition
from nianbao.scan import CellRead, stacked_rows
from nianbao.settings import Settings

CHAR_H = 19.0  # the page's character height, as the scan stage estimated it


def cell(col: int, colspan: int, bbox, lines) -> CellRead:
    cr = CellRead(0, 19, col, colspan, tuple(float(v) for v in bbox))
    cr.line_boxes = [tuple(float(v) for v in b) for b, _ in lines]
    cr.texts = [Recognition(t, c) for _, (t, c) in lines]
    return cr


def stored_row() -> list[CellRead]:
    return [
        cell(1, 1, (178, 701, 377, 756), [((186, 703, 259, 717), ("2.重复申请", 0.97)),
                                          ((181, 718, 374, 738), ("3.要求提供公开出版物", 1.0)),
                                          ((181, 739, 366, 756), ("4.无正当理由大量反复申请", 1.0))]),
        cell(2, 3, (377, 701, 544, 756), [((380, 704, 541, 753), (" 0 ", 0.58))]),  # three columns, values run together
        cell(5, 1, (544, 701, 600, 756), [((568, 704, 576, 717), ("0", 1.0)), ((546, 718, 597, 721), ("0", 0.98)),
                                          ((568, 722, 576, 735), ("0", 1.0)), ((546, 736, 597, 739), ("0", 0.98)),
                                          ((568, 740, 576, 753), ("0", 1.0))]),
        cell(6, 1, (600, 701, 656, 756), [((623, 704, 632, 717), ("0", 1.0)), ((603, 718, 653, 721), ("0", 0.97)),
                                          ((623, 722, 632, 735), ("0", 1.0)), ((603, 737, 653, 753), ("0", 1.0))]),
        cell(7, 1, (656, 701, 712, 756), [((679, 704, 688, 716), ("0", 1.0)), ((658, 719, 709, 735), ("0", 1.0)),
                                          ((658, 736, 709, 739), ("0", 0.94)), ((679, 740, 688, 753), ("0", 1.0))]),
        cell(8, 1, (712, 701, 767, 756), [((735, 704, 744, 717), ("0", 1.0)), ((714, 719, 759, 735), ("0", 0.99)),
                                          ((714, 737, 758, 753), ("0", 0.99))]),
    ]


def texts(cells: list[CellRead]) -> dict[int, str]:
    return {c.col: "".join(r.text for r in c.texts) for c in cells}


def test_grid_row_holding_three_table_rows_is_cut_by_its_stacked_values():
    rows = stacked_rows(stored_row(), CHAR_H, Settings().structure)
    assert len(rows) == 3
    assert [texts(cells) for _, cells in rows] == [
        {1: "2.重复申请", 5: "0", 6: "0", 7: "0", 8: "0"},
        {1: "3.要求提供公开出版物", 5: "0", 6: "0", 7: "0", 8: "0"},
        {1: "4.无正当理由大量反复申请", 5: "0", 6: "0", 7: "0", 8: "0"},
    ]  # the cell over three columns whose values ran together is read in none: missing, not blank
    tops = [top for top, _ in rows]
    assert tops == sorted(tops) and tops[0] == 701.0


def test_row_with_a_wrapped_label_and_one_value_per_cell_stays_one_row():
    row = [cell(1, 1, (178, 701, 377, 756), [((186, 703, 359, 717), ("5.要求行政机关确认或重新", 1.0)),
                                             ((181, 722, 300, 736), ("出具已获取信息", 1.0))])]
    row += [cell(c, 1, (544 + 56 * k, 701, 600 + 56 * k, 756), [((568 + 56 * k, 712, 576 + 56 * k, 725), ("0", 1.0))])
            for k, c in enumerate(range(2, 9))]
    assert len(stacked_rows(row, CHAR_H, Settings().structure)) == 1


def test_value_cells_that_disagree_on_the_stack_keep_the_row_whole():
    row = stored_row()
    row[-1].line_boxes, row[-1].texts = row[-1].line_boxes[:1], row[-1].texts[:1]  # one value where the others have three
    row[-1].line_boxes[0] = (735.0, 704.0, 744.0, 717.0)
    assert len(stacked_rows(row, CHAR_H, Settings().structure)) == 1
