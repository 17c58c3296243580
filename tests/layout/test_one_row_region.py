"""A ruled region holding one line of exactly fifteen words, no line grid and no header words
found (samples-world report 003, a Word table scanned with hairline rules and a shaded header
the detector did not box): the review matrix's row of values. It was refused as "not a table"
(fewer than two value lines), and the whole matrix was lost. One line of exactly the widest
template count of words is read as a table of one row, with the thin-evidence placement."""

from __future__ import annotations

from nianbao.layout.structure import read_structure
from nianbao.settings import StructureSettings

P = StructureSettings()


def _line(n: int) -> list[tuple[float, float, float, float]]:
    return [(20.0 + 80 * k, 40.0, 36.0 + 80 * k, 60.0) for k in range(n)]


def test_one_line_of_fifteen_values_in_a_ruled_region_is_the_one_row_matrix() -> None:
    st = read_structure((0, 20, 1220, 80), _line(15), 20.0, [], [], None, [4, 7, 15], P)
    assert st.chosen == "words" and st.word_grid is not None
    assert (st.word_grid.n_rows, st.word_grid.n_cols) == (1, 15)
    assert st.placement == P.thin_placement < 0.9


def test_one_line_of_another_count_is_still_not_a_table() -> None:
    st = read_structure((0, 20, 1220, 80), _line(7), 20.0, [], [], None, [4, 7, 15], P)
    assert st.chosen == "none"
