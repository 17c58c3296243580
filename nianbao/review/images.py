"""Page pictures for the review page: the rendered page, and a crop around one cell that keeps
the row's label column and the table's header row in view, with the cell box drawn."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from nianbao.fileio import PDFIUM_LOCK
from nianbao.models import Cell, PageInfo, Report
from nianbao.settings import Settings

BOX_COLOUR = (0, 0, 230)  # BGR red
HEADER_MARK = (40, 140, 255)  # BGR orange


def _fallback_render(path: str, page_number: int, dpi: float) -> np.ndarray:
    """Until/unless nianbao.ingest is importable: PDFs via pypdfium2, images via OpenCV."""
    if path.lower().endswith(".pdf"):
        import pypdfium2 as pdfium

        with PDFIUM_LOCK:  # request threads
            pdf = pdfium.PdfDocument(path)
            try:
                pil = pdf[page_number - 1].render(scale=dpi / 72).to_pil().convert("RGB")
            finally:
                pdf.close()
        return cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR)
    img = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(path)
    return img


@lru_cache(maxsize=6)
def page_image(path: str, page_number: int, dpi: float, rotation: int, skew: float,
               warp_json: str | None, settings_json: str) -> np.ndarray:
    """The page as the parser saw it (the page's rotation and deskew applied, a photo's page
    flattened by its recorded warp), the picture its cell boxes are measured on; cached, as a
    reviewer moves between cells of one page. The warp and the settings (input limits, scan
    dpi) come as JSON so the cache can key on them."""
    try:
        from nianbao.ingest import render_page
    except ImportError:
        return _fallback_render(path, page_number, dpi)
    from nianbao.models import PageWarp

    warp = PageWarp.model_validate_json(warp_json) if warp_json else None
    settings = Settings.model_validate_json(settings_json)
    return render_page(path, page_number, dpi, rotation=rotation, skew=skew, settings=settings, warp=warp)


def locate_source(report: Report, result_path: Path | None = None) -> Path | None:
    """The report's source file wherever the review was started from, checked by sha256 (a file
    of the same name that is not the same content is not used): its recorded path, the same path
    or name beside the result JSON and one or two folders up (a batch output folder next to its
    inputs), and a server's ``uploads/<sha256><ext>`` there; None if absent."""
    from nianbao.results import find_source

    bases: list[Path] = []
    if result_path is not None:
        here = result_path.resolve().parent
        bases = [here, *list(here.parents)[:2]]
    return find_source(report.source, search_dirs=[b / "uploads" for b in bases], relative_to=bases)


def report_page_image(report: Report, page_number: int, result_path: Path | None,
                      settings: Settings) -> tuple[np.ndarray, PageInfo]:
    """The picture of ``page_number`` of ``report``, resized to the page's recorded pixel size."""
    info = next((p for p in report.pages if p.number == page_number), None)
    if info is None:
        raise LookupError(f"page {page_number} not in report")
    src = locate_source(report, result_path)
    if src is None:
        raise FileNotFoundError(report.source.path)
    img = page_image(str(src), page_number, float(info.dpi), int(info.rotation), float(info.skew),
                     info.warp.model_dump_json() if info.warp else None,
                     settings.model_dump_json())
    h, w = img.shape[:2]
    if info.width and info.height and (abs(w - info.width) > 2 or abs(h - info.height) > 2):
        img = cv2.resize(img, (int(round(info.width)), int(round(info.height))), interpolation=cv2.INTER_AREA)
    return img, info


def png(img: np.ndarray, max_width: int | None = None) -> bytes:
    if max_width and img.shape[1] > max_width:
        f = max_width / img.shape[1]
        img = cv2.resize(img, (max_width, max(1, int(img.shape[0] * f))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".png", img)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()


def _ink(img: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return bw


def _table_top(bw: np.ndarray, x0: int, x1: int, first_row_top: int, row_h: float) -> int:
    """Top of the header above the first data row on this page: walk up the horizontal ruling
    lines that span the table, as long as vertical rulings join each line to the one below
    (a heading or a gap between two tables has none); without ruling lines, allow a few text
    lines of header."""
    if first_row_top <= 0 or x1 - x0 < 10:
        return max(0, first_row_top)
    lo = max(0, int(first_row_top - 12 * row_h))
    hi = min(bw.shape[0], first_row_top + int(row_h / 2))
    band = bw[lo:hi, x0:x1]
    if band.size == 0:
        return first_row_top
    horiz = cv2.morphologyEx(band, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(10, (x1 - x0) // 3), 1)))
    vert = cv2.morphologyEx(band, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(8, int(row_h * 0.6)))))
    ys = np.where(horiz.sum(axis=1) / 255 > 0.5 * (x1 - x0))[0]
    if len(ys) == 0:
        return max(0, int(first_row_top - 3 * row_h))
    # merge the rows of one thick line; the line nearest the first data row's top is its border
    lines: list[int] = []
    for y in ys:
        if lines and y - lines[-1] <= 3:
            lines[-1] = int(y)
        else:
            lines.append(int(y))
    below = [y for y in lines if y <= first_row_top - lo + 3]
    if not below:
        return max(0, int(first_row_top - 3 * row_h))
    top = below[-1]
    for y in reversed(below[:-1]):
        seg = vert[y + 3:top - 2]
        if seg.shape[0] < 3 or not (seg.sum(axis=0) / 255 >= 0.85 * seg.shape[0]).any():
            break
        top = y
    return max(0, lo + top - 3)


def _label_left(bw: np.ndarray, y0: int, y1: int, values_left: int) -> int:
    """Left edge of the row's label column: the leftmost ink of the row band left of the values
    (the label text or the table's left border), ignoring specks."""
    band = bw[max(0, y0):max(y0 + 1, y1), :max(1, values_left)]
    if band.size == 0:
        return 0
    cols = np.where(cv2.morphologyEx(band, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)).sum(axis=0) > 0)[0]
    return int(cols[0]) if len(cols) else max(0, values_left - band.shape[1] // 2)


def _same_sub_table(cell: Cell, other: Cell) -> bool:
    """Whether two cells are in one printed (sub-)table: a 第二十条 item is its own table with
    its own header row (rows ``art20_6.penalty``), the matrices are one table each."""
    if "." not in cell.row:
        return "." not in other.row
    return other.row.split(".", 1)[0] == cell.row.split(".", 1)[0]


def cell_crop(report: Report, cell: Cell, settings: Settings, max_width: int = 1400,
              result_path: Path | None = None) -> np.ndarray:
    """A picture of the cell in context: the table's header strip on this page above the rows
    around the cell, from the label column to the table's right edge; the cell boxed in red and
    its column marked in the header."""
    if cell.page is None or cell.bbox is None:
        raise LookupError("cell has no page location")
    img, info = report_page_image(report, cell.page, result_path, settings)
    H, W = img.shape[:2]
    table = report.table(cell.table)
    # the header strip is that of the cell's own sub-table: only its cells place the strip
    boxes = [c.bbox for c in (table.cells if table else [cell])
             if c.page == cell.page and c.bbox and _same_sub_table(cell, c)] or [cell.bbox]
    arr = np.array(boxes, dtype=float)
    rh = float(np.median(arr[:, 3] - arr[:, 1])) if len(arr) else 30.0
    rh = max(rh, 8.0)
    bx0, by0, bx1, by1 = (int(round(v)) for v in cell.bbox)
    vx0, vy0, vx1 = int(arr[:, 0].min()), int(arr[:, 1].min()), int(arr[:, 2].max())
    # only cells in the band of the row count for the left edge of the value block
    bw = _ink(img)
    left = _label_left(bw, by0, by1, min(vx0, bx0)) - int(0.3 * rh)
    right = max(vx1, bx1) + int(0.3 * rh)
    left, right = max(0, left), min(W, right)
    head_top = _table_top(bw, max(0, min(vx0, bx0)), min(W, right), vy0, rh)
    row_top = max(0, int(by0 - 1.6 * rh))
    row_bot = min(H, int(by1 + 1.6 * rh))
    out = img.copy()
    cv2.rectangle(out, (bx0 - 2, by0 - 2), (bx1 + 2, by1 + 2), BOX_COLOUR, max(2, int(rh / 12)))
    if head_top < vy0 and row_top > vy0 + rh:  # header and cell far apart: stack two strips
        head = out[head_top:vy0, left:right].copy()
        cv2.rectangle(head, (bx0 - left, 1), (bx1 - left, head.shape[0] - 2), HEADER_MARK, 2)
        sep = np.full((6, right - left, 3), 160, np.uint8)
        crop = np.vstack([head, sep, out[row_top:row_bot, left:right]])
    else:
        top = min(head_top, row_top)
        crop = out[top:row_bot, left:right]
        if head_top < vy0:
            cv2.rectangle(crop, (bx0 - left, head_top - top + 1), (bx1 - left, vy0 - top - 2), HEADER_MARK, 2)
    if max_width and crop.shape[1] > max_width:
        f = max_width / crop.shape[1]
        crop = cv2.resize(crop, (max_width, max(1, int(crop.shape[0] * f))), interpolation=cv2.INTER_AREA)
    return crop
