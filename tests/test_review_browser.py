"""Drive the review page in a real headless browser (Debian's chromium through Playwright):
open the queue, correct the misread cell by keyboard, watch the broken rule hold, undo and
redo, then check the audit log and the export carry the correction.

Set NIANBAO_REVIEW_SCREENSHOTS=docs/img to refresh the screenshots in the docs.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from nianbao.corrections import load_corrections
from nianbao.review import create_app
from nianbao.review.demo import make_demo

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install 'nianbao[review-test]'")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium missing: apt-get install chromium", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(tmp_path):
    import uvicorn

    result = make_demo(tmp_path / "results")
    app = create_app([result.parent], threshold=0.9, user=lambda req: "browser-tester")
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    deadline = time.time() + 15
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started
    yield f"http://127.0.0.1:{port}", result
    srv.should_exit = True
    th.join(5)


@pytest.fixture()
def page():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1360, "height": 1000}, device_scale_factor=1)
        # nothing but the local server may be reached
        pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1:")
                 else route.abort())
        yield pg
        browser.close()


def _shot(pg, name: str, tmp: Path) -> None:
    docs = os.environ.get("NIANBAO_REVIEW_SCREENSHOTS")
    out = Path(docs or tmp)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"review-{name}.png"
    pg.screenshot(path=str(path), full_page=False)
    if docs:  # keep the committed pictures small: 64-colour palette
        from PIL import Image

        with Image.open(path) as im:
            small = im.convert("RGB").quantize(colors=64)
        small.save(path, optimize=True)


def test_keyboard_correction_end_to_end(server, page, tmp_path):
    base, result = server
    pg = page
    pg.goto(f"{base}/review/")
    assert "Review queue" in pg.inner_text("h1")
    first = pg.locator("#items tr.item").first
    assert "new_received · natural_person" in first.inner_text()
    _shot(pg, "queue", tmp_path)

    # Enter on the queue opens the lowest-confidence open cell: the misread 12 (read 17)
    pg.keyboard.press("Enter")
    pg.wait_for_url("**/cell/demo/applications/new_received/natural_person")
    balance = pg.locator('#rules li[data-rule="applications.balance"]')
    assert "broken" in balance.inner_text() and "17 + 1 ≠ 11 + 2" in balance.inner_text()
    pg.wait_for_function("document.getElementById('crop').naturalWidth > 0")
    assert pg.locator("#value").evaluate("el => el === document.activeElement")
    _shot(pg, "cell", tmp_path)

    # typing a number and Enter corrects; the page moves on and shows the rules that now hold
    pg.keyboard.type("12")
    pg.keyboard.press("Enter")
    pg.wait_for_url(lambda url: "new_received/natural_person" not in url)
    flash = pg.locator("#flash")
    flash.wait_for(state="visible")
    text = flash.inner_text()
    assert "Corrected applications.new_received.natural_person: 17 → 12" in text
    assert "now holds" in text and "12 + 1 = 11 + 2" in text and "0 broken" in text
    _shot(pg, "after-correction", tmp_path)

    # u undoes it: back on the cell, the rule broken again
    pg.keyboard.press("u")
    pg.wait_for_url("**/cell/demo/applications/new_received/natural_person")
    pg.locator("#flash").wait_for(state="visible")
    assert "now broken" in pg.inner_text("#flash")
    assert "broken" in pg.locator('#rules li[data-rule="applications.balance"]').inner_text()

    # correct again, then accept the next cell with a bare Enter
    pg.keyboard.type("12")
    pg.keyboard.press("Enter")
    pg.wait_for_url(lambda url: "new_received/natural_person" not in url)
    accepted_url = pg.url
    pg.locator("#flash").wait_for(state="visible")
    pg.keyboard.press("Enter")
    pg.wait_for_url(lambda url: url != accepted_url)

    # arrows move through the queue
    here = pg.url
    pg.keyboard.press("ArrowUp")
    pg.wait_for_url(lambda url: url != here)
    assert pg.url == accepted_url
    assert "accepted by browser-tester" in pg.inner_text("#value-now")

    # the page view shows every cell over the scan, coloured, clickable
    pg.keyboard.press("p")
    pg.wait_for_url("**/page/demo/1**")
    pg.wait_for_function("document.querySelector('.sheet img').naturalWidth > 0")
    assert pg.locator(".sheet a.box").count() == 175
    assert pg.locator(".sheet a.box.c-correct").count() == 1
    _shot(pg, "page", tmp_path)
    pg.locator('.sheet a.box.c-correct').click()
    pg.wait_for_url("**/cell/demo/applications/new_received/natural_person")

    # the audit log: correct, undo, correct, accept — who, old, new, machine value, confidence
    events = load_corrections(result)
    assert [e.action for e in events] == ["correct", "undo", "correct", "accept"]
    assert {e.who for e in events} == {"browser-tester"}
    fix = events[2]
    assert (fix.old_value, fix.new_value, fix.machine_value) == (17, 12, 17) and fix.machine_confidence < 0.5
    pg.goto(f"{base}/review/log/demo")
    assert pg.locator("#log tbody tr").count() == 4
    _shot(pg, "log", tmp_path)

    # the export applies and marks the correction
    with urllib.request.urlopen(f"{base}/review/export/demo.csv") as r:
        rows = list(csv.DictReader(io.StringIO(r.read().decode("utf-8"))))
    row = next(x for x in rows if (x["row"], x["col"]) == ("new_received", "natural_person"))
    assert float(row["value"]) == 12 and row["review"] == "corrected" and float(row["machine_value"]) == 17
    # the machine's JSON still says 17
    assert '"text": "17"' in result.read_text("utf-8")
    shutil.rmtree(tmp_path / "results", ignore_errors=True)
