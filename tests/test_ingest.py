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
from archives import zip_bytes

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
        list(iter_page_images(empty, Settings()))


def test_bad_pdfs_raise_clear_errors(tmp_path):
    with pytest.raises(InputFileError, match="encrypted"):
        pdf_page_kinds(DATA / "encrypted.pdf", Settings())
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.4\n garbage garbage \n%%EOF")
    with pytest.raises(InputFileError, match="corrupt"):
        list(iter_page_images(corrupt, Settings()))
    with pytest.raises(InputFileError, match="no text layer and no images"):
        list(iter_page_images(DATA / "blank_page.pdf", Settings()))


def test_scan_pdf_page_at_native_resolution(scan_pdf):
    assert pdf_page_kinds(scan_pdf, Settings()) == ["scan"]
    pages = list(iter_page_images(scan_pdf, Settings()))
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
    kinds = pdf_page_kinds(SAMPLES / "000.pdf", Settings())
    assert kinds and set(kinds) == {"text"}
    # text pages are left to the text reader unless asked for
    assert list(iter_page_images(SAMPLES / "000.pdf", Settings(), kinds={"scan", "render"})) == []


def test_multipage_tiff_and_limits(tmp_path, page_rgb):
    tif = tmp_path / "two.tif"
    page_rgb.save(tif, dpi=(150, 150), save_all=True, append_images=[page_rgb.rotate(90, expand=True)])
    pages = list(iter_page_images(tif, Settings()))
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
    img = render_page(scan_pdf, 1, 100, settings=Settings())
    assert img.shape[:2] == (1169, 827)
    turned = render_page(scan_pdf, 1, 100, rotation=90, skew=1.0, settings=Settings())
    assert turned.shape[:2] == (827, 1169)
    with pytest.raises(InputFileError, match="no page 2"):
        render_page(scan_pdf, 2, 100, settings=Settings())


# ---------------------------------------------------------------- archives (issue 15 #4)


def test_zip_of_many_small_members_is_refused_by_its_whole_expansion_ratio(tmp_path):
    """300 members of 1 MiB zeros: no single member is over 1 MiB, so a per-member ratio check
    let it through (301 MB from a 339 kB zip); the whole archive's ratio refuses it."""
    from nianbao.ingest import ArchiveRejected, open_archive

    limits = Settings().limits
    path = tmp_path / "many.zip"
    path.write_bytes(zip_bytes({f"r{i:03d}.txt": b"\0" * (1 << 20) for i in range(300)}))
    assert path.stat().st_size < 1 << 20
    with pytest.raises(ArchiveRejected, match="as a whole") as info:
        open_archive(path, limits)
    assert info.value.over_limit and str(path) in str(info.value)
    # an ordinary zip of a few reports passes and lists its files
    ok = tmp_path / "ok.zip"
    ok.write_bytes(zip_bytes({"a/报告一.txt": "一、总体情况".encode() * 50, "b.txt": b"2023"}))
    zf, members = open_archive(ok, limits)
    with zf:
        assert [m.filename for m in members] == ["a/报告一.txt", "b.txt"]


def _docx_with_document_xml(path: Path, xml: bytes) -> None:
    path.write_bytes(zip_bytes({
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "word/document.xml": xml}))


def test_docx_whose_xml_expands_hugely_is_refused_before_python_docx_opens_it(tmp_path, monkeypatch):
    """A small .docx whose XML is hundreds of MB of whitespace took python-docx to 898 MB RSS:
    the .docx goes through the same archive guard first, and python-docx is never called."""
    import nianbao.readers.docx as docx_reader
    from nianbao.errors import InputFileError
    from nianbao.pipeline import parse_file

    path = tmp_path / "bomb.docx"
    _docx_with_document_xml(path, b"<w:document>" + b" " * (120 << 20) + b"</w:document>")
    assert sniff_format(path) == "docx" and path.stat().st_size < 1 << 20

    def never(*_a, **_k):
        raise AssertionError("python-docx opened a refused file")

    monkeypatch.setattr(docx_reader, "read_docx", never)
    with pytest.raises(InputFileError, match="expands") as info:
        parse_file(path)
    assert str(path) in str(info.value)
    # the whole-archive total for a .docx is its own (smaller) limit, ratio or not
    import os

    from nianbao.settings import Limits

    plain = tmp_path / "big.docx"
    _docx_with_document_xml(plain, b"<w:document>" + os.urandom(3 << 20).hex().encode() + b"</w:document>")
    with pytest.raises(InputFileError, match="more than 2 MB"):
        parse_file(plain, Settings(limits=Limits(max_docx_uncompressed_mb=2)))


# ---------------------------------------------------------------- early stop (issue 15 #5)


def _latin_pdf(path: Path, pages: int) -> None:
    """A PDF with a real text layer of Latin prose on every page (Helvetica, no fonts embedded)."""
    line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor."
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for _ in range(pages):
        stream = b"BT /F1 11 Tf 60 780 Td 14 TL " + b" ".join(b"(" + line + b") '" for _ in range(40)) + b" ET"
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content = len(objs)
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                    b"/Resources << /Font << /F1 3 0 R >> >> >>" % content)
        kids.append(len(objs))
    objs[1] = b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))


def test_latin_text_pdf_is_refused_after_its_first_pages_not_after_ocr_of_all(tmp_path, monkeypatch):
    """A 150-page Latin-text PDF was OCR'd page by page for 207 s before 'not a report'; its
    first pages show no sign of the template, so parsing stops there (no OCR at all)."""
    import nianbao.pipeline as pipeline
    from nianbao.errors import NotAReportError

    path = tmp_path / "latin.pdf"
    _latin_pdf(path, 60)
    assert pdf_page_kinds(path, Settings())[:3] == ["text"] * 3

    def no_ocr(*_a, **_k):
        raise AssertionError("OCR ran on a file whose first pages show no sign of the template")

    monkeypatch.setattr(pipeline, "_read_scanned", no_ocr)
    with pytest.raises(NotAReportError, match="没有政府信息公开工作年度报告的迹象") as info:
        pipeline.parse_file(path)
    assert "no sign of" in str(info.value) and str(path) in str(info.value)


def test_early_stop_leaves_chinese_and_scanned_pdfs_alone(tmp_path, scan_pdf):
    from nianbao.ingest import no_template_sign

    assert no_template_sign(scan_pdf, 3, Settings().text_layer) is None  # no text layer: nothing to judge by
    for pdf in sorted(SAMPLES.glob("*.pdf"))[:2]:
        assert no_template_sign(pdf, 3, Settings().text_layer) is None
    latin = tmp_path / "latin.pdf"
    _latin_pdf(latin, 2)
    assert no_template_sign(latin, 0, Settings().text_layer) is None  # switched off
    assert no_template_sign(latin, 3, Settings().text_layer)


def test_pages_drawn_on_many_threads_at_once_are_the_pages_drawn_one_by_one():
    """The server draws review and workbench crops on a pool of threads, and pdfium is not
    thread-safe: at once, a sound PDF failed to load ("Data format error") or the process
    aborted. Every use of pdfium on such a thread holds ``fileio.PDFIUM_LOCK``."""
    from concurrent.futures import ThreadPoolExecutor

    s = Settings()
    jobs = [(SAMPLES / name, page) for name in ("000.pdf", "009.pdf") for page in (1, 2)] * 3
    alone = {(p, n): render_page(p, n, 60, settings=s) for p, n in set(jobs)}
    with ThreadPoolExecutor(max_workers=6) as pool:
        drawn = list(pool.map(lambda job: render_page(job[0], job[1], 60, settings=s), jobs))
    assert all(np.array_equal(img, alone[job]) for img, job in zip(drawn, jobs))
