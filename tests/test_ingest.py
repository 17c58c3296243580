"""Ingest: format sniffing by content, PDF page kinds and images, limits and clear errors."""

from __future__ import annotations

import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from nianbao.errors import InputFileError
from nianbao.ingest import iter_page_images, pdf_page_kinds, render_page, sniff_format
from nianbao.settings import Settings

DATA = Path(__file__).parent / "data"
SCAN_PNG = DATA / "scan" / "applications.png"
SAMPLES = Path(__file__).parent.parent / "fixtures" / "samples"


@pytest.fixture(scope="module")
def page_rgb() -> Image.Image:
    return Image.open(SCAN_PNG).convert("RGB")


@pytest.fixture(scope="module")
def scan_pdf(tmp_path_factory, page_rgb) -> Path:
    p = tmp_path_factory.mktemp("ingest") / "scan.pdf"
    page_rgb.save(p, resolution=150.0)
    return p


def test_sniff_by_content_not_name(tmp_path, page_rgb, scan_pdf):
    cases = {}
    for fmt, ext in (("png", "PNG"), ("jpeg", "JPEG"), ("tiff", "TIFF")):
        f = tmp_path / f"x_{fmt}.dat"
        page_rgb.save(f, format=ext)
        cases[f] = fmt
    docx = tmp_path / "report.pdf"  # wrong extension on purpose
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    cases[docx] = "docx"
    html = tmp_path / "a.txt"
    html.write_text("<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>", encoding="utf-8")
    cases[html] = "html"
    text = tmp_path / "a.html"
    text.write_text("一、总体情况\n本年新收政府信息公开申请数量\t1\t0\n", encoding="utf-8")
    cases[text] = "text"
    cases[scan_pdf] = "pdf"
    for f, fmt in cases.items():
        assert sniff_format(f) == fmt, f


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        sniff_format(tmp_path / "nope.pdf")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty"):
        list(iter_page_images(empty))


def test_bad_pdfs_raise_clear_errors(tmp_path):
    with pytest.raises(InputFileError, match="encrypted"):
        pdf_page_kinds(DATA / "encrypted.pdf")
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.4\n garbage garbage \n%%EOF")
    with pytest.raises(InputFileError, match="corrupt"):
        list(iter_page_images(corrupt))
    with pytest.raises(InputFileError, match="no text layer and no images"):
        list(iter_page_images(DATA / "blank_page.pdf"))


def test_scan_pdf_page_at_native_resolution(scan_pdf):
    assert pdf_page_kinds(scan_pdf) == ["scan"]
    pages = list(iter_page_images(scan_pdf))
    assert len(pages) == 1
    p = pages[0]
    assert (p.number, p.kind, p.dpi) == (1, "scan", 150)
    assert p.image.shape == (1754, 1240, 3)
    ref = cv2.imread(str(SCAN_PNG))
    assert np.abs(p.image.astype(int) - ref.astype(int)).mean() < 2  # the embedded image itself, not a re-render


def test_scan_pdf_downsampled_to_max_scan_dpi(scan_pdf):
    s = Settings()
    s.layout.max_scan_dpi = 100
    p = next(iter_page_images(scan_pdf, s))
    assert p.dpi == 100
    assert abs(p.image.shape[1] - 1240 * 100 / 150) <= 1


def test_text_pdf_pages_are_text():
    kinds = pdf_page_kinds(SAMPLES / "000.pdf")
    assert kinds and set(kinds) == {"text"}
    # text pages are left to the text reader unless asked for
    assert list(iter_page_images(SAMPLES / "000.pdf", kinds={"scan", "render"})) == []


def test_multipage_tiff_and_limits(tmp_path, page_rgb):
    tif = tmp_path / "two.tif"
    page_rgb.save(tif, dpi=(150, 150), save_all=True, append_images=[page_rgb.rotate(90, expand=True)])
    pages = list(iter_page_images(tif))
    assert [p.number for p in pages] == [1, 2]
    assert pages[0].image.shape[:2] == (1754, 1240) and pages[1].image.shape[:2] == (1240, 1754)
    assert pages[0].dpi == 150
    s = Settings()
    s.limits.max_pages = 1
    with pytest.raises(InputFileError, match="over the limit of 1"):
        list(iter_page_images(tif, s))
    s = Settings()
    s.limits.max_page_pixels = 1_000_000
    with pytest.raises(InputFileError, match="pixel"):
        list(iter_page_images(tif, s))
    s = Settings()
    s.limits.max_file_mb = 0
    with pytest.raises(InputFileError, match="MB"):
        list(iter_page_images(tif, s))


def test_render_page_with_recorded_rotation(scan_pdf):
    img = render_page(scan_pdf, 1, 100)
    assert img.shape[:2] == (1169, 827)
    turned = render_page(scan_pdf, 1, 100, rotation=90, skew=1.0)
    assert turned.shape[:2] == (827, 1169)
    with pytest.raises(InputFileError, match="no page 2"):
        render_page(scan_pdf, 2, 100)
