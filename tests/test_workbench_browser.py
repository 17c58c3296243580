"""The office's workbench in a real headless browser (Debian's chromium through Playwright),
against a real `nianbao serve` app with a worker process, on 127.0.0.1 only: drop a zip of
reports → upload and parse progress → the list → filter and search → a report's problems with
the crop of the cells → review a cell by keyboard → the problem list XLSX; and the roster flow
(who has not reported). Inputs are text extracts and a born-digital sample PDF, so it runs in
seconds; one misreading is put into the PDF's result the way OCR makes them, so its report has
problems with page crops.

Set NIANBAO_REVIEW_SCREENSHOTS=docs/img to refresh the screenshots in the docs.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from browser_util import ARGS, CHROMIUM, local_only, serving, shot
from workbench_inputs import BORN_DIGITAL, ROSTER_CSV, reports_zip

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install 'nianbao[review-test]'")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium missing: apt-get install chromium", allow_module_level=True)
if not BORN_DIGITAL.exists():
    pytest.skip("fixtures/samples/000.pdf not generated", allow_module_level=True)

DROP_JS = """([b64, name]) => {
  const bin = atob(b64); const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name, {type: "application/zip"}));
  const zone = document.getElementById("drop");
  zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
  zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
}"""


def _misread(result: Path, key: tuple[str, str, str], delta: int) -> tuple[int, int]:
    """Put one misreading into a stored result (printed v, read v + delta) and re-run the rules."""
    from nianbao.checks import run_checks
    from nianbao.models import CellKind, Report, load_template

    report = Report.model_validate_json(result.read_text("utf-8"))
    cell = report.table(key[0]).cell(key[1], key[2])
    printed = int(cell.value)
    cell.value = printed + delta
    cell.text, cell.confidence, cell.read_confidence = str(printed + delta), 0.31, 0.31
    cell.kind = CellKind.number
    cell.reasons = ["OCR read confidence 0.31"]
    report.checks = run_checks(report, load_template(report.template_version))
    result.write_text(report.model_dump_json(), encoding="utf-8")
    return printed, printed + delta


CLERK_TOKEN = "clerk-token-0123456789"


@pytest.fixture()
def app(tmp_path):
    """The server as an office runs it for several clerks: a token per user, browser login."""
    from nianbao.server.app import ServerConfig, create_app
    from nianbao.server.auth import Users

    users = Users.parse(f"clerk:{CLERK_TOKEN}\n", "test")
    return create_app(ServerConfig(data_dir=tmp_path / "data", workers=1, users=users))


@pytest.fixture()
def page():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(viewport={"width": 1360, "height": 900}, device_scale_factor=1, accept_downloads=True)
        pg = ctx.new_page()
        local_only(pg)
        yield pg
        browser.close()


@pytest.mark.slow
def test_workbench_upload_list_problems_review_xlsx_roster(app, page, tmp_path):
    pg = page
    with serving(app) as base:
        # behind the server's login: the workbench sends the browser to /login, and back after it
        pg.goto(f"{base}/")
        assert "/login?next=" in pg.url
        pg.fill("input[name=token]", CLERK_TOKEN)
        with pg.expect_navigation():
            pg.press("input[name=token]", "Enter")
        assert pg.url == f"{base}/"
        assert "clerk" in pg.inner_text("header form.logout")
        assert "把报告文件或 zip 压缩包拖到这里上传" in pg.inner_text("#drop")

        # drop a zip of 7 files: upload progress, then parse progress, then the list
        pg.evaluate(DROP_JS, [base64.b64encode(reports_zip()).decode(), "各单位年报.zip"])
        pg.locator("#progress").wait_for(state="visible")
        pg.wait_for_function("/解析中|完成/.test(document.getElementById('progress-text').textContent)", timeout=30000)
        shot(pg, "workbench-upload", tmp_path)
        pg.wait_for_function("document.getElementById('drop').dataset.done", timeout=60000)
        pg.wait_for_load_state()
        pg.wait_for_function("document.querySelectorAll('#reports tbody tr[data-sha]').length >= 6", timeout=30000)

        rows = pg.locator("#reports tbody tr[data-sha]")
        assert rows.count() == 6  # the non-report is hidden by default
        assert "显示解析失败的 1 份" in pg.inner_text("#list-summary")

        # one misreading in the PDF's result (as OCR makes them): its report gets problems with crops
        pdf_sha = pg.locator("#reports tr[data-sha]", has_text="石门区东林街道").get_attribute("data-sha")
        result = Path(app.state.paths.result(pdf_sha))
        printed, read = _misread(result, ("applications", "new_received", "natural_person"), 10)
        pg.reload()
        assert pg.locator("#reports tr.st-problems").count() == 3
        shot(pg, "workbench-list", tmp_path)

        # failed parses one click away
        with pg.expect_navigation():
            pg.click("#toggle-failed")
        assert pg.locator("#reports tr.st-failed").count() == 1
        assert "会议纪要.txt" in pg.inner_text("#reports tr.st-failed")
        with pg.expect_navigation():
            pg.click("#toggle-failed")
        assert pg.locator("#reports tr.st-failed").count() == 0

        # filter by status, then search by agency
        with pg.expect_navigation():
            pg.select_option("#f-status", "problems")
        assert "status=problems" in pg.url
        assert pg.locator("#reports tbody tr[data-sha]").count() == 3
        pg.fill("#q", "东林")
        with pg.expect_navigation():
            pg.press("#q", "Enter")
        assert pg.locator("#reports tbody tr[data-sha]").count() == 1
        shot(pg, "workbench-filtered", tmp_path)

        # the report's problems, in words, each with the crop of the cells concerned
        pg.click("#reports td.agency a")
        pg.wait_for_url(f"**/report/{pdf_sha}")
        assert "⚠ 发现 2 个问题" in pg.inner_text("#banner")
        problems = pg.inner_text("#problems")
        assert "表三 一、本年新收政府信息公开申请数量 行 · 总计 列：印刷" in problems
        pg.wait_for_function("[...document.querySelectorAll('#problems img')].every(i => i.complete && i.naturalWidth > 0)")
        assert pg.locator("#problems img").count() == 2
        shot(pg, "workbench-report", tmp_path, full_page=True)

        # into review: correct the misread cell by keyboard; both rules hold again
        pg.locator('#problems a.go[href$="/applications/new_received/natural_person"]').first.click()
        pg.wait_for_url("**/review/cell/**/applications/new_received/natural_person")
        pg.wait_for_function("document.getElementById('crop').naturalWidth > 0")
        assert "文字识别把握度 0.31" in pg.inner_text("#why")
        shot(pg, "workbench-review-cell", tmp_path)
        pg.keyboard.type(str(printed))
        pg.keyboard.press("Enter")
        pg.locator("#flash").wait_for(state="visible")
        assert f"{read} → {printed}" in pg.inner_text("#flash") and "现在成立" in pg.inner_text("#flash")
        pg.goto(f"{base}/report/{pdf_sha}")
        assert pg.inner_text("#problems").count("复核后已成立") == 2
        assert "勾稽关系全部成立" in pg.inner_text("#banner")  # the parser's misreading, not the agency's
        pg.goto(f"{base}/")

        # the problem list the office sends out
        with pg.expect_download() as dl:
            pg.click("#problems-xlsx")
        path = tmp_path / "problems.xlsx"
        dl.value.save_as(path)
        from openpyxl import load_workbook

        rows = list(load_workbook(path).active.iter_rows(values_only=True))
        assert rows[0][:8] == ("机关", "年度", "文件", "问题类别", "表", "行", "列", "印刷数值")
        agencies = {r[0] for r in rows[1:]}
        assert {"贺兰县交通运输局", "贺兰县立岗镇", "石门区东林街道"} <= agencies
        assert any(r[0] == "石门区东林街道" and r[11].startswith("复核后已成立") for r in rows[1:])

        # who has not reported: upload the roster, read the matrix
        pg.goto(f"{base}/roster")
        roster = tmp_path / "名单.csv"
        roster.write_bytes(ROSTER_CSV.encode("gbk"))
        pg.set_input_files("#roster-file", str(roster))
        pg.click("#roster-submit")
        pg.wait_for_selector("#matrix")
        matrix = pg.inner_text("#matrix")
        assert "习岗镇" in matrix and "未报送" in matrix and "有问题" in matrix
        unmatched = pg.inner_text("#unmatched")
        assert "银川市西夏区文昌路街道" in unmatched and "石门区东林街道" in unmatched
        shot(pg, "workbench-roster", tmp_path, full_page=True)

        # 退出登录: the session ends, the pages ask for the login again
        with pg.expect_navigation():
            pg.click("header form.logout button")
        assert "/login" in pg.url
        pg.goto(f"{base}/roster")
        assert "/login?next=" in pg.url
