"""Drive the review page in a real headless browser (Debian's chromium through Playwright):
open the queue, correct the misread cell by keyboard, watch the broken rule hold, undo and
redo, then check the audit log and the export carry the correction.

Set NIANBAO_REVIEW_SCREENSHOTS=docs/img to refresh the screenshots in the docs.
"""

from __future__ import annotations

import csv
import io
import shutil
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from nianbao.corrections import load_corrections
from nianbao.review import create_app
from nianbao.review.demo import make_demo
from browser_util import ARGS, CHROMIUM, local_only, serving, shot

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install 'nianbao[review-test]'")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium missing: apt-get install chromium", allow_module_level=True)


@contextmanager
def _serving(results: list[Path]):
    """The review app on a free 127.0.0.1 port in a thread; yields the base URL."""
    app = create_app(results, threshold=0.9, user=lambda req: req.headers.get("X-User", "browser-tester"))
    with serving(app) as base:
        yield base


@pytest.fixture()
def server(tmp_path):
    result = make_demo(tmp_path / "results")
    with _serving([result.parent]) as base:
        yield base, result


@pytest.fixture()
def page():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1360, "height": 1000}, device_scale_factor=1)
        local_only(pg)
        yield pg
        browser.close()


def _shot(pg, name: str, tmp: Path) -> None:
    shot(pg, f"review-{name}", tmp)


def test_keyboard_correction_end_to_end(server, page, tmp_path):
    base, result = server
    pg = page
    pg.goto(f"{base}/review/")
    assert "复核队列" in pg.inner_text("h1")
    first = pg.locator("#items tr.item").first
    assert "一、本年新收政府信息公开申请数量 行 · 自然人 列" in first.inner_text()
    _shot(pg, "queue", tmp_path)

    # Enter on the queue opens the lowest-confidence open cell: the misread 12 (read 17)
    pg.keyboard.press("Enter")
    pg.wait_for_url("**/cell/demo/applications/new_received/natural_person")
    balance = pg.locator('#rules li[data-rule="applications.balance"]')
    assert "不成立" in balance.inner_text() and "17 + 1 ≠ 11 + 2" in balance.inner_text()
    pg.wait_for_function("document.getElementById('crop').naturalWidth > 0")
    assert pg.locator("#value").evaluate("el => el === document.activeElement")
    _shot(pg, "cell", tmp_path)

    # typing a number and Enter corrects; the page moves on and shows the rules that now hold
    pg.keyboard.type("12")
    pg.keyboard.press("Enter")
    pg.wait_for_url(lambda url: "new_received/natural_person" not in url)
    flash = pg.locator("#flash")
    flash.wait_for(state="visible")
    pg.wait_for_function("!document.getElementById('crop') || document.getElementById('crop').complete")
    text = flash.inner_text()
    assert "已更正 表三 一、本年新收政府信息公开申请数量 行 · 自然人 列：17 → 12" in text
    assert "现在成立" in text and "12 + 1 = 11 + 2" in text and "0 条不成立" in text
    _shot(pg, "after-correction", tmp_path)

    # u undoes it: back on the cell, the rule broken again
    pg.keyboard.press("u")
    pg.wait_for_url("**/cell/demo/applications/new_received/natural_person")
    pg.locator("#flash").wait_for(state="visible")
    assert "现在不成立" in pg.inner_text("#flash")
    assert "不成立" in pg.locator('#rules li[data-rule="applications.balance"]').inner_text()

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
    assert "已确认无误，browser-tester" in pg.inner_text("#value-now")

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

    # two reviewers: someone else corrects a cell while this page shows it -> 409, nothing lost
    pg.goto(f"{base}/review/cell/demo/applications/carried_forward/other_org")
    req = urllib.request.Request(f"{base}/review/api/cell/demo/applications/carried_forward/other_org",
                                 data=b'{"action": "correct", "value": "1", "version": 4}', method="POST",
                                 headers={"Content-Type": "application/json", "X-User": "other-reviewer"})
    with urllib.request.urlopen(req) as r:
        assert r.status == 200
    pg.keyboard.press("Enter")  # accept the 0 this page still shows
    pg.wait_for_function("document.getElementById('msg').textContent.includes('未保存')")
    assert "other-reviewer" in pg.inner_text("#msg") and "现值为 1" in pg.inner_text("#msg")
    assert [e.who for e in load_corrections(result)][-1] == "other-reviewer"

    # the export applies and marks the correction
    with urllib.request.urlopen(f"{base}/review/export/demo.csv") as r:
        rows = list(csv.DictReader(io.StringIO(r.read().decode("utf-8"))))
    row = next(x for x in rows if (x["row"], x["col"]) == ("new_received", "natural_person"))
    assert float(row["value"]) == 12 and row["review"] == "corrected" and float(row["machine_value"]) == 17
    # the machine's JSON still says 17
    assert '"text": "17"' in result.read_text("utf-8")
    shutil.rmtree(tmp_path / "results", ignore_errors=True)


SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "samples" / "009.pdf"


@pytest.mark.slow
@pytest.mark.skipif(not SAMPLE.exists(), reason="fixtures/samples/009.pdf not generated")
def test_scanned_sample_correction_in_browser(page, tmp_path):
    """A committed scanned sample, parsed the way ``nianbao review x.pdf`` does (OCR, ~1 min), with
    one misreading put into the result (89 printed, 39 read) the way OCR makes them: the reviewer
    sees the printed 89 in the crop, types it, and the two broken rules hold again."""
    from nianbao.checks import run_checks
    from nianbao.models import Report, load_template
    from nianbao.review import resolve_results

    (result,) = resolve_results(SAMPLE, tmp_path / "work")
    report = Report.model_validate_json(result.read_text("utf-8"))
    cell = report.table("applications").cell("new_received", "natural_person")
    assert cell.value == 89 and cell.page and cell.bbox  # what the parser reads from the scan
    # lower than any cell the parser itself leaves unsure, so it heads the queue
    cell.value, cell.text, cell.confidence, cell.read_confidence = 39, "39", 0.01, 0.01
    cell.reasons = ["OCR read confidence 0.01 (misreading put in by the test)"]
    report.checks = run_checks(report, load_template(report.template_version))
    result.write_text(report.model_dump_json(indent=1), encoding="utf-8")

    with _serving([result]) as base:
        pg = page
        pg.goto(f"{base}/review/")
        assert "一、本年新收政府信息公开申请数量 行 · 自然人 列" in pg.locator("#items tr.item").first.inner_text()
        pg.keyboard.press("Enter")
        pg.wait_for_url("**/applications/new_received/natural_person")
        pg.wait_for_function("document.getElementById('crop').naturalWidth > 0")
        rules = pg.inner_text("#rules")
        assert "不成立" in rules and "39 + 7" in rules
        _shot(pg, "scan-cell", tmp_path)
        pg.keyboard.type("89")
        pg.keyboard.press("Enter")
        pg.locator("#flash").wait_for(state="visible")
        flash = pg.inner_text("#flash")
        assert "39 → 89" in flash and flash.count("现在成立") == 2
        pg.wait_for_function("!document.getElementById('crop') || document.getElementById('crop').complete")
        _shot(pg, "scan-after-correction", tmp_path)
        (ev,) = load_corrections(result)
        assert (ev.action, ev.old_value, ev.new_value, ev.machine_value) == ("correct", 39, 89, 39)
        with urllib.request.urlopen(f"{base}/review/export/{result.stem}.csv") as r:
            rows = list(csv.DictReader(io.StringIO(r.read().decode("utf-8"))))
        row = next(x for x in rows if (x["table"], x["row"], x["col"]) == ("applications", "new_received", "natural_person"))
        assert float(row["value"]) == 89 and row["review"] == "corrected"
