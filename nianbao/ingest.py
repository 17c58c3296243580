"""Input files → what the readers need: the format by content, and page images for scans.

PDFs go through pypdfium2. Each page is a "text" page (its text layer has real text), a
"scan" page (one embedded image covers it: taken at its native resolution, capped at
``settings.layout.max_scan_dpi``), a "render" page (anything else drawn: rendered at
``settings.layout.render_dpi``) or "empty". PNG/JPEG/TIFF(multi-page)/BMP/WebP are read with
Pillow. Limits from ``settings.limits``; every unreadable input raises ``InputFileError``
naming the file and the reason.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import cv2
import numpy as np

from nianbao.errors import InputFileError
from nianbao.fileio import PDFIUM_LOCK
from nianbao.layout.image import apply_upright
from nianbao.settings import Settings, TextLayerSettings

IMAGE_FORMATS = {"png", "jpeg", "tiff", "bmp", "webp", "gif"}


@dataclass
class PageImage:
    number: int  # 1-based
    image: np.ndarray  # BGR uint8
    dpi: float
    kind: str  # "text" | "scan" | "render" | "empty" (PDF pages) or "image" (image files)


# --------------------------------------------------------------------------- sniffing
def sniff_format(path: str | Path) -> str:
    """Format by content, not name: pdf, png, jpeg, tiff, bmp, webp, gif, docx, doc, zip,
    html, text, or unknown. Raises InputFileError when the file is missing or empty."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(str(path), "file not found")
    if not p.is_file():
        raise InputFileError(str(path), "not a file")
    with open(p, "rb") as f:
        head = f.read(8192)
    if not head:
        raise InputFileError(str(path), "file is empty")
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith(b"BM"):
        return "bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "doc"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(p) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile:
            return "unknown"
        return "docx" if "word/document.xml" in names else "zip"
    if b"\x00" in head and not (head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff")):
        return "unknown"
    text = _decode_head(head).lower().lstrip("\ufeff \t\r\n")
    if text.startswith("<!doctype html") or "<html" in text[:2048] or "<table" in text or "<body" in text or "<meta" in text[:2048]:
        return "html"
    return "text"


def _decode_head(head: bytes) -> str:
    for enc in ("utf-8", "gb18030", "utf-16"):
        try:
            return head.decode(enc)
        except UnicodeDecodeError:
            continue
    return head.decode("utf-8", "replace")


def _check_size(path: Path, settings: Settings) -> None:
    if not path.exists():
        raise InputFileError(str(path), "file not found")
    size = path.stat().st_size
    if size == 0:
        raise InputFileError(str(path), "file is empty")
    if size > settings.limits.max_file_mb * 1024 * 1024:
        raise InputFileError(str(path), f"file is {size / 1048576:.1f} MB, over the limit of {settings.limits.max_file_mb} MB")


# --------------------------------------------------------------------------- archives
MB = 1 << 20
RATIO_MIN_BYTES = 1 * MB  # below this much expanded data a high ratio is just good compression


class ArchiveRejected(InputFileError):
    """A zip (or .docx, which is a zip) refused before anything in it is expanded.

    ``over_limit`` is True for size, count and ratio limits (a bomb), False for unsafe or
    unreadable archives, so a server can answer 413 or 400."""

    def __init__(self, path: str, reason: str, over_limit: bool):
        super().__init__(path, reason)
        self.over_limit = over_limit


def _unsafe_member_name(name: str) -> str | None:
    """Why a member path would land outside the archive's folder, or None when it stays inside."""
    norm = name.replace("\\", "/")
    if "\x00" in name:
        return "NUL in the name"
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return "absolute"
    if any(part == ".." for part in norm.split("/")):
        return ".."
    return None


def check_archive(zf: zipfile.ZipFile, archive_bytes: int, limits, what: str,
                  expanded_limit_mb: int | None = None) -> list[zipfile.ZipInfo]:
    """The file members of an open zip, after every zip-bomb and traversal guard passed.

    One guard for every zip nianbao opens (server uploads and .docx files): at most
    ``limits.max_zip_members`` members; no absolute, ``..`` or symbolic-link paths, no
    encryption; no member over ``limits.max_file_mb``; all members together at most
    ``expanded_limit_mb`` (default ``limits.max_zip_uncompressed_mb``); and neither one member
    nor the whole archive expanding more than ``limits.max_zip_ratio`` times (once past
    1 MiB: 300 members of 1 MiB each in a 339 kB zip is a bomb although no member is big).
    The sizes are the ones the zip declares; :mod:`zipfile` never gives more bytes than that.
    Raises :class:`ArchiveRejected` naming ``what``."""
    infos = zf.infolist()
    if len(infos) > limits.max_zip_members:
        raise ArchiveRejected(what, f"zip has {len(infos)} members; the limit is {limits.max_zip_members}", True)
    total_limit = (expanded_limit_mb if expanded_limit_mb is not None else limits.max_zip_uncompressed_mb) * MB
    members: list[zipfile.ZipInfo] = []
    total = 0
    for info in infos:
        why = _unsafe_member_name(info.filename)
        if why:
            raise ArchiveRejected(what, f"unsafe path in zip ({why}): {info.filename!r}", False)
        mode = info.external_attr >> 16
        if mode and stat.S_ISLNK(mode):
            raise ArchiveRejected(what, f"unsafe zip member (symbolic link): {info.filename!r}", False)
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise ArchiveRejected(what, f"encrypted zip member: {info.filename!r}", False)
        if info.file_size > limits.max_file_mb * MB:
            raise ArchiveRejected(what, f"zip member {info.filename!r} is over the file size limit of "
                                        f"{limits.max_file_mb} MB", True)
        if info.file_size > RATIO_MIN_BYTES and info.file_size > limits.max_zip_ratio * max(info.compress_size, 1):
            raise ArchiveRejected(what, f"zip member {info.filename!r} expands "
                                        f"{info.file_size // max(info.compress_size, 1)}x; the limit is "
                                        f"{limits.max_zip_ratio}x (zip bomb?)", True)
        total += info.file_size
        if total > total_limit:
            raise ArchiveRejected(what, f"zip expands to more than {total_limit // MB} MB", True)
        members.append(info)
    if total > RATIO_MIN_BYTES and total > limits.max_zip_ratio * max(archive_bytes, 1):
        raise ArchiveRejected(what, f"zip expands {total // max(archive_bytes, 1)}x as a whole "
                                    f"({total // MB} MB from {archive_bytes // 1024} kB); the limit is "
                                    f"{limits.max_zip_ratio}x (zip bomb?)", True)
    return members


def open_archive(path: str | Path, limits, expanded_limit_mb: int | None = None) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """Open a zip file and run :func:`check_archive` on it; the caller closes the ZipFile."""
    p = Path(path)
    try:
        zf = zipfile.ZipFile(p)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ArchiveRejected(str(path), f"not a readable zip file: {e}", False) from e
    try:
        return zf, check_archive(zf, p.stat().st_size, limits, str(path), expanded_limit_mb)
    except BaseException:
        zf.close()
        raise


def check_docx(path: str | Path, limits) -> None:
    """Refuse a .docx whose parts would expand past the limits before python-docx reads them
    into memory (a 445 kB file of 400 MB of XML whitespace took the parser to 898 MB)."""
    zf, _ = open_archive(path, limits, expanded_limit_mb=limits.max_docx_uncompressed_mb)
    zf.close()


# --------------------------------------------------------------------------- PDF
def _open_pdf(path: Path, settings: Settings):
    import pypdfium2 as pdfium

    _check_size(path, settings)
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        msg = str(e)
        if "password" in msg.lower():
            raise InputFileError(str(path), "PDF is encrypted (password required)") from e
        raise InputFileError(str(path), f"corrupt or unreadable PDF ({msg})") from e
    n = len(pdf)
    if n == 0:
        pdf.close()
        raise InputFileError(str(path), "PDF has no pages")
    if n > settings.limits.max_pages:
        pdf.close()
        raise InputFileError(str(path), f"PDF has {n} pages, over the limit of {settings.limits.max_pages}")
    return pdf


@dataclass
class _PageFacts:
    kind: str
    text_chars: int
    image: Any  # the single covering pypdfium2 PdfImage, for scan pages (None for others)
    native_dpi: float | None


def _page_facts(page, layer: TextLayerSettings) -> _PageFacts:
    import pypdfium2.raw as raw

    try:
        tp = page.get_textpage()
        text = tp.get_text_range()
        tp.close()
    except Exception:
        text = ""
    real = sum(1 for ch in text if not ch.isspace() and ch not in "\ufffd\x00")
    if real >= layer.min_text_chars:
        return _PageFacts("text", real, None, None)
    pw, ph = page.get_size()
    images = list(page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE]))
    others = any(True for _ in page.get_objects(filter=[raw.FPDF_PAGEOBJ_PATH, raw.FPDF_PAGEOBJ_TEXT, raw.FPDF_PAGEOBJ_SHADING]))
    if len(images) == 1:
        img = images[0]
        try:
            l, b, r, t = img.get_bounds()
            wpx, hpx = img.get_px_size()
        except Exception:
            return _PageFacts("render", real, None, None)
        cover = max(0.0, min(r, pw) - max(l, 0)) * max(0.0, min(t, ph) - max(b, 0)) / max(1e-6, pw * ph)
        if cover >= 0.85 and wpx > 0 and hpx > 0:
            dpi = 72.0 * max(wpx / max(1e-6, r - l), hpx / max(1e-6, t - b))
            # taken as-is only when it fills the page upright; otherwise render it
            m = img.get_matrix()
            upright = abs(m.b) < 1e-6 and abs(m.c) < 1e-6 and m.a > 0 and m.d > 0
            full = abs(l) < 2 and abs(b) < 2 and abs(r - pw) < 2 and abs(t - ph) < 2
            keep = img if (upright and full and page.get_rotation() == 0) else None
            return _PageFacts("scan", real, keep, dpi)
    if images or others or real:
        return _PageFacts("render", real, None, None)
    return _PageFacts("empty", real, None, None)


def pdf_page_kinds(path: str | Path, settings: Settings) -> list[str]:
    """Kind of each page of a PDF: "text", "scan", "render" or "empty"."""
    pdf = _open_pdf(Path(path), settings)
    try:
        return [_page_facts(pdf[i], settings.text_layer).kind for i in range(len(pdf))]
    finally:
        pdf.close()


# the words a 政府信息公开工作年度报告 cannot do without (its title and the headings of its tables)
TEMPLATE_SIGNS = ("信息公开", "年度报告", "主动公开", "依申请", "行政复议", "行政诉讼")


def no_template_sign(path: str | Path, pages: int, layer: TextLayerSettings) -> str | None:
    """Why a PDF cannot be a 年度报告, judged from its first ``pages`` pages alone, or None.

    Only a clear case stops early: each of those pages carries a clean text layer of Latin
    letters (no CJK character, no broken-encoding marks) and none of the template's key words.
    A scanned, drawn or Chinese page, or a garbled text layer, says nothing: the file is then
    read to the end as before. A 150-page Latin-text PDF took 207 s of OCR to be refused."""
    if pages <= 0:
        return None
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError:
        return None  # the reader reports what is wrong with it
    try:
        n = min(pages, len(pdf))
        if n == 0:
            return None
        for i in range(n):
            tp = pdf[i].get_textpage()
            text = tp.get_text_range()
            tp.close()
            if any(sign in text for sign in TEMPLATE_SIGNS):
                return None
            real = [ch for ch in text if not ch.isspace()]
            latin = sum(1 for ch in real if ch.isascii() and ch.isalpha())
            cjk = sum(1 for ch in real if "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff")
            broken = text.count("\ufffd") + text.count("(cid:")
            if len(real) < layer.min_sign_page_chars or cjk or broken or latin < 0.6 * len(real):
                return None
    finally:
        pdf.close()
    return (f"前 {n} 页只有西文文字，没有政府信息公开工作年度报告的迹象，不是年度报告 / the first {n} page(s) "
            "hold Latin text only, with no sign of a 政府信息公开工作年度报告: not a report")


def _bitmap_to_bgr(arr: np.ndarray, mode: str | None = None) -> np.ndarray:
    if arr.ndim == 2:
        return cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR)
    if arr.shape[2] == 1:
        return cv2.cvtColor(arr[..., 0], cv2.COLOR_GRAY2BGR)
    if arr.shape[2] == 4:
        if mode and mode.upper().startswith("RGB"):
            return cv2.cvtColor(arr, cv2.COLOR_RGBA2BGR)
        return np.ascontiguousarray(arr[..., :3])
    if mode and mode.upper().startswith("RGB"):
        return cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)
    return np.ascontiguousarray(arr)


def _render(page, dpi: float) -> np.ndarray:
    bm = page.render(scale=dpi / 72.0, grayscale=False)
    arr = bm.to_numpy()
    return _bitmap_to_bgr(arr, getattr(bm, "mode", None))


def _pdf_page_image(path: Path, page, facts: _PageFacts, settings: Settings, dpi: float | None = None) -> tuple[np.ndarray, float]:
    """The page as BGR and its dpi: the embedded scan at native resolution (capped), or a render."""
    pw, ph = page.get_size()
    if dpi is None:
        if facts.kind == "scan" and facts.native_dpi:
            dpi = min(float(settings.layout.max_scan_dpi), round(facts.native_dpi))
        else:
            dpi = float(settings.layout.render_dpi)
    w, h = int(round(pw * dpi / 72.0)), int(round(ph * dpi / 72.0))
    if w * h > settings.limits.max_page_pixels:
        raise InputFileError(str(path), f"page is {w}x{h} pixels at {dpi:g} dpi, over the limit of {settings.limits.max_page_pixels}")
    if facts.image is not None:
        try:
            bm = facts.image.get_bitmap(render=False)
            img = _bitmap_to_bgr(bm.to_numpy(), getattr(bm, "mode", None))
            if img.shape[1] != w or img.shape[0] != h:
                interp = cv2.INTER_AREA if img.shape[1] > w else cv2.INTER_CUBIC
                img = cv2.resize(img, (w, h), interpolation=interp)
            return img, dpi
        except Exception:
            pass  # unusual image encodings: let pdfium draw it
    return _render(page, dpi), dpi


# --------------------------------------------------------------------------- images
def _open_image(path: Path, settings: Settings):
    from PIL import Image

    _check_size(path, settings)
    Image.MAX_IMAGE_PIXELS = int(settings.limits.max_page_pixels)
    try:
        im = Image.open(path)
        im.load()
    except Image.DecompressionBombError as e:
        raise InputFileError(str(path), f"image is over the pixel limit of {settings.limits.max_page_pixels}") from e
    except Exception as e:
        raise InputFileError(str(path), f"corrupt or unreadable image ({e})") from e
    n = getattr(im, "n_frames", 1)
    if n > settings.limits.max_pages:
        raise InputFileError(str(path), f"image has {n} pages, over the limit of {settings.limits.max_pages}")
    return im


def _frame_to_bgr(im) -> np.ndarray:
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.float32)
        arr = (255.0 * (arr - arr.min()) / max(1.0, float(arr.max() - arr.min()))).astype(np.uint8)
        return cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR)
    if mode == "1" or mode == "L":
        return cv2.cvtColor(np.asarray(im.convert("L")), cv2.COLOR_GRAY2BGR)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in im.info):
        from PIL import Image

        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        bg.alpha_composite(rgba)
        return cv2.cvtColor(np.asarray(bg.convert("RGB")), cv2.COLOR_RGB2BGR)
    return cv2.cvtColor(np.asarray(im.convert("RGB")), cv2.COLOR_RGB2BGR)


def _image_dpi(im) -> float:
    """The file's dpi, or a guess that makes the longer side an A4 page's 11.69 in."""
    dpi = im.info.get("dpi")
    try:
        d = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        d = 0.0
    if 50 <= d <= 1200:
        return d
    return round(max(im.size) / 11.69)


def _image_frame(path: Path, im, index: int, settings: Settings, dpi: float | None = None) -> tuple[np.ndarray, float]:
    im.seek(index)
    native = _image_dpi(im)
    w, h = im.size
    if w * h > settings.limits.max_page_pixels:
        raise InputFileError(str(path), f"image page {index + 1} is {w}x{h} pixels, over the limit of {settings.limits.max_page_pixels}")
    img = _frame_to_bgr(im)
    target = dpi if dpi is not None else min(native, float(settings.layout.max_scan_dpi))
    if abs(target - native) > 0.5:
        s = target / native
        img = cv2.resize(img, (max(1, int(round(w * s))), max(1, int(round(h * s)))),
                         interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    return img, float(target)


# --------------------------------------------------------------------------- public API
def iter_page_images(path: str | Path, settings: Settings, kinds: Iterable[str] | None = None) -> Iterator[PageImage]:
    """Page images of a PDF or image file, in page order. ``kinds`` limits which PDF pages
    are drawn (e.g. {"scan", "render"}: text pages are left to the text reader).

    Raises InputFileError for missing/empty/corrupt/encrypted files, files over the limits,
    and PDFs with neither a text layer nor anything drawn."""
    p = Path(path)
    fmt = sniff_format(p)
    want = set(kinds) if kinds is not None else None
    if fmt == "pdf":
        with PDFIUM_LOCK:  # held inside pdfium only, never across a yield
            pdf = _open_pdf(p, settings)
        try:
            with PDFIUM_LOCK:
                facts = [_page_facts(pdf[i], settings.text_layer) for i in range(len(pdf))]
            if all(f.kind == "empty" for f in facts):
                raise InputFileError(str(p), "PDF has no text layer and no images (nothing to read)")
            for i, f in enumerate(facts):
                if want is not None and f.kind not in want:
                    continue
                if f.kind == "empty":
                    continue
                with PDFIUM_LOCK:
                    img, dpi = _pdf_page_image(p, pdf[i], f, settings)
                yield PageImage(i + 1, img, dpi, f.kind)
        finally:
            with PDFIUM_LOCK:
                pdf.close()
        return
    if fmt in IMAGE_FORMATS:
        im = _open_image(p, settings)
        try:
            for i in range(getattr(im, "n_frames", 1)):
                img, dpi = _image_frame(p, im, i, settings)
                yield PageImage(i + 1, img, dpi, "image")
        finally:
            im.close()
        return
    raise InputFileError(str(p), f"not a PDF or image file (format: {fmt})")


def render_page(path: str | Path, page_number: int, dpi: float, rotation: int = 0, skew: float = 0.0, *,
                settings: Settings, warp=None) -> np.ndarray:
    """Page ``page_number`` (1-based) of a PDF or image file as a BGR image at ``dpi``; with a
    page's recorded ``rotation``/``skew`` (``PageInfo``) applied, boxes of a report line up.
    A photographed page's ``warp`` (``PageInfo.warp``) replays how it was flattened: the
    file's page is drawn at the warp's source dpi and mapped onto the flat page."""
    if warp is not None:
        dpi = warp.source_dpi
    p = Path(path)
    fmt = sniff_format(p)
    if fmt == "pdf":
        with PDFIUM_LOCK:  # review and workbench crops are drawn on the server's threads
            pdf = _open_pdf(p, settings)
            try:
                if not 1 <= page_number <= len(pdf):
                    raise InputFileError(str(p), f"no page {page_number} (PDF has {len(pdf)})")
                page = pdf[page_number - 1]
                img, _ = _pdf_page_image(p, page, _page_facts(page, settings.text_layer), settings, dpi=float(dpi))
            finally:
                pdf.close()
    elif fmt in IMAGE_FORMATS:
        im = _open_image(p, settings)
        try:
            n = getattr(im, "n_frames", 1)
            if not 1 <= page_number <= n:
                raise InputFileError(str(p), f"no page {page_number} (image has {n})")
            img, _ = _image_frame(p, im, page_number - 1, settings, dpi=float(dpi))
        finally:
            im.close()
    else:
        raise InputFileError(str(p), f"not a PDF or image file (format: {fmt})")
    if warp is not None:
        from nianbao.layout.page import redo_page_warp

        return redo_page_warp(img, warp, rotation, skew)
    return apply_upright(img, rotation, skew) if (rotation or skew) else img
