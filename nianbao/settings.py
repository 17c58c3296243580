"""All tunable settings in one typed object with defaults (like pdfplumber's table settings).

Stages receive the part they need; nothing reads module-level constants.
Environment variables ``NIANBAO_<FIELD>`` override defaults (e.g. ``NIANBAO_OCR_ENGINE=paddle``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict



class GridSettings(BaseModel):
    """Every threshold of the ruling-line grid (``layout.grid.detect_grids``). Lengths are in
    character heights (``*_chars``), page fractions (``*_page_frac``) or pixels (``*_px``, the
    floor a length never goes under on small pages); the docstrings in ``layout/grid.py`` say why
    each is what it is."""

    # which ink components can be line pieces (_long_components)
    piece_thin_px: float = 4.0  # a line piece is at most this thick ...
    piece_thin_chars: float = 0.3  # ... or this many character heights
    long_component_chars: float = 3.0  # a component this long is a line, whatever its shape
    corner_min_chars: float = 1.2  # an L/T/+ piece where a dashed wall meets a dashed line is this long ...
    corner_band_share: float = 0.9  # ... and holds this share of its ink in one row band and one column band
    # line and wall pieces (detect_grids)
    min_line_px: int = 20
    min_line_chars: float = 4.0  # a ruling line is longer than a few touching characters
    min_wall_px: int = 10
    min_wall_page_frac: float = 0.006
    min_piece_px: int = 12
    line_gap_divisor: int = 400  # a line mask joins gaps up to the page width / this
    max_line_thick_px: float = 8.0  # thicker than this (and than max_line_thick_page_frac) is no line
    max_line_thick_page_frac: float = 0.006
    line_tol_px: float = 4.0  # pieces this close across are one line ...
    line_tol_page_frac: float = 0.004  # ... or this share of the page width
    seal_grow_px: int = 5  # the seal's mask grows this much: its rim took the line's ink beside it
    seal_gap_chars: float = 3.0  # a gap under a seal this long is joined ...
    seal_gap_cover: float = 0.3  # ... when seal ink lies along this share of it
    short_gap_px: float = 6.0  # gaps this short (or within the tolerance) are always joined
    bridge_chars: float = 3.0  # a broken/faint line's gaps are joined up to this ...
    bridge_page_frac: float = 0.08  # ... or this share of the page width
    near_tol_factor: float = 1.5  # a crossing wall is "at" a gap's end within the tolerance × this ...
    near_chars: float = 0.5  # ... or this many character heights
    long_piece_chars: float = 1.5  # a piece longer than any glyph stroke (in the tallest glyph's heights)
    min_inked_line_chars: float = 2.5  # a joined line holds this much ink
    # walls (detect_grids.walls)
    to_line_tol_factor: float = 1.5  # a wall meets a line within the tolerance × this ...
    to_line_chars: float = 0.8  # ... or this many character heights (broken scans leave gaps at crossings)
    one_line_px: float = 4.0  # lines a piece meets closer together than this are one line
    touch_px: float = 3.0  # a dash meeting one line only must touch it (within this)
    wall_span_share: float = 0.7  # a wall covers this share of the span between the lines it meets
    open_end_chars: float = 1.0  # a wall running on this far past the last line, ...
    open_end_inked: float = 0.7  # ... this well inked, leaves the table open there
    inked_probe_px: float = 2.0
    # grouping lines into tables
    group_gap_px: int = 5
    group_gap_chars: float = 0.7  # pieces of one table lie within this of each other
    min_table_width_frac: float = 0.2  # a table is at least this share of the page wide ...
    min_table_h_px: int = 15
    min_table_h_page_frac: float = 0.01  # ... and this share of the page high
    # a table set in a smaller font (_redo_in_table_font)
    text_line_px: int = 20
    text_line_chars: float = 3.0  # straight runs this long are rules, not text (remove_lines)
    table_font_ratio: float = 0.75  # a table's characters under this share of the page's: detect again
    table_font_margin_chars: float = 2.0
    # which sides of which cells are there (_wall_evidence, _grid_in_region)
    evidence_thin_px: float = 3.0  # wall evidence is thinner than this ...
    evidence_thin_lw: float = 1.5  # ... or this many line widths
    evidence_thin_pad_px: float = 2.0  # ... plus this
    evidence_min_px: int = 3
    evidence_min_chars: float = 0.25  # a dash of wall evidence is this long
    evidence_big_chars: float = 2.0  # a component this big (a line touching a seal's rim) is kept
    region_slack_px: float = 3.0
    border_tol_factor: float = 2.0  # a region edge this many tolerances from a line is a boundary too
    double_line_tol_factor: float = 1.5  # boundaries within this many tolerances are one (a double line)
    band_pad_px: float = 2.0
    joined_reach_px: int = 3
    joined_reach_chars: float = 0.3  # unbroken ink this far out of a crossing: a wall meets its line
    min_col_chars: float = 0.8  # no column is narrower than this
    min_row_chars: float = 0.5  # no row is lower than this
    dot_chars: float = 0.35  # what a faint lost wall leaves: dots under this size
    # a column whose wall was lost in every row (_gap_columns)
    gap_col_typical: float = 2.0  # inside a column this many times the typical width ...
    gap_col_min_chars: float = 4.0  # ... and this many character heights
    gap_min_px: int = 3
    gap_min_chars: float = 1.0  # the clear gap between two blocks of text
    gap_min_share: float = 0.15  # ... and this share of the column's width
    gap_dominance: float = 3.0  # ... this many times wider than any other gap in the row
    gap_min_rows: int = 2  # rows that show the gap
    gap_side_chars: float = 1.5  # a new wall keeps this far from the column's walls
    # pieces of one table split by an erased band (_merge_adjacent)
    merge_same_rows: float = 0.8  # vertical overlap (of the taller) of pieces side by side over the same rows
    merge_side_overlap: float = 0.5  # vertical overlap (of the lower) of pieces side by side
    merge_side_gap_chars: float = 2.0  # side by side within this ...
    merge_side_gap_page_frac: float = 0.02  # ... or this share of the page width
    merge_same_rows_gap_chars: float = 4.0  # over the same rows within this ...
    merge_same_rows_gap_page_frac: float = 0.1  # ... or this share of the page width
    merge_stacked_overlap: float = 0.5  # horizontal overlap (of the narrower) of stacked pieces
    merge_stacked_gap_chars: float = 0.8
    merge_flat_chars: float = 0.5  # a lone line is at most this high
    merge_border_overlap: float = 0.8  # a lone line as wide as the table (this share) ...
    merge_border_gap_chars: float = 3.0  # ... a row above or below it
    # a wall must meet its row lines (_unjoined): a column of digit strokes lined up does not
    wall_min_join_share: float = 0.5  # rows where the wall meets a row line, as a share of the rows it is seen in
    wall_join_min_rows: int = 4  # seen in this many rows or more (fewer: _lone and _too_close judge)


class LayoutSettings(BaseModel):
    render_dpi: int = 200  # dpi for rendering PDF pages that are not one embedded scan
    max_scan_dpi: int = 300  # embedded scans above this are downsampled to it
    min_line_length_frac: float = 0.03  # ruling line min length, as a fraction of page width
    min_piece_frac: float = 0.3  # shortest dash of a broken ruling line kept, in character heights
    wall_cover: float = 0.3  # share of a cell side its line's dashes must cover for the side to be there
    grid: GridSettings = Field(default_factory=GridSettings)  # every other threshold of the line grid
    # clusters of ink with less than this share of a character's square (char_h²) are scan specks
    # (layout.text.speck_mask): taken out of the text ink (blank cells stay blank) and of the word
    # detector's picture (fax and photocopy speckle otherwise bridges the detector's words across
    # columns, or hides a row of numbers); the crumbs of a glyph a 1-bit scan broke up stay
    speck_area: float = 0.01
    # ink this close (character heights) counts as one cluster (a 1-bit glyph's crumbs). 0: each
    # component alone. Off by default: a dotted rule's dots cluster the same way and stayed in the
    # text ink, and a Word table with dotted inner rules (samples-world 001) fell from 0.86 to 0.06
    speck_reach: float = 0.0
    deskew_max_angle: float = 5.0  # degrees
    detect_orientation: bool = True
    orient_min_vote_lines: int = 5  # fewer text lines than this: labels inside table cells vote on 0°/180° too
    # 0° against 180° (layout.orient.is_upside_down). The line classifier's vote decides when the
    # lines it is sure of (score >= half_turn_vote_score) weigh at least half_turn_min_votes and
    # outweigh the other side half_turn_vote_ratio times over (+1). Two lines' worth decided a
    # flip before (a held-out sheet scanapp page of one review matrix under tiny bold headers,
    # seed 2039 report 062: 1.69 against 0, read upside down, its one value row read backwards
    # and confirmed by the symmetric group rules: 2 silent errors). Otherwise the reader decides:
    # Chinese read the winning way up weighs at least half_turn_min_read (characters × score)
    # and half_turn_read_ratio times the other way; neither: the page stays as it is, unsure.
    half_turn_vote_score: float = 0.8
    half_turn_min_votes: float = 3.0
    half_turn_vote_ratio: float = 4.0
    half_turn_min_read: float = 3.0
    half_turn_read_ratio: float = 1.2
    # a page left unsure is confirmed the way it was turned once its cells and lines, read, hold
    # this many Chinese characters in readings scored half_turn_vote_score or more
    half_turn_confirm_chars: int = 12
    # 0° against 90° (layout.orient.is_sideways): text lines smeared along each direction; the
    # page is turned when the across-smear finds sideways_ratio times the line length of the
    # upright smear. Below sideways_sure_ratio either way the shapes alone are thin evidence: a
    # table of narrow value columns whose rules a scan broke into dashes joins each column's
    # dashes and digits into one tall "line" (held-out seed 2043 report 008, an application
    # matrix read turned a quarter: 1.36 against upright, its 175 cells lost). Then the reader
    # decides (``quarter_turn_by_reading``): the widest lines of either direction read, each both
    # ways up; Chinese read with confidence (characters × score, at least half_turn_min_read and
    # half_turn_read_ratio times the other direction's) shows which way the text runs.
    sideways_ratio: float = 1.3
    sideways_sure_ratio: float = 3.0
    sideways_read_lines: int = 6
    # pages as a camera sees them (nianbao.layout.page): find the page, undo perspective and curl
    photo_pages: bool = True  # look for a page against a background (a flatbed page passes through)
    photo_dpi: float = 200.0  # a flattened photo page is drawn at this dpi
    photo_edge_clear_frac: float = 0.02  # a flattened photo's edge band (of its short side) painted paper: no desk strips
    photo_even_light: bool = True  # divide a flattened photo by its paper's brightness (shadows, light gradient)
    photo_light_kernel_frac: float = 0.04  # closing (of the short side) that leaves only the paper's brightness
    page_long_side_in: float = 11.69  # long side of a photographed page, inches (A4)
    page_a4_snap: float = 0.08  # a quad within this share of A4's proportions is taken as A4
    page_thumb_px: int = 640  # long side of the copy the page is looked for on
    page_close_frac: float = 0.02  # closing (of the long side) that wipes print off the page
    page_min_contrast: float = 30.0  # paper minus desk (grey levels) below which there is no desk
    page_min_area_frac: float = 0.2  # a page covers at least this share of the photo
    page_weak_share: float = 0.5  # weak paper: above this share of the way from desk to Otsu
    page_edge_low: int = 8  # Canny thresholds (grey levels) for the page's edge against a pale desk
    page_edge_high: int = 20
    page_edge_gap_frac: float = 0.025  # breaks in the page's edge up to this share of the long side are bridged
    page_min_edge_support: float = 12.0  # a quad's weakest side sits on at least this gradient (Sobel)
    # sides of a page quad that may run along the frame's border (within page_fill_margin_frac),
    # the page running out of the picture there: left out of the edge support (the other sides
    # must show the paper's edge). 0: every side must sit on an edge
    page_max_frame_sides: int = 1
    page_snap_frac: float = 0.02  # each side then moved (up to this share of the long side) onto the paper's own edge
    page_snap_min_gain: float = 8.0  # ... only onto a step this much (grey levels) stronger than where it is
    page_fill_margin_frac: float = 0.02  # corners this close to the frame's: the page fills it (flatbed)
    page_side_trim: float = 0.12  # share of each side near its corners left out of the side's line fit
    page_min_corner_deg: float = 50.0  # each corner angle of a page quad lies in [this, 180 - this]
    curl_fit_px: int = 1400  # long side of the copy text lines and rules are traced on
    curl_min_trace_chars: int = 4  # a traced line is at least this many character heights long
    curl_band_chars: float = 1.8  # a traced text line is at most this many character heights high (plus its bow)
    curl_rule_run_chars: float = 2.0  # a vertical rule runs straight for at least this many character heights
    curl_outlier_sigmas: float = 3.0  # trace samples further off the fit than this many robust sigmas are left out
    curl_min_traces: int = 6  # horizontal traces needed to fit the vertical displacement
    curl_min_rules: int = 3  # vertical rules needed to fit the horizontal displacement
    curl_x_degree: int = 3  # polynomial degree along a line
    curl_y_degree: int = 2  # polynomial degree across lines
    curl_ridge: float = 1e-4  # ridge on the curl coefficients (share of the samples)
    curl_min_shift_px: float = 1.5  # a fitted displacement smaller than this everywhere is not applied
    curl_max_shift_frac: float = 0.06  # a displacement above this share of the page is not believed
    uncurl_flatbed: bool = False  # also measure and take out curl on flatbed pages
    # small print (``nianbao.scan.prepare_at_print_scale``): a page whose characters come out
    # smaller than the readers work well at (a spreadsheet shrunk to fit the paper width, then
    # photographed or faxed at low resolution) is drawn again, larger, from the file's own image
    # (a photo re-flattened from the full-resolution photo at a higher dpi, a scan resampled),
    # so binarising, ruling lines and recognition crops see characters of a working size: at
    # the page's 200 dpi a Calc-shrunk matrix photographed at 1500 px has characters ~10 px
    # high, its labels binarise to blobs and strokes to false walls (held-out sheet seed 2034
    # report 014: the application matrix cut into 41 columns, its labels unread)
    small_print_rescale: bool = True
    small_print_char_px: float = 16.0  # typical character height (pixels, ``estimate_char_height``) below which a page is small print
    small_print_target_char_px: float = 20.0  # ... drawn again so its characters are this high
    # ... by at most this factor: time and memory grow with its square. 1.5 lost report 014's
    # review matrix (characters 11 px: 16 px at 1.5) and, on dev seed 4200 phone reports 000+004,
    # read fewer cells (207 against 223) at a higher bench peak RSS (1601-1676 MB against 1200)
    small_print_max_scale: float = 1.8
    # ... photos only unless this is on: a flatbed or fax scan has no more pixels than it gave,
    # and resampling the Calc-shrunk matrices of held-out sheet seed 2034's 104-dpi lowres scans
    # (reports 003, 021) read their 'q's as 0s but lost three rows to the line grid: 356 -> 344 cells
    small_print_scans: bool = False
    # a traced line whose rms off the bend fitted to all the other traces is over this many
    # robust sigmas of those rms is left out of the curl fit (``layout.page._odd_traces``): a
    # chain across a two-level header's stacked words runs aslant and bent a phone photo's
    # application matrix by 80 px (mix2039 Word phone 009). 0: off
    curl_trace_sigmas: float = 3.0
    # horizontal rules are traced apart from the text lines, and taken out of them, for the curl
    # fit (``layout.page.trace_lines``): traced together, a table header's words chained over
    # its rules to the label centred beside two rows and bowed the fit (mix2039 Word phone 009)
    curl_trace_rules_apart: bool = True


class StructureSettings(BaseModel):
    """Table structure from the words of each table region, ruling lines as evidence
    (``layout.structure``): on by default (better on 10 of 12 family × capture conditions of the
    held-out seed-2031 set, equal on the rest within 0.02; see README). Every threshold of
    the word reading is a field here."""

    word_reading: bool = True  # read every table region's words and arbitrate against the line grid
    det_max_side: int = 960  # long side (pixels) the word detector sees a table region at (page_words off)
    # words found once per page (the detector on the whole page, its rules taken out) to find the
    # tables whose every rule a scan lost (``layout.structure.word_regions``)
    page_words: bool = True
    page_det_max_side: int = 1280  # long side (pixels) the word detector sees the whole page at
    # a region found from the page's words is read with them; a region found by its rules is read
    # with the detector run on its own crop (det_max_side) unless this is on: faster, but at page
    # scale the detector misses faint text on shaded headers (world2031 Word hairline reviews lost)
    region_words_from_page: bool = False
    # leave out of a faint-rule region with no line grid the paragraph it took in above or below
    # its rows (``layout.structure.trim_prose``). Off: a table row the detector boxes as one wide
    # word looks like prose too (seed-3301 hairline: active-disclosure rows lost in 2 of 8 reports)
    trim_prose: bool = False
    # leave out of a line grid its top or bottom rows that are one cell across holding lines of
    # prose only (``layout.structure.prose_edge_rows``): a fax's toner spread joins a text
    # line's character tops into a "rule" and the paragraph over the table became its first
    # row, read as a table region (spent mix2045 word fax report 021: 62 -> 179 of 207 cells).
    # Off by default: on held-out seed 2046's word fax report 021 it took a real row of the
    # application matrix for such a row (（三）3.危及"三安全一稳定" lost, the rows under it read one
    # row up: 177 -> 135 of 198, 0 silent but totals at 0.889); what tells a paragraph from a
    # wrapped one-cell row is not yet known
    prose_rows_out: bool = False
    region_min_line_words: int = 3  # a word region holds a line of at least this many words (a row of values)
    region_min_lines: int = 2  # ... and at least this many word lines of 2+ words aligned in x (rows)
    region_min_aligned: int = 2  # words of a row line that must share x with the row line above it
    region_max_gap_chars: float = 3.0  # widest vertical gap (character heights) between two lines of one word region
    region_prose_frac: float = 0.6  # a word wider than this share of the page's text width is prose, not a cell
    region_header_indent_chars: float = 2.0  # a lone word above the rows is a column header only this far (chars) right of the labels
    region_pad_chars: float = 0.5  # a word region reaches this far (character heights) past its words
    region_min_value_lines: int = 4  # value lines a table found from words alone needs for the word placement; fewer: thin evidence
    column_cross_frac: float = 0.12  # share of word lines a column gap may be crossed by (spanning headers)
    header_cross_frac: float = 0.34  # ... or this share, when more lines have words on both sides of it
    fault_frac: float = 0.1  # share of value words cut by walls / put together before a grid is not trusted
    min_lines_for_count: int = 4  # word lines in the value columns before a column count is checked
    min_gap_chars: float = 0.25  # narrowest column gap, in character heights
    min_column_lines: int = 2  # word lines a column needs of its own
    min_row_chars: float = 0.5  # thinnest row (character heights) of the word grid: a boundary closer to the last is none
    line_overlap: float = 0.5  # vertical overlap (of the shorter height) that puts two words on one line
    min_rule_cover: float = 0.5  # share of a region's width (height) a rule must cover to place a row (column) boundary
    faint_ink_offset: float = 2.0  # grey levels below the local mean (after smoothing along the rule) that count as rule ink
    max_row_chars: float = 8.0  # tallest row (character heights) a region reaches on by along its rules
    tall_word_lines: float = 2.5  # a word this many typical word heights tall is a group label (vertical text)
    crossing_chars: float = 0.35  # how far (character heights) a word must reach past a boundary to cross it
    # a rule through a word box that reaches this many character heights beyond the word is
    # printed: the box is two words the detector joined across it, no evidence against the wall
    printed_rule_reach_chars: float = 1.0
    # a grid boundary through a word box with blank paper this many character heights on either
    # side of it (less the dashes a broken wall leaves: ink thinner than ``wall_dash_chars``)
    # cuts no text: the box is texts of neighbouring cells the detector joined across a wall it
    # did not see (the page's rules are taken out before it runs), no evidence against the wall
    joined_clear_chars: float = 0.25
    wall_dash_chars: float = 0.2  # ink this thin (character heights) across a boundary is what a scan left of a rule
    # a word box reaching at most this many character heights over a printed rule through it is
    # cut back to its side (the detector's padding over the rule a number is set against)
    rule_overhang_chars: float = 0.6
    cut_rule_cover: float = 0.6  # share of a merged cell's width a rule however faint must cover on a grid row line to cut the cell there (scan)
    # a grid row whose value cells each show the same stack of k >= 2 values (the rules between
    # k table rows lost): read as k rows (scan, ``stacked_rows``)
    stacked_min_cells: int = 3  # value cells that must show the same stack
    stacked_line_tolerance: float = 0.35  # how far (character heights) the j-th values of the cells may lie apart
    stacked_flat_chars: float = 0.35  # an ink run this flat (character heights) and wider than a character is a rule's remnant, not a line of text
    stacked_row_placement: float = 0.85  # placement of the cells of such rows at most (their rows come from the text lines, not from rules)
    max_label_columns: int = 3  # label columns a table has at most before its value columns
    # a line grid's column boundary left of the value columns that label words run across (their
    # ink under it, no printed rule through them, no blank paper at it) is the vertical strokes
    # of left-aligned characters lined up, not a wall (``layout.structure.label_stroke_walls``):
    # taken out, the cells either side joined, when at least this many words cross it and more
    # than begin within ``label_wall_start_chars`` character heights of it (a wall is where
    # labels begin: a cell's inset and the detector's padding right of it, a hung bracket left)
    label_stroke_walls: bool = True
    label_stroke_min_words: int = 2
    label_wall_start_chars: float = 0.75
    min_words: int = 6  # words a region needs for a word reading
    agree_placement: float = 1.0  # placement confidence when both readings agree
    words_placement: float = 0.9  # read with the word grid because the line grid was contradicted
    disputed_placement: float = 0.7  # cells the two readings place differently, or no reading free of faults
    thin_placement: float = 0.7  # a table found from its words alone with few value lines (``region_min_value_lines``)
    # a template table printed as one row of values under its header (the review matrix): when
    # the grid read gives that row no exactly-n printed values, the row is cut into numbers by
    # the gaps in its ink (``layout.value_row``) and, with exactly the template's n, they are
    # placed in x order (scan ``_reread_matrix_rows``)
    matrix_row_reread: bool = True
    matrix_row_gap_digits: float = 0.5  # a gap in a value row's ink this wide (digit heights) parts two numbers
    matrix_row_band_trim: float = 0.15  # share of a detector line's height taken off at top and bottom: the line's text
    matrix_row_placement: float = 0.85  # placement of numbers placed by their x order alone (below 0.9: no rule confirms them)
    # ... evenly spaced (every step between neighbours within this share of the median step):
    # one number to a column of even width; the consistency rules may then confirm them
    matrix_row_pitch_tolerance: float = 0.2
    matrix_row_even_placement: float = 0.9
    # on any page (small print drawn again larger by ``LayoutSettings.small_print_*`` or not) the
    # detector sees a region's crop at the long side that brings its characters (``char_h`` high
    # on the page) to at least this height, past ``det_max_side`` up to
    # ``small_print_det_max_side`` (never above the crop's own size): at 960 a shrunk matrix's
    # characters reach the detector at ~7 px (dev seed 4200 phone report 000, page 8: its review
    # matrix found, 7 of 15 right, none without); a wide table of small print (a spreadsheet
    # fitted to the page's width) reaches it with its digits ~9 px high, and a fax's thin 1-bit
    # digits among dotted rules are not found at all (spent seed-2043 sheet fax report 022: 50
    # words of ~190 in the application matrix, 0.16 of the report's cells right). 0: off
    # (det_max_side whatever the print's size). Read also under its former name
    # ``small_print_det_char_px`` (the same question asked of small-print pages only, always set alike)
    det_min_char_px: float = Field(14.0, validation_alias=AliasChoices("det_min_char_px", "small_print_det_char_px"))
    # the page detector's side (page_det_max_side): the detector's peak memory stays what it was.
    # 1600 read 12 more cells of dev seed 4200 phone report 004 (characters ~5 px in the photo,
    # 38 against 26 of 198) at a bench peak RSS of 1200 MB against 923 MB
    small_print_det_max_side: int = 1280
    # the value row's digits are measured on the components at least this share of the line's
    # height tall (a dotted wall's dots and a fax's specks are no digits; ``number_boxes``)
    matrix_row_digit_min_height: float = 0.35
    # a detector line whose ink parts into text lines at least this share of a character tall
    # (a header printed upright joined with the numbers under it) has its last one as the value line
    matrix_row_line_min_height: float = 0.5
    # ... not counting upright strokes taller than this many characters (a wall's or the border's
    # piece the rule removal kept, which runs through the text lines and joins them)
    matrix_row_stroke_height: float = 1.5
    # ... and a pixel row with under this share of the median inked row's ink parts two lines (a
    # dash of a broken rule or a thick piece of the border there is no text)
    matrix_row_gap_ink: float = 0.1
    # ... and gaps of more than this share of a character part two lines (the removed rule between
    # the header and the values leaves them a few pixel rows apart; with the row counts summed
    # over a whole row of characters, no character's own gap is that empty)
    matrix_row_line_join: float = 0.05
    # a piece of the value row under this share as wide as tall that reads as no value is a wall's
    # piece (a fax breaks walls into pieces the rule removal keeps), left out of the row
    matrix_row_stroke_width: float = 0.2
    # a value row's component that is mostly wall ink is still a digit when it has a digit's shape:
    # as tall as the row's other digits within this share (a number set flush against its wall,
    # merged with it in a low-resolution scan; ``number_boxes``)
    matrix_row_walled_digit: float = 0.2
    # walls told from the ink between a table's text lines (``layout.walls``): hair, dotted and
    # dashed walls (a spreadsheet's, or its gridlines) that no long straight run shows. The word
    # grid's column boundaries go onto them (``find_walls``), and they are taken out of the image
    # the cells are cropped from (``erase_walls``), so a number set against its wall is read
    # without the wall's dots ("0" not "01")
    # A wall is erased only where the evidence says it is the wall alone: on a column boundary of
    # the grid read with (``wall_boundary_chars``) and in the rows no character touches it
    # (``wall_touch_px``, ``wall_touch_min_chars``; ``nianbao debug --stage walls`` draws both).
    # Erased along their whole length (before), the walls took the strokes of the digits set on
    # them in 1-bit fax pages (dev seed 4602 report 006: 193 -> 163 cells) and were off by
    # default; kept, a grey scan's faded and broken rules were read into the zeros beside them
    # (spent typeset2037 flatbed report 017: 129/200 kept, 200/200 erased). On by default since
    # erasing is decided from that evidence: on twelve reports of five captures nobody developed
    # it on, +115 cells and -5 (sheet2036 fax 004: 43 -> 144; four copier reports +1..+4; sheet
    # fax 016 lost 4, a total "2" read "22" twice: the fax broke the "2" in two, and
    # ``scan._ink_lines`` joins the pieces only while the wall's taller piece is in the cell;
    # typeset scanapp 031 lost 1), silent errors 0 throughout
    find_walls: bool = True
    erase_walls: bool = True
    # a cell's crop shows only what lies inside the cell's walls (``scan._cell_crop``): a column
    # (row) of the crop's margin, beside the text's own ink, this share covered by rule ink (the
    # straight runs the page's rule removal took out of the text ink) is the cell's wall, and it and
    # what lies beyond it are painted with the crop's paper. A solid wall caught by the margin of
    # a '0' set against it read '10' (spent mix2043 typeset scanapp 038 page 5, 20 cells)
    crop_wall_cover: float = 0.5
    # off by default: on, spent mix2043 038 page 5's twenty '10's read '0' and spent mix2045 023/028
    # read cell for cell the same, but the small-print photo matrix test (``tests/scan/
    # test_small_print.py``) reads 150 of 161: its label column's item numbers "7." "8." then read
    # "7.3" "8.8", which ``readers.common.grid_columns`` takes for where the rows' values begin
    crop_inside_walls: bool = False
    wall_min_ridge: float = 12.0  # grey levels a wall's column is darker than beside it, on average over the blank rows
    wall_min_blank_chars: float = 2.0  # blank rows (character heights in all) a region needs for its walls to be told
    wall_side_chars: float = 0.25  # how far to either side (character heights) a wall's column is compared with (past the half of the widest wall)
    wall_max_width_chars: float = 0.3  # widest wall (character heights): a broader ridge is ink of another kind
    wall_edge: float = 0.2  # a wall is as wide as its ridge stays above this share of its peak (its grey fringe included)
    wall_track_chars: float = 0.15  # how far (character heights) a wall may drift off vertical, followed two character heights at a time
    # a region found by its rules in which the detector finds under ``min_words`` words is looked
    # at again with its ink's contrast stretched (``layout.structure.stretch_contrast``: the
    # darkness of each pixel against the paper around it, the ``faint_stretch_percentile``-th
    # percentile of the region's darkness, at least ``faint_stretch_min`` grey levels, made black):
    # a spreadsheet's shaded header printed light grey on grey, which a hairline or washed-out
    # scan leaves a few grey levels deep, is no word to the detector as scanned (sheet2036 hairline
    # report 011: the review matrix's region gave 0 words, stretched 33)
    faint_words_retry: bool = True
    faint_stretch_percentile: float = 99.0
    faint_stretch_min: float = 8.0
    # the parts of a merged grid cell cut at its lost walls are kept when each reads as a value;
    # a part that reads as garbled digits (at most this many characters, no Chinese: "d", "a",
    # a "0" set against its wall) counts as one when more parts read as values than as garble
    # (scan ``_keep_numeric_splits``): a spreadsheet row whose faint walls a scan lost keeps its
    # cells (sheet2036 flatbed report 007: rows read "0oolooo" as one cell). 0: off
    split_garble_chars: int = 2
    # a character touches a wall in a row where its ink runs on from the wall's edge more than this
    # many pixels past the wall's own fringe (the median run over the wall's rows); there the wall
    # is not erased (``layout.walls.touching_rows``): its ink and the stroke set on it are one, and
    # erasing it took the side of a 1-bit fax's "0" flush against it. -1: erased in every row
    wall_touch_px: int = 1
    # ... over this many character heights in a run at least: a stroke set on the wall runs along
    # it for a part of the character's height; a speck or a scan's ragged edge on it touches a row
    # or two, and a stub of wall kept beside it reads as "." (made for spent typeset2037 scanapp
    # 031, whose "0" read "..0" with erasing on: that cell still does, the dots are elsewhere)
    wall_touch_min_chars: float = 0.2
    # a wall is erased only within this many character heights of a column boundary of the grid
    # the table is read with (``layout.walls.walls_on_boundaries``): a ridge elsewhere parts no
    # cells (a copier's streaks and texture: 220 "walls" in one region of spent captures2038
    # sheet copier report 014, erased with the text's strokes: 194 of 200 cells lost)
    wall_boundary_chars: float = 0.3
    # a faint vertical rule is printed only where its ink shows between the words too
    # (``layout.structure.printed_vrules``): the strokes of a column of stacked digits smear
    # into "rules" under ``faint_rules``' smoothing (world2035 Word hairline report 011: every
    # value column of its application matrix cut in two, the table lost)
    printed_rules_only: bool = True
    rule_blank_min_chars: float = 0.5  # rows clear of words (character heights) a rule's length needs before it is judged
    rule_side_chars: float = 0.25  # how far to either side (character heights) a rule's column is compared with the paper
    # a region whose first word line is a value line, with more than this many character heights
    # of region above it, has a header the detector found no word in (faint, shaded): that band
    # is a row of its own (``layout.structure.unread_header_bound``), not part of the value row
    # (world2035 Word hairline report 023: the review matrix's value cells cropped with the
    # header's ink, "i0" read as 10)
    unread_header_chars: float = 1.5
    # an evenly spaced value row of exactly the one-row matrix's n pieces keeps up to this many
    # pieces that read as no value ("σ" for a 0) as its columns' unread cells (held for review)
    # instead of losing the row (``scan._reread_matrix_rows``; world2035 Word flatbed report 027:
    # 14 numbers read and one "σ", the review matrix lost)
    matrix_row_unread_max: int = 2
    # a word one text line high (under line_word_height typical word heights) lies in one row of
    # the word grid, the one holding most of it (``build_grid``): a row boundary that grazes a
    # wrapped label's line merges no rows (world2035 Word fax report 021: a group's labels chained
    # into one cell, 37 cells lost; world2035 011 and 033, world2033 011 read the same with it).
    # On a fresh development seed nobody developed it on (4961, Chromium and Word x fax, copier:
    # 16 reports) it took 14 cells of Word fax report 009 and gave 9 to Word copier 003 and 3 to
    # Word fax 005 (on beats off by 2 there); its loss on 009 is not understood yet
    line_word_one_row: bool = True
    line_word_height: float = 1.5
    # where both readings have faults, the word reading wins over a line grid that holds words of
    # two columns in one cell and prints in fewer value columns than the words, when the words'
    # count is a template's (``structure.lost_value_walls``): the template knows the number of
    # value columns, a grid that contradicts it is not trusted (mix2039 Word fax 017: a 7x1 line
    # grid over the application matrix, 28 cells lost). Cells at ``disputed_placement``
    template_arbitration: bool = True
    # a one-row matrix's value line cut into more pieces than its n columns drops at most this
    # many, when exactly one choice leaves n evenly spaced (``scan._evenly_spaced_subset``: a
    # dash of a dashed wall read "1" between two columns; spent mix2039 word copier 057); the
    # row is then placed at ``matrix_row_placement``, never certain
    matrix_row_stray_max: int = 1
    # a text line printing a one-row matrix's title (行政复议 / 行政诉讼) with no grid under it
    # within this many characters has its first line of exactly n numbers in that reach read as
    # the matrix's values (``scan._matrix_row_under_header``; 0: never), trying at most
    # ``matrix_title_lines`` text lines (the header's lines, then the values)
    matrix_title_reach: float = 20.0
    matrix_title_lines: int = 8
    # a grid that prints a one-row matrix's header and gives no row of its n values, not even
    # its last line, has its values looked for in the first this many text lines under it
    # (within ``matrix_title_reach`` characters, no further than the next grid; 0: never): a
    # hairline scan lost the rules under the header and the grid closed there, leaving the row
    # of values outside it as a text line (spent mix2040 word hairline 021, 15 cells lost).
    # The values directly follow the header; a second line allows for a line of stray ink
    matrix_under_grid_lines: int = 2
    # ... across the grid's width and this many characters either side (a tilted or shrunken
    # grid's outer walls may stand inside its outer numbers)
    matrix_under_grid_pad: float = 1.0
    # a grid that prints a one-row matrix's header and whose last line gives no row of its n
    # values has its other text lines tried, top to bottom, at most this many (0: never): the
    # first of exactly n numbers is the row (``scan._reread_matrix_rows``). A hairline scan's
    # faint rules smeared with the prose around the table give a region (and a word grid) that
    # takes in the paragraphs above and below it: the values stand on a line inside it, the
    # last line is prose (spent mix2045 typeset hairline 028, the matrix lost whole)
    matrix_inside_lines: int = 12
    # a ruled region (rules however faint) that the word reading refused and no grid came from,
    # its header too pale to read, has its first this many text lines tried (0: never): one
    # that cuts into exactly as many numbers as only one template table has columns (15: the
    # review matrix), evenly one to a column, is that table's row (``scan._matrix_row_unheaded``;
    # spent mix2045 sheet hairline 027, a spreadsheet's grey header and its rules all but gone)
    matrix_unheaded_lines: int = 8


class OcrSettings(BaseModel):
    engine: Literal["rapidocr", "paddle"] = "rapidocr"
    threads: int = 2  # onnxruntime intra-op threads
    # onnxruntime's intra-op threads busy-wait between operators when True (its default). Off:
    # a page's recognition is hundreds of small batches, and on a loaded machine (batch workers,
    # a shared server) the spinning threads burn the CPU the other work needs: off took 40 % off
    # recognition's CPU and wall time on the 2-core dev machine, with the same readings
    spin_wait: bool = False
    # one onnxruntime memory arena shared by the engine's models (det, rec, cls), grown by what a
    # run asks: buffers are kept for the next run instead of taken from and given back to the
    # system each time. Same readings; on the 2-core machine about a sixth less CPU in the
    # detector and a quarter in recognition (held-out sheet seed 2034: 0.77 against 0.90 s/page
    # median), but the arena is never given back while the process lives: peak RSS 1831 MB there
    # against 1179 MB without, over the 1.5 GB goal. Off by default: every run allocates afresh
    # (rapidocr's way); on for a worker with memory to spare
    memory_arena: bool = False
    use_gpu: bool = False
    second_look: bool = True  # re-read unsure numeric cells with a different crop
    # text outside tables on scans: "full" reads every line (~4 s per page of prose on 2 cores);
    # "heads" reads short lines (titles, headings, paragraph ends) whole, the first head_chars of
    # indented paragraph starts (text then ends in "…"), and skips full-width continuation lines
    body_text: Literal["full", "heads"] = "heads"
    head_chars: int = 12
    # a lone stroke read as "1" (or a look-alike) whose ink leans this many degrees from upright
    # is the "/" printed for "not applicable" (scan ``_slash_check``): a "1" leans 0-5 degrees
    # (its flag and foot included), a "/" 14 and more (a narrow serif "/" at 150 dpi: 14.5)
    slash_min_slant: float = 11.0
    upright_max_slant: float = 8.0  # a "/" reading whose stroke leans less than this stands like a "1"
    # recognition batches (``ocr.rapid``): crops of similar width go to the model together, their
    # count times the batch's padded width (pixels at the model's 48 px height) at most this. The
    # model's working memory grows with a batch's area: 32 crops of a page's widest lines (3072
    # px) asked ~1.7 GB and 44 s on the 2-core machine (the peak RSS of held-out captures2038,
    # 1814 MB, was one such batch on a 240 dpi sheet copier page); at 4096 a batch asks ~0.1-0.2
    # GB, and CPU per pixel is lowest in batches of a few thousand pixels (twice as high at 40000)
    rec_batch_max_px: int = 4096
    # each recognition crop padded to a width of its own (``ocr.rapid.padded_width``: its width and
    # one blank glyph of mid-grey, as PP-OCR pads, up a fixed ladder) and batched only with crops
    # of that width, so that its reading never depends on its batch neighbours (by default a batch
    # is padded to its widest crop: 28 of 60 crops of samples 008 page 3 score otherwise alone).
    # Off: it keeps the earlier fixes' tests but one (the small-print photo matrix, 151 of 161:
    # garbled label readings vote for other value columns) and reads ~0.65x as many crops a second
    rec_pad_alone: bool = False
    # a text line outside the tables less tall than this share of the typical character height
    # is not read (``scan._plan_text_lines``): specks or a dash. A speckled fax page (dev seed
    # 4602 report 004, page 6) gave 1800 such lines to the recogniser. Off (0) by default: at 0.5
    # held-out captures2038 Word scanapp reports 010 and 019 lost their review matrix cells (197
    # -> 182, 185 -> 179 of 200): a thin line read there carries what assembly needs
    min_line_height_chars: float = 0.0


class AssemblySettings(BaseModel):
    min_label_score: float = 0.45  # label similarity below this does not count as a label match
    strong_label_score: float = 0.8  # a label this similar places its row for sure (no placement cap)
    fair_label_score: float = 0.6  # ... this similar: confidence.row_label_fair_placement; below: row_label_weak_placement
    max_count_mismatch: int = 2  # values missing/extra in a row that the rules may resolve
    spaced_values_placement: float = 0.85  # a cell read as several numbers apart ("1 0 0 0", walls lost) is split when that gives the row its template column count; their placement is at most this
    # a one-value row outside any grid read as two text lines, its label and a number beside it,
    # level with it (sharing this share of the lower line's height): one value row
    # (``assembly.values_beside``), the value's placement at most ``beside_placement``
    beside_overlap: float = 0.5
    beside_placement: float = 0.85


class ConfidenceSettings(BaseModel):
    """Every number that makes a cell's confidence (``nianbao.confidence`` composes them; each
    ``FactorCode`` names the field it uses in ``nianbao.confidence.FACTOR_RULES``)."""

    # the reading of the characters: multiply ("factor") or bound ("cap") the reader's score
    empty_cell_factor: float = 0.99  # a grid cell with no ink: read as blank, nearly sure
    slash_shape_cap: float = 0.9  # a stroke read "1" that leans like "/": the shape's reading at most this
    slash_upright_factor: float = 0.5  # read "/" but the stroke stands upright like a "1"
    second_look_not_number_factor: float = 0.6  # a second crop agrees on something that is not a number
    second_look_disagree_factor: float = 0.7  # a second crop reads another number
    second_look_disagree_not_number_factor: float = 0.4  # ... and the reading kept is no number either
    lookalike_factor: float = 0.85  # O→0, l→1 substitutions
    single_lookalike_factor: float = 0.6  # a lone look-alike letter read as a digit ("O" → 0)
    negative_count_factor: float = 0.7  # a minus sign where the template expects a count
    not_a_number_factor: float = 0.0  # text that does not read as a number is no reading of a value
    derived_confidence: float = 0.55  # cells whose value was inferred from the rules (their read confidence, and a cap)
    # where the cell was placed: caps on the placement confidence
    row_label_fair_placement: float = 0.95  # the row label matched fairly (assembly.strong_label_score > score ≥ fair_label_score)
    row_label_weak_placement: float = 0.85  # the row label matched weakly (below the fair score, above the minimum)
    row_by_position_anchored_placement: float = 0.8  # no usable label, placed between two matched rows
    row_by_position_placement: float = 0.6  # no usable label, placed by position alone
    disputed_cell_placement: float = 0.7  # the ruling lines and the words place the cell differently
    placed_by_rules_placement: float = 0.85  # a row with too few/many values placed by the consistency rules
    unresolved_row_placement: float = 0.3  # ... that the rules could not place: values in printed order
    derived_unplaced_placement: float = 0.8  # a derived cell whose row was not found
    # a cell of a page whose 0°/180° answer rests on too little evidence (layout.orient): read
    # upside down, a row of numbers is read backwards, which symmetric rule groups do not catch
    page_turn_unsure_placement: float = 0.85
    # the consistency rules and the body text
    failed_rule_factor: float = 0.5  # multiply confidence of cells in a broken rule
    confirmed_floor: float = 0.97  # read cells confirmed by two rules (their row and their column)
    single_rule_floor: float = 0.92  # read cells confirmed by the one rule they are in (reviews groups)
    # a read cell in a broken rule whose every broken rule crosses at one other cell (the single
    # misread SPEC §3's parity check points at: ``confidence.single_culprits``) and whose other
    # rules hold with every operand read. Its value is checked by the rule that holds, and the
    # pattern of failures (exactly one cell's rules) rules out the garbled row and the shifted
    # column that one rule alone misses; set as the one-rule floor, not the two-rule one, since
    # only one rule checks it directly. Dev seed 5400 (15 reports) had no such pattern: its
    # broken rules were the generator's agency errors (two cells changed alike, the row rule
    # kept: no one cell explains them) and misreads beside lost cells (tests/test_confidence.py).
    # Then, read once after: fresh seed 5450 8 cells (typst fax), fixtures/samples 48, all right
    localized_failure_floor: float = 0.92
    unconfirmed_ocr_cap: float = 0.89  # OCR'd numbers no rule confirms: raw OCR scores are not calibrated
    min_base_to_confirm: float = 0.5  # a reading this unsure is not lifted by one rule (or a failure found elsewhere)
    # ... nor by two rules below this: none. A number misread breaks both its row and its column
    # rule whatever the reader's score, so two rules that hold with every operand read confirm a
    # shaky reading as well as a clear one (the second look's other reading, a look-alike letter
    # taken for 0 wrongly, would break them): the module's own principle, which the 0.5 bar
    # (from the first version, never measured) kept from shaky readings. Measured: dev seed 5400
    # (15 reports, five families x flatbed, phone, lowres), 48 cells held in review by that bar
    # alone, bases 0.09-0.49, all right (sheet 33, chromium 7, word 5, typeset 3; all of them
    # zeros, read "0", "o" or "O"); placement is still required (min_placement_to_confirm), and
    # one rule, or a failure found elsewhere, still needs min_base_to_confirm
    two_rules_min_base: float = 0.0
    min_placement_to_confirm: float = 0.9  # arithmetic confirms a value, not a row placed by position or by the rules
    lone_stroke_cap: float = 0.8  # OCR'd "1" alone in a cell no rule confirms: "/" and "1" look alike
    signed_ocr_cap: float = 0.85  # OCR'd 本年增/减: a lost minus sign reads as a valid number
    text_agreement_weight: float = 0.5  # a cell the body text agrees with closes this share of its gap to 1
    silent_threshold: float = 0.9  # confidence at which a wrong value counts as a silent error (and a cell goes to review)
    # a number read with a speck at its start or end ("501•", "。348", "·0": scan dust, a dot of a
    # dotted rule) is that number with the speck left out (``numbers.parse_cell``), its reading
    # this much less sure (spent mix2039 typeset copier 059: three active-disclosure values lost)
    speck_dropped_factor: float = 0.85


class TextLayerSettings(BaseModel):
    """A PDF page's text layer: when it is text and usable (ingest, pipeline), and how the
    text-layer reader (``readers.pdf``) rebuilds a table whose cells do not separate its words."""

    min_text_chars: int = 20  # a page whose text layer has fewer real characters is not a text page
    min_sign_page_chars: int = 50  # a page with less text says nothing about being a 年度报告 or not
    usable_min_cjk: int = 10  # a text layer with fewer CJK characters is not used (read as a scan)
    # broken-encoding marks (U+FFFD, "(cid:") allowed: one per this many CJK characters, at least
    # usable_min_broken, before the layer counts as garbled
    usable_cjk_per_broken: int = 20
    usable_min_broken: int = 5
    edge_merge_pt: float = 1.5  # rules (and pdfplumber row bounds) closer than this are one boundary
    align_gap_pt: float = 6.0  # value words whose centres are this far apart stand in different columns
    # a label word is placed in the column where the middle of its first glyph stands (its box's
    # left edge plus this many of its heights), not where its box begins: Typst sets a line's
    # opening bracket (（一）…) half-width, so the glyph box hangs half an em left, over the rule
    # that starts the label's column (seed 2041 typst born-digital 000: the item labels fell into
    # the row-group column and the application matrix lost 140 cells)
    label_anchor_em: float = 0.5
    # a 三线表's body (no rule between its rows, ``readers.pdf._ruleless_body_bottom``): the found
    # header table is taken down to the next rule below it that covers ``body_rule_cover`` of its
    # width, when at least ``body_min_value_lines`` lines of values stand between and no line
    # without values reaches their columns; its rows are its lines of values, its label columns
    # begin where label words stand more than ``label_column_gap_em`` of their height apart (dev
    # seed 4987 typst 015: the body read as text lines, two rows' values swapped)
    ruleless_bodies: bool = True
    body_rule_cover: float = 0.9
    body_min_value_lines: int = 2
    label_column_gap_em: float = 1.5
    # a text-layer PDF that leaves a template table unfound has its pages of numbers in no table
    # (``pipeline.untabled_number_pages``: at least ``untabled_page_rows`` text lines of at least
    # ``untabled_row_values`` numbers, no table row on the page) read again from their picture,
    # kept when that finds more tables: a 三线表 has no rules to find its cells by, and upright
    # row-group labels interleave its text lines (dev seed 4986 typst born-digital 000)
    untabled_read_as_scan: bool = True
    untabled_row_values: int = 3
    untabled_page_rows: int = 2


class Limits(BaseModel):
    max_pages: int = 200
    max_file_mb: int = 200
    max_page_pixels: int = 60_000_000
    # server uploads (nianbao serve): whole request, and the zip-bomb guards for zip uploads
    max_upload_mb: int = 500
    max_zip_members: int = 2000
    max_zip_uncompressed_mb: int = 2000
    max_zip_ratio: int = 200  # uncompressed/compressed size of one member, and of the whole archive (above 1 MiB)
    # a .docx is a zip read whole into memory by python-docx: its members may expand to this much
    max_docx_uncompressed_mb: int = 100
    # wall-clock limit for parsing one file (batch workers and server workers): past it the
    # worker is killed and the file fails with a clear reason; the batch or queue goes on
    parse_timeout_s: float = 600.0
    # a PDF whose first pages all carry a clean text layer with no sign of the template (no CJK,
    # none of its key words) is refused after looking at this many pages, not after reading all
    # of them (0: read every file to the end)
    template_sign_pages: int = 3
    # after each scanned page, hand the memory the process freed back to the system
    # (``nianbao.heap``, glibc's malloc_trim): without it the C heaps keep ~0.4-0.6 GB of freed,
    # fragmented buffers and the next page's working memory comes on top (a bench's peak RSS crept
    # up report by report). Costs a few ms a page; changes no reading
    release_heap_per_page: bool = True
    # ... but only when the process holds more than this (MiB resident; 0: after every page): a
    # trim gives back what the next page takes again from the system, zeroed (system CPU). Below
    # the mark a page's freed memory is kept for the next page's reuse
    release_heap_above_mb: int = 700


class ServerSettings(BaseModel):
    """``nianbao serve``: who may reach it and how long a browser login lasts."""

    # Host header names answered besides the loopback names and the bound address (DNS-rebinding
    # guard), e.g. ["nianbao.example.gov.cn"]; a server bound to 0.0.0.0 with none answers any name
    allowed_hosts: list[str] = Field(default_factory=list)
    session_hours: float = 12.0  # a browser login (session cookie) lasts this long
    max_public_body_kb: int = 16  # request body a caller without a token may send (the login form)
    # wrong tokens (bearer or login form) one client address may present within the window before
    # it is answered 429 until the oldest leaves the window; 0 turns the limit off
    max_failed_logins: int = 10
    failed_login_window_s: float = 300.0
    # addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (e.g.
    # ["127.0.0.1"] behind a local nginx); none by default: the client is the socket's peer, so
    # a caller cannot pose as other addresses (and slip the wrong-token limit) with a header
    trusted_proxies: list[str] = Field(default_factory=list)


# settings that do not change what a parse reads (threads, limits that
# only refuse or stop work): left out of Settings.results_hash
RESULT_NEUTRAL_SETTINGS: dict[str, Any] = {"ocr": {"threads", "use_gpu", "spin_wait", "memory_arena"}, "limits": True,
                                           "server": True}


class Settings(BaseSettings):
    """Every knob of the pipeline, with defaults that work offline on a 2-core CPU."""

    model_config = SettingsConfigDict(env_prefix="NIANBAO_", env_nested_delimiter="__")

    layout: LayoutSettings = Field(default_factory=LayoutSettings)
    structure: StructureSettings = Field(default_factory=StructureSettings)
    ocr: OcrSettings = Field(default_factory=OcrSettings)
    assembly: AssemblySettings = Field(default_factory=AssemblySettings)
    confidence: ConfidenceSettings = Field(default_factory=ConfidenceSettings)
    text_layer: TextLayerSettings = Field(default_factory=TextLayerSettings)
    limits: Limits = Field(default_factory=Limits)
    server: ServerSettings = Field(default_factory=ServerSettings)

    def results_hash(self) -> str:
        """A short hash of the settings that change results (all but RESULT_NEUTRAL_SETTINGS):
        recorded in every Report, so a result parsed with other settings is known as such."""
        data = self.model_dump(mode="json", exclude=RESULT_NEUTRAL_SETTINGS)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
