"""Make the photo test images from a page of a committed sample report: the page photographed
on a desk (perspective, a few degrees of turn, page curl, light gradient, soft shadow, wood
texture, JPEG) and the same page as a small grey flatbed scan; plus the page's truth values.

Run: python tests/data/photo/make_photos.py  (reads fixtures/samples; deterministic)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np

from nianbao.ingest import iter_page_images
from nianbao.settings import Settings

HERE = Path(__file__).parent
SAMPLES = HERE.parents[2] / "fixtures" / "samples"


def desk(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Wood-like desk: brown, streaked along x, grainy."""
    streak = cv2.resize(rng.normal(0, 1, (h // 8 + 1, 6)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    grain = rng.normal(0, 6, (h, w)).astype(np.float32)
    base = np.array([70, 105, 150], np.float32)  # BGR
    img = base[None, None, :] + (18 * streak + grain)[..., None]
    return np.clip(img, 0, 255)


def photograph(page: np.ndarray, rng: np.random.Generator, long_side: int = 1600, curl: float = 0.012,
               jitter: float = 0.03, turn_deg: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """A phone photo of ``page`` (BGR): curled, in perspective on a desk, unevenly lit; and
    where the flat page's corners (tl, tr, br, bl) landed in it (before the curl)."""
    ph, pw = page.shape[:2]
    oh, ow = long_side, int(long_side * 0.75)
    # where the page's corners land in the photo
    s = 0.85 * min(oh / ph, ow / pw)
    cw, chh = pw * s, ph * s
    cx, cy = ow / 2, oh / 2
    rect = np.array([[-cw / 2, -chh / 2], [cw / 2, -chh / 2], [cw / 2, chh / 2], [-cw / 2, chh / 2]], np.float32)
    a = np.radians(rng.uniform(-turn_deg, turn_deg))
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], np.float32)
    dst = rect @ rot.T + np.array([cx, cy], np.float32)
    dst += rng.uniform(-jitter, jitter, (4, 2)).astype(np.float32) * np.array([ow, oh], np.float32)
    src = np.array([[0, 0], [pw - 1, 0], [pw - 1, ph - 1], [0, ph - 1]], np.float32)
    hinv = cv2.getPerspectiveTransform(dst, src)  # photo -> curled page
    gx, gy = np.meshgrid(np.arange(ow, dtype=np.float32), np.arange(oh, dtype=np.float32))
    den = hinv[2, 0] * gx + hinv[2, 1] * gy + hinv[2, 2]
    xc = (hinv[0, 0] * gx + hinv[0, 1] * gy + hinv[0, 2]) / den
    yc = (hinv[1, 0] * gx + hinv[1, 1] * gy + hinv[1, 2]) / den
    # curl: the page's lines bow, more towards the bottom (the paper lifts there)
    u = 2 * xc / pw - 1
    v = yc / ph
    yp = yc - curl * ph * (u * u - 0.3) * (0.4 + 0.6 * v)
    xp = xc + 0.25 * curl * pw * u * v * v
    inside = ((xp >= 0) & (xp <= pw - 1) & (yp >= 0) & (yp <= ph - 1)).astype(np.float32)
    warped = cv2.remap(page, xp.astype(np.float32), yp.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    inside = cv2.GaussianBlur(inside, (3, 3), 0)[..., None]
    img = warped * inside + desk(oh, ow, rng) * (1 - inside)
    # light: a gradient across the frame and a soft shadow from one side
    ang = rng.uniform(0, 2 * np.pi)
    grad = 0.82 + 0.18 * (np.cos(ang) * (gx / ow - 0.5) + np.sin(ang) * (gy / oh - 0.5) + 0.5)
    edge = rng.uniform(0.15, 0.3) * ow
    shadow = 1 - 0.28 * np.clip(1 - gx / edge, 0, 1) ** 1.5
    shadow = cv2.GaussianBlur(shadow.astype(np.float32), (0, 0), 25)
    img = img * (grad * shadow)[..., None] + rng.normal(0, 3, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), dst


def _page(name: str, number: int) -> np.ndarray:
    return next(p.image for p in iter_page_images(SAMPLES / f"{name}.pdf", Settings()) if p.number == number)


def _truth_rows(name: str, table: str, first: str, last: str) -> list[list[str]]:
    """Values of ``table``'s rows ``first``..``last`` (truth order) from a sample's truth CSV."""
    rows: dict[str, list[str]] = {}
    with open(SAMPLES / f"{name}.truth.csv", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            if rec["table"] == table:
                rows.setdefault(rec["row"], []).append(rec["value"])
    ids = list(rows)
    return [rows[r] for r in ids[ids.index(first):ids.index(last) + 1]]


def main() -> None:
    rng = np.random.default_rng(14)
    # sample 002, page 4: a page that is all applications matrix, rows 予以公开 .. 要求行政机关确认
    page = _page("002", 4)
    values = _truth_rows("002", "applications", "disclosed", "rejected_confirm_reissue")
    # photographed with curl, perspective, a few degrees of turn, uneven light, on a desk
    photo, corners = photograph(page, rng, long_side=1600, curl=0.014)
    cv2.imwrite(str(HERE / "phone_applications.jpg"), photo, [cv2.IMWRITE_JPEG_QUALITY, 55])
    # the same page as a grey 150 dpi flatbed scan (turned each way by the tests)
    small = cv2.cvtColor(cv2.resize(page, None, fx=0.75, fy=0.75, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    cv2.imwrite(str(HERE / "applications_page.jpg"), small, [cv2.IMWRITE_JPEG_QUALITY, 65])
    made = {"source": "fixtures/samples/002.pdf page 4", "applications_rows": values,
            "phone_applications.jpg": "phone photo (curl 1.4 %, corners moved up to 3 %, turn up to 3°)",
            "phone_corners": [[round(float(x), 1), round(float(y), 1)] for x, y in corners],
            "applications_page.jpg": "flatbed, grey, 150 dpi"}
    # a page on a pale table top under a strong shadow (the benchmark's phone capture model):
    # paper and desk close in tone, so the page is found by its edges
    import sys

    sys.path.insert(0, str(SAMPLES.parent))
    import pypdfium2 as pdfium
    from fx_capture import phone_page, phone_params, render_rgb

    pdf = pdfium.PdfDocument(SAMPLES / "001.pdf")
    clean = render_rgb(pdf[2], 150)
    pdf.close()
    for seed in range(100, 400):
        r = np.random.default_rng(seed)
        rep = phone_params(r, {"long_side_px": 1400})
        img, rec = phone_page(clean, r, rep)
        if rec["desk"] == "pale" and rec["shadow_strength"] >= 0.3:
            break
    cv2.imwrite(str(HERE / "phone_pale_desk.jpg"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 50])
    made["phone_pale_desk.jpg"] = f"fixtures/samples/001.pdf page 3 through fx_capture.phone_page (seed {seed})"
    made["pale_desk_corners"] = rec["page_corners_px"]
    (HERE / "photos.json").write_text(json.dumps(made, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
