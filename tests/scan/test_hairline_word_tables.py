"""Word (LibreOffice Writer) tables scanned with hairline rules (0-30 % of their darkness) lost
whole on world2035 (spent held-out set), read again from their words.

- ``hairline_digit_columns_taken_for_rules.jpg`` (world2035 report 011, page 3: the value
  columns of the application matrix, JPEG): the inner walls are gone; ``faint_rules`` smooths
  the page over two character heights, and the left and right strokes of each column of
  stacked "0"s smeared into two long "rules". They pulled the word grid's column boundaries
  into the middle of a column and cut the numbers' boxes into slivers ("6 printed value
  columns fit no template table"): the whole matrix (161 cells) was lost. A vertical rule is
  now kept only where its ink shows between the words too (``structure.printed_vrules``).
- ``hairline_review_header_unread.jpg`` (world2035 report 023, page 3: heading, review matrix,
  body text; JPEG): the matrix's shaded header is too faint for the detector; two zeros of its
  value row were dropped as "wall dashes" on rules made of their own strokes smoothed into the
  header's (the row and the table lost), and the one-row word grid's cells reached up over the
  header, so the zeros were read with its ink ("i0" as 10). A wall dash's wall now runs on past
  it (``printed_rule_reach_chars``), and the band above a region's first value line with no
  word in it is a header row of its own (``structure.unread_header_bound``).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from nianbao.assembly import assemble
from nianbao.layout.structure import faint_rules, printed_vrules, table_regions
from nianbao.models import Document
from nianbao.ocr import get_engine
from nianbao.ocr.base import Recognition
from nianbao.scan import _page_ink, read_page
from nianbao.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "scan"
PAGE_CHAR_H = 43.0  # report 011 page 3's character height, as read_page measures it on the whole page


def _settings() -> Settings:
    settings = Settings()
    settings.layout.detect_orientation = False  # crops of pages known upright
    return settings


def test_hairline_digit_columns_are_no_rules() -> None:
    settings = _settings()
    st = settings.structure
    image = cv2.imread(str(DATA / "hairline_digit_columns_taken_for_rules.jpg"))
    # the page's character height (its body text's; the crop alone holds only the table's)
    _, gray, _, _ = _page_ink(image)
    char_h = PAGE_CHAR_H
    words = get_engine(settings.ocr).detect_words(gray, st.det_max_side)
    h, v = faint_rules(gray, char_h, st.faint_ink_offset, max(3, int(2 * char_h)))
    _, _, vrules = table_regions(h, v, char_h, [])
    # the strokes of the stacked zeros: "rules" running down several rows of numbers
    long_rules = [r for r in vrules if r[2] - r[1] > 4 * char_h]
    assert len(long_rules) >= 7
    kept = printed_vrules(long_rules, words, gray, char_h, st)
    assert kept == [r for r in kept if not any(w[0] < r[0] < w[2] for w in words)]
    assert not [r for r in kept if r[2] - r[1] > 4 * char_h and r[0] < image.shape[1] - char_h]
    # a hairline wall a fifth of black drawn in the gap between two columns of numbers is printed
    gaps = sorted({int((a[2] + b[0]) / 2) for a in words for b in words
                   if 0 < b[0] - a[2] < 5 * char_h and abs(a[1] - b[1]) < char_h})
    x = gaps[len(gaps) // 2]
    walled = gray.copy()
    walled[:, x] = np.clip(walled[:, x].astype(int) - 50, 0, 255).astype(np.uint8)
    h, v = faint_rules(walled, char_h, st.faint_ink_offset, max(3, int(2 * char_h)))
    _, _, vrules = table_regions(h, v, char_h, [])
    kept = printed_vrules(vrules, words, walled, char_h, st)
    assert any(abs(r[0] - x) <= 2 and r[2] - r[1] > 4 * char_h for r in kept)


def test_hairline_review_matrix_with_unread_header_read_from_its_value_row() -> None:
    settings = _settings()
    res = read_page(cv2.imread(str(DATA / "hairline_review_header_unread.jpg")), 1, 300.0, settings)
    doc = Document(path="023", format="image", rows=res.rows, pages=[res.info], tables=res.layouts)
    table = next(t for t in assemble(doc, settings.assembly).tables if t.id == "reviews_litigation")
    assert table.found
    assert [c.value for c in table.cells] == [0] * 15
    # a one-row table read from its words alone (no rule confirms a cell): thin evidence
    assert all(c.placement_score < 0.9 for c in table.cells)


def test_review_value_row_with_one_unread_number_kept_in_its_columns() -> None:
    """world2035 Word flatbed report 027 (page 4, 200 dpi): the review matrix's value row was
    cut into its fifteen numbers, evenly spaced, but one "0" read as "σ"; the whole row was
    thrown away and the table lost. Now the row stands with that piece as its column's unread
    cell, and every other number keeps its own column (read without columns, the fourteen were
    shifted one place by the row alignment). Simulated on a committed page of the same kind: the
    engine reads the second number of the row as "σ"."""
    settings = _settings()
    real = get_engine(settings.ocr)
    truth = [2, 1, 0, 0, 3, 2, 0, 0, 0, 2, 0, 0, 1, 0, 1]

    class OneUnread:
        """The engine, reading the second of a row of fifteen single numbers as "σ"."""

        def __getattr__(self, name):
            return getattr(real, name)

        def recognize(self, crops):
            out = real.recognize(crops)
            if len(crops) == 15 and out[1].text == str(truth[1]):
                out[1] = Recognition(text="σ", confidence=0.3)
            return out

    res = read_page(cv2.imread(str(DATA / "fax_review_values_under_upright_header.png")), 1, 240.0, settings,
                    engine=OneUnread())
    row = next(r for r in res.rows if r.kind == "table" and len(r.cells) == 15)
    assert [c.col for c in row.cells] == list(range(15))
    assert row.cells[1].text == "σ"
    doc = Document(path="027", format="image", rows=res.rows, pages=[res.info], tables=res.layouts)
    table = next(t for t in assemble(doc, settings.assembly).tables if t.id == "reviews_litigation")
    values = [c.value for c in table.cells]
    assert values[:1] + values[2:] == truth[:1] + truth[2:]  # each in its own column, none shifted
    assert values[1] in (None, truth[1])


def test_label_line_grazed_by_a_row_boundary_merges_no_rows() -> None:
    """world2035 Word fax report 021 (page 4): the row boundaries, between the value lines, grazed
    the wrapped lines of labels (a fax's word boxes are tall); each such one-line word merged the
    two rows in its column, and with the group's upright label beside them the cells grew into
    one block: the labels of five rows of the application matrix read as one cell, 37 cells
    lost. A word one text line high lies in the row that holds most of it; an upright group
    label (many lines high) still spans its rows."""
    from nianbao.layout.structure import build_grid

    st = _settings().structure
    char_h = 44.0
    rows = [0.0, 100.0, 200.0, 300.0, 400.0]
    cols = [0.0, 100.0, 500.0, 600.0]
    words = [
        (20.0, 10.0, 80.0, 390.0),  # the upright group label, over all four rows
        (110.0, 160.0, 480.0, 222.0),  # a label line: mostly in row 1, 22 px into row 2
        (110.0, 240.0, 480.0, 290.0),
        (520.0, 30.0, 580.0, 80.0), (520.0, 130.0, 580.0, 180.0),
        (520.0, 230.0, 580.0, 280.0), (520.0, 330.0, 580.0, 380.0),
    ]
    grid = build_grid(rows, cols, words, char_h, st)
    spans = {(c.row, c.col): (c.rowspan, c.colspan) for c in grid.cells}
    assert spans[(0, 0)] == (4, 1)  # the group label spans its rows
    assert spans[(1, 1)] == (1, 1) and spans[(2, 1)] == (1, 1)
    st.line_word_one_row = False
    merged = {(c.row, c.col): (c.rowspan, c.colspan) for c in build_grid(rows, cols, words, char_h, st).cells}
    assert merged[(1, 1)] == (2, 1)  # what broke: the two rows' labels one cell
