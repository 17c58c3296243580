"""Tables printed by LibreOffice Calc and scanned (the sheet family): numbers right-aligned
almost against the right rule of their cell, small print where a wide table is shrunk to fit
the page, inner rules dotted. The inputs are what the structure stage was given on real
scanned pages of such a printout (flatbed, 150 dpi): the region, the detector's word boxes, the
rules however faint and the ruling-line grid (``tests/data/structure/*.json``, written by
capturing ``read_structure``'s arguments in ``scan.read_structures``)."""

from __future__ import annotations

import json
from pathlib import Path

from nianbao.layout.grid import Grid
from nianbao.layout.structure import TableStructure, clip_at_rules, read_structure
from nianbao.scan import template_value_counts
from nianbao.settings import StructureSettings

DATA = Path(__file__).parent.parent / "data" / "structure"
P = StructureSettings()


def _read(name: str) -> TableStructure:
    d = json.loads((DATA / name).read_text(encoding="utf-8"))
    grid = Grid.model_validate(d["line_grid"]) if d["line_grid"] is not None else None
    return read_structure(tuple(d["region"]), [tuple(w) for w in d["words"]], d["char_h"],
                          [tuple(r) for r in d["hrules"]], [tuple(r) for r in d["vrules"]], grid,
                          template_value_counts(), P, d["source"])


def test_numbers_against_the_outer_rule_keep_the_last_value_column():
    # the application matrix with dotted inner rules the line grid lost (it is 2 x 1): the
    # total column's numbers sit against the table's outer rule, their padded boxes reach past
    # it; they were not counted as a printed column ("6 printed value columns fit no
    # template table") and the matrix was read with the 2 x 1 line grid: 0 of 161 cells
    st = _read("calc_applications_words.json")
    assert st.line_grid is not None and st.line_grid.n_rows == 2
    assert st.chosen == "words" and not st.word_faults
    assert st.n_value_columns == 7
    assert st.word_grid is not None and st.word_grid.n_rows >= 26


def test_a_box_over_a_wall_is_cut_back_only_by_its_padding():
    wall = [(100.0, 0.0, 200.0)]  # a wall from y 0 to 200
    number = (85.0, 90.0, 106.0, 110.0)  # a "0" against the wall, its box 6 px over it
    header = (60.0, 90.0, 140.0, 110.0)  # a word the wall is drawn through the middle of
    clipped = clip_at_rules([number, header], wall, 13.0, 2.0, P)
    assert clipped[0][2] < 100.0 and clipped[0][0] == 85.0
    assert clipped[1] == header  # far more than padding on both sides: not this stage's to cut
