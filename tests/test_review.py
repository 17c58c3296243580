"""The review page's server side: queue, crops, corrections with optimistic concurrency, undo,
rules re-run, audit log and export, over a scanned-looking page with one known misreading."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from nianbao.corrections import apply_corrections, load_corrections, log_path_for
from nianbao.models import Report
from nianbao.review import create_app, discover_results, resolve_results
from nianbao.settings import Settings
from nianbao.review.demo import make_demo

CELL = "/review/api/cell/demo/applications/new_received/natural_person"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    return make_demo(tmp_path_factory.mktemp("demo-src")).parent


@pytest.fixture()
def result(demo_dir, tmp_path) -> Path:
    """A fresh copy of the demo result (the page image stays where the Report points)."""
    shutil.copy(demo_dir / "demo.json", tmp_path / "demo.json")
    (tmp_path / "index.json").write_text(json.dumps({"files": 1}))  # batch index: not a Report
    return tmp_path / "demo.json"


@pytest.fixture()
def client(result) -> TestClient:
    app = create_app([result.parent], threshold=0.9, user=lambda req: req.headers.get("X-User", "tester"))
    return TestClient(app)


def test_discover_skips_non_reports(result):
    assert discover_results([result.parent]) == [result]


def test_queue_lowest_confidence_first_with_counts(client):
    q = client.get("/review/api/queue").json()
    keys = [tuple(it["key"]) for it in q]
    assert keys[0] == ("applications", "new_received", "natural_person")  # the misread, 0.23
    assert ("applications", "partially_disclosed", "natural_person") in keys  # low read confidence only
    # the cells of both broken rules are queued even when read with 0.97
    assert ("applications", "result_total", "natural_person") in keys
    assert ("applications", "new_received", "total") in keys
    confs = [it["confidence"] for it in q]
    assert confs == sorted(confs)
    html = client.get("/review/").text
    assert "本年新收政府信息公开申请数量" in html and "自然人" in html
    assert f">{len(q)}</td>" in html  # queued count per report


def test_cell_view_shows_labels_reasons_and_broken_rule(client):
    html = client.get("/review/cell/demo/applications/new_received/natural_person").text
    assert "一、本年新收政府信息公开申请数量" in html and "自然人" in html
    assert "文字识别把握度 0.46" in html  # the recorded reason, in Chinese
    assert "表三 一、本年新收政府信息公开申请数量 行 · 自然人 列" in html  # Chinese names lead
    assert "17 + 1 ≠ 11 + 2" in html  # applications.balance written with its numbers
    assert "crop/applications/new_received/natural_person.png" in html


def test_crop_keeps_labels_and_header_in_view(client, result):
    r = client.get("/review/img/demo/crop/applications/new_received/natural_person.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    crop = cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_COLOR)
    report = Report.model_validate_json(result.read_text("utf-8"))
    cells = report.table("applications").cells
    x0 = min(c.bbox[0] for c in cells)
    x1 = max(c.bbox[2] for c in cells)
    # wider than the value columns: the label column (≈430 px) is in the crop
    assert crop.shape[1] > (x1 - x0) + 300
    # the red cell box is drawn
    red = (crop[:, :, 2] > 200) & (crop[:, :, 1] < 60) & (crop[:, :, 0] < 60)
    assert red.sum() > 100
    page = client.get("/review/img/demo/page/1.png?w=600")
    assert page.status_code == 200 and cv2.imdecode(np.frombuffer(page.content, np.uint8), 1).shape[1] == 600


def test_correct_reruns_rules_and_logs(client, result):
    machine_before = result.read_bytes()
    r = client.post(CELL, json={"action": "correct", "value": "12", "version": 0}, headers={"X-User": "alice"})
    assert r.status_code == 200, r.text
    body = r.json()
    changed = {(c["rule"], c["subject"]): c for c in body["rule_changes"]}
    bal = changed[("applications.balance", "natural_person")]
    assert bal["before"] == "failed" and bal["status"] == "passed" and bal["equation"] == "12 + 1 = 11 + 2"
    assert changed[("applications.row_total", "new_received")]["status"] == "passed"
    assert body["rules_total"]["failed"] == 0 and body["version"] == 1
    # the machine's reading is untouched; the log has who/when/old/new/machine
    assert result.read_bytes() == machine_before
    (ev,) = load_corrections(result)
    assert (ev.who, ev.action, ev.old_value, ev.new_value, ev.machine_value) == ("alice", "correct", 17, 12, 17)
    assert ev.machine_confidence == pytest.approx(0.23) and ev.at
    # the page for the cell now shows the corrected value and the rule holding
    html = client.get("/review/cell/demo/applications/new_received/natural_person").text
    assert "12 + 1 = 11 + 2" in html and "已更正" in html
    # the queue keeps the cell, marked
    q = client.get("/review/api/queue").json()
    item = next(it for it in q if it["key"] == ["applications", "new_received", "natural_person"])
    assert item["status"] == "corrected" and item["value"] == 12 and item["machine_value"] == 17


def test_stale_write_gets_409_with_current_value(client, result):
    assert client.post(CELL, json={"action": "correct", "value": "12", "version": 0}, headers={"X-User": "alice"}).status_code == 200
    # bob loaded the page at version 0 and now accepts the machine's 17
    r = client.post(CELL, json={"action": "accept", "version": 0}, headers={"X-User": "bob"})
    assert r.status_code == 409
    assert r.json()["value"] == 12 and r.json()["by"] == "alice" and r.json()["version"] == 1
    assert len(load_corrections(result)) == 1
    # a stale version on another cell is fine: nobody touched that one
    other = "/review/api/cell/demo/applications/partially_disclosed/natural_person"
    assert client.post(other, json={"action": "accept", "version": 0}, headers={"X-User": "bob"}).status_code == 200
    # with the current version bob may override, and it is logged as his
    r = client.post(CELL, json={"action": "correct", "value": "13", "version": 2}, headers={"X-User": "bob"})
    assert r.status_code == 200 and r.json()["event"]["old_value"] == 12


def test_undo_restores_and_breaks_rule_again(client, result):
    ev = client.post(CELL, json={"action": "correct", "value": "12", "version": 0}).json()["event"]
    r = client.post("/review/api/undo/demo", json={"event": ev["id"], "version": 1})
    assert r.status_code == 200
    assert r.json()["cell"]["value"] == 17
    assert {(c["rule"], c["status"]) for c in r.json()["rule_changes"]} >= {("applications.balance", "failed")}
    events = load_corrections(result)
    assert [e.action for e in events] == ["correct", "undo"] and events[1].undoes == ev["id"]
    # undoing it twice is stale
    assert client.post("/review/api/undo/demo", json={"event": ev["id"]}).status_code == 409
    fixed, changed = apply_corrections(Report.model_validate_json(result.read_text("utf-8")), events)
    assert not changed and fixed.table("applications").cell("new_received", "natural_person").value == 17


def test_export_carries_correction(client, result):
    client.post(CELL, json={"action": "correct", "value": "12", "version": 0}, headers={"X-User": "alice"})
    r = client.get("/review/export/demo.csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0])[:11] == ["table", "row", "col", "value", "text", "confidence", "page", "x0", "y0", "x1", "y1"]
    row = next(x for x in rows if (x["row"], x["col"]) == ("new_received", "natural_person"))
    assert float(row["value"]) == 12 and row["review"] == "corrected" and float(row["machine_value"]) == 17
    assert row["reviewed_by"].startswith("alice ") and float(row["confidence"]) == 1.0
    assert log_path_for(result).exists()


def test_bad_input_is_refused(client):
    assert client.post(CELL, json={"action": "correct", "value": "twelve", "version": 0}).status_code == 422
    assert client.post(CELL, json={"action": "accept"}).status_code == 422
    assert client.get("/review/cell/nope/applications/new_received/total").status_code == 404
    assert client.get("/review/static/../app.py").status_code == 404


def test_page_view_boxes_and_log_page(client):
    html = client.get("/review/page/demo/1").text
    assert html.count('class="box ') == 25 * 7  # every cell of the 2021 matrix (25 rows)
    assert "c-low" in html and "c-ok" in html
    client.post(CELL, json={"action": "correct", "value": "12", "version": 0}, headers={"X-User": "alice"})
    log = client.get("/review/log/demo").text
    assert "alice" in log and "applications.new_received.natural_person" in log


def test_resolve_reuses_parse_while_input_unchanged(demo_dir, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(demo_dir / "demo.json", work / "demo.json")
    # the stored result names this PNG's sha256, so no parse is needed
    assert resolve_results(demo_dir / "demo.png", work) == [work / "demo.json"]
    assert resolve_results(work / "demo.json") == [work / "demo.json"]


def test_cells_of_a_table_not_found_come_after_located_ones(result):
    from nianbao.models import Cell, Table

    report = Report.model_validate_json(result.read_text("utf-8"))
    report.tables.append(Table(id="reviews_litigation", found=False, cells=[
        Cell(table="reviews_litigation", row="count", col=c, reasons=["table not found in the document"])
        for c in ("review_upheld", "review_corrected", "review_other", "review_pending", "review_total")]))
    result.write_text(report.model_dump_json(indent=1), encoding="utf-8")
    client = TestClient(create_app([result], threshold=0.9))
    q = client.get("/review/api/queue").json()
    located = [it for it in q if it["key"][0] == "applications"]
    missing = [it for it in q if it["key"][0] == "reviews_litigation"]
    assert len(missing) == 5 and q[: len(located)] == located
    assert "表格未找到" in missing[0]["why"][0]
    html = client.get("/review/cell/demo/reviews_litigation/count/review_total").text
    assert "程序没有在任何页面上找到这一格" in html and "/review/page/demo/1" in html
    # a value typed in for a cell the parser never found counts in the rules
    r = client.post("/review/api/cell/demo/reviews_litigation/count/review_total",
                    json={"action": "correct", "value": "0", "version": 0})
    assert r.status_code == 200 and r.json()["cell"]["value"] == 0


def test_batch_export_applies_review_corrections(client, result, tmp_path):
    """``nianbao export`` (nianbao.dataset) replays the same log: the reviewer's value, marked."""
    dataset = pytest.importorskip("nianbao.dataset")
    client.post(CELL, json={"action": "correct", "value": "12", "version": 0}, headers={"X-User": "alice"})
    (result.parent / "index.json").unlink()  # the batch export reads its own index.jsonl or every *.json
    out = tmp_path / "export.csv"
    dataset.export(result.parent, "csv", out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    row = next(x for x in rows if (x["table"], x["row"], x["col"]) == ("applications", "new_received", "natural_person"))
    assert float(row["value"]) == 12 and row["corrected"].lower() in ("true", "1")


def test_cross_site_writes_are_refused(client, result):
    evil = {"Origin": "http://evil.example"}
    assert client.post(CELL, json={"action": "accept", "version": 0}, headers=evil).status_code == 403
    assert client.post(CELL, content=b'{"action":"accept","version":0}',
                       headers={"Content-Type": "text/plain"}).status_code == 422  # no CORS-free form posts
    assert load_corrections(result) == []
    same = {"Origin": "http://testserver"}
    assert client.post(CELL, json={"action": "accept", "version": 0}, headers=same).status_code == 200
    guarded = TestClient(create_app([result], allowed_hosts=["127.0.0.1", "localhost"]), base_url="http://rebound.example")
    assert guarded.get("/review/").status_code == 400


def test_review_and_server_share_one_guard(result):
    """``nianbao review`` is guarded by the server's own checks (nianbao.webguard), not a copy:
    a write a browser marks cross-site is refused, and a loopback address other than 127.0.0.1
    that the page was started on is answered."""
    from nianbao.server.guard import CrossOriginWriteGuard as ServerGuard
    from nianbao.webguard import CrossOriginWriteGuard, trusted_hosts

    app = create_app([result], allowed_hosts=trusted_hosts("127.0.0.2"))
    assert ServerGuard is CrossOriginWriteGuard
    assert CrossOriginWriteGuard in [m.cls for m in app.user_middleware]
    client = TestClient(app, base_url="http://127.0.0.2:8765")
    assert client.get("/review/").status_code == 200
    cross = client.post(CELL, json={"action": "accept", "version": 0}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403 and load_corrections(result) == []
    assert TestClient(app, base_url="http://evil.example").get("/review/").status_code == 400


def test_result_names_with_any_characters(result):
    odd = result.with_name("某县 2021#1.json")
    result.rename(odd)
    client = TestClient(create_app([odd.parent]))
    item = client.get("/review/api/queue").json()[0]
    assert client.get(item["url"]).status_code == 200
    api = item["url"].replace("/review/cell/", "/review/api/cell/")
    ev = client.post(api, json={"action": "correct", "value": "12", "version": 0}).json()["event"]
    rid = item["url"].split("/")[3]
    assert client.post(f"/review/api/undo/{rid}", json={"event": ev["id"]}).status_code == 200
    html = client.get("/review/").text
    assert f'/review/log/{rid}"' in html and len(load_corrections(odd)) == 2


def test_moved_source_says_so(result, tmp_path):
    report = Report.model_validate_json(result.read_text("utf-8"))
    report.source.path = str(tmp_path / "gone.png")
    result.write_text(report.model_dump_json(indent=1), encoding="utf-8")
    client = TestClient(create_app([result]))
    html = client.get("/review/cell/demo/applications/new_received/natural_person").text
    assert "没有页面图片" in html and "gone.png" in html
    assert client.get("/review/img/demo/crop/applications/new_received/natural_person.png").status_code == 404


def test_pictures_found_when_review_runs_from_another_folder(demo_dir, tmp_path, monkeypatch):
    """A result that names its source relatively (as typed at parse time) still gets its crop
    when the review starts elsewhere: the source is looked for beside the result and one folder
    up (a batch folder next to its inputs), and must have the recorded sha256."""
    (tmp_path / "inputs").mkdir()
    (tmp_path / "out").mkdir()
    shutil.copy(demo_dir / "demo.png", tmp_path / "inputs" / "demo.png")
    report = Report.model_validate_json((demo_dir / "demo.json").read_text("utf-8"))
    report.source.path = "inputs/demo.png"
    out = tmp_path / "out" / "demo.json"
    out.write_text(report.model_dump_json(), encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    client = TestClient(create_app([out]))
    html = client.get("/review/cell/demo/applications/new_received/natural_person").text
    assert 'id="crop"' in html and "没有页面图片" not in html
    assert client.get("/review/img/demo/crop/applications/new_received/natural_person.png").status_code == 200
    # a different file under the same name is not taken for the source
    (tmp_path / "inputs" / "demo.png").write_bytes(b"not the scan")
    from nianbao.review import images

    assert images.locate_source(report, out) is None


def test_crop_header_strip_is_the_cells_own_sub_table(monkeypatch):
    """A 第二十条 cell's crop takes its header from its own sub-table (本年收费金额 over a fee
    cell), not from the first sub-table on the page (本年处理决定数量)."""
    from nianbao.models import Cell, PageInfo, SourceInfo, Table
    from nianbao.review import images

    page = np.full((1200, 1000, 3), 255, np.uint8)
    monkeypatch.setattr(images, "report_page_image", lambda report, n, result_path, settings: (page, report.pages[0]))
    seen = []
    monkeypatch.setattr(images, "_table_top", lambda bw, x0, x1, first_row_top, row_h: seen.append(first_row_top) or first_row_top)
    cells = [Cell(table="active_disclosure", row="art20_6.penalty", col="decisions", page=1, bbox=(600, 200, 700, 240)),
             Cell(table="active_disclosure", row="art20_6.coercion", col="decisions", page=1, bbox=(600, 240, 700, 280)),
             Cell(table="active_disclosure", row="art20_8.fees", col="amount", page=1, bbox=(600, 600, 700, 640))]
    report = Report(source=SourceInfo(path="x.pdf", sha256="", size=0, format="pdf-scan"),
                    pages=[PageInfo(number=1, width=1000, height=1200, dpi=150)],
                    tables=[Table(id="active_disclosure", found=True, cells=cells)])
    images.cell_crop(report, cells[2], Settings())
    assert seen == [600]  # the fee table's first row, not the 处理决定 table's (200)
