"""Page layout: a photo's page flattened (``page``), orientation and deskew, table grids, text
lines outside tables.

Pure functions on numpy images that give plain data (pydantic/dataclasses) out."""

from nianbao.layout.grid import Grid, GridCell, detect_grids
from nianbao.layout.image import apply_upright, binarize, ink_mask, red_mask, remove_red, rotate_quadrant, rotate_small, to_gray
from nianbao.layout.orient import Orientation, detect_orientation, estimate_skew
from nianbao.layout.page import PagePrep, prepare_page
from nianbao.layout.text import estimate_char_height, find_text_lines, speck_mask

__all__ = [
    "Grid", "GridCell", "detect_grids", "apply_upright", "binarize", "ink_mask", "red_mask", "remove_red",
    "rotate_quadrant", "rotate_small", "to_gray", "Orientation", "detect_orientation", "estimate_skew",
    "estimate_char_height", "find_text_lines", "speck_mask", "PagePrep", "prepare_page",
]
