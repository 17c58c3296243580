"""Spreadsheet printouts (the sheet family: openpyxl .xlsx printed by LibreOffice Calc) whose
table structure a scan lost.

- ``sheet_faint_shaded_header_review_matrix.jpg`` (sheet2036 hairline report 011, page 7, a
  landscape page of the review matrix): the header is printed light grey on a grey band, the
  walls between the values dashed. The detector found no word in the region as scanned (0 of
  the 15 header words, none of the values at the region's detector size), no line grid came
  from the dashed walls, and the whole matrix was lost. With its ink's contrast stretched
  (``layout.structure.stretch_contrast``, the retry ``StructureSettings.faint_words_retry``) the
  detector finds the header's words and the values, and the word grid reads the row of values.
- ``sheet_value_walls_lost_rows_merged.jpg`` (sheet2036 flatbed report 007, page 5, the
  application matrix at 150 dpi): the gridlines between the value columns are faint, the line
  grid lost them in most rows and made each row's seven values one merged cell ("0000000").
  The merged cell is cut at the lost walls, but its parts were kept only when every part read
  as a number, and the last one, a "0" against the table's right border, reads "d": the whole
  row stayed one unreadable cell. A part that reads as short garble with no Chinese counts as a
  value when more parts read as numbers (``StructureSettings.split_garble_chars``): seven cells,
  one unreadable.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2

from nianbao.numbers import WELL_FORMED_CLASSES, classify
from nianbao.scan import CellRead, _keep_numeric_splits, garbled_digits, read_page
from nianbao.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "scan"
FAINT = DATA / "sheet_faint_shaded_header_review_matrix.jpg"
MERGED = DATA / "sheet_value_walls_lost_rows_merged.jpg"
# the review matrix of sheet2036 report 011, in printed order
REVIEW_VALUES = [0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1]


@lru_cache(maxsize=None)
def _read(path: Path, dpi: float, **structure):
    s = Settings()
    s = s.model_copy(update={"structure": s.structure.model_copy(update=structure)})
    return read_page(cv2.imread(str(path)), 1, dpi, s)


def _table_rows(res):
    return [[c.text for c in r.cells] for r in res.rows if r.kind == "table"]


def test_faint_shaded_header_review_matrix_is_read_with_its_contrast_stretched() -> None:
    # the detector at its fixed canvas (det_min_char_px off: at the side that brings these
    # characters to a working size it finds the words even unstretched) and no retry
    before = _read(FAINT, 300.0, faint_words_retry=False, det_min_char_px=0.0)
    assert not _table_rows(before)  # the matrix lost whole: no word, no grid
    # read now either way: the words found at a working character size, unstretched
    assert _table_rows(_read(FAINT, 300.0, faint_words_retry=False))
    res = _read(FAINT, 300.0)
    rows = _table_rows(res)
    values = max(rows, key=lambda r: sum(classify(t) in WELL_FORMED_CLASSES and t.strip() != "" for t in r))
    read = [t for t in values if t.strip()]
    assert len(read) >= 14 and all(classify(t) in WELL_FORMED_CLASSES for t in read)
    # the header's words were found: the word grid has the matrix's fifteen columns
    assert any(st.word_grid is not None and st.word_grid.n_cols == len(REVIEW_VALUES) for st in res.structures)


def _label_row(rows, label: str) -> list[str]:
    return next(r for r in rows if any(label in t for t in r))


def test_value_row_whose_walls_a_scan_lost_keeps_its_cells_when_one_part_is_garbled() -> None:
    before = _rows_merged(split_garble_chars=0)
    after = _rows_merged()
    cut = 0
    for label in ("属于国家秘密", "保护第三方合法权益", "无正当理由大量反复申请", "属于四类过程性信息"):
        row_before, row_after = _label_row(before, label), _label_row(after, label)
        values = row_after[-7:]
        if len(row_after) - len(row_before) >= 5:
            cut += 1
            assert sum(classify(t) in WELL_FORMED_CLASSES for t in values) >= 4
    assert cut >= 3


def _rows_merged(**structure) -> list[list[str]]:
    return _table_rows(_read(MERGED, 150.0, **structure))


def _part(col: int, text: str, key: int = 0) -> CellRead:
    from nianbao.ocr import Recognition

    cr = CellRead(0, 3, col, 1, (col * 10.0, 0.0, col * 10.0 + 10, 10.0), split_of=key)
    cr.texts = [Recognition(text=text, confidence=0.9)]
    return cr


def test_garbled_digit_part_counts_as_a_value_only_beside_more_numbers() -> None:
    assert garbled_digits("d", 2) and garbled_digits("of", 2)
    assert not garbled_digits("0", 2) and not garbled_digits("其他", 2) and not garbled_digits("abc", 2)
    whole = CellRead(0, 3, 0, 7, (0.0, 0.0, 70.0, 10.0), split_of=0, whole=True)
    parts = [_part(c, t) for c, t in enumerate(["0", "0", "o", "0", "0", "0", "d"])]
    kept = _keep_numeric_splits([*parts, whole], garble_chars=2)
    assert [cr.col for cr in kept] == list(range(7))
    assert len(_keep_numeric_splits([*parts, whole], garble_chars=0)) == 1
    # garble beside no more numbers than garble: the merged cell stays whole
    few = [_part(c, t) for c, t in enumerate(["d", "a", "0"])]
    whole3 = CellRead(0, 3, 0, 3, (0.0, 0.0, 30.0, 10.0), split_of=0, whole=True)
    assert len(_keep_numeric_splits([*few, whole3], garble_chars=2)) == 1
