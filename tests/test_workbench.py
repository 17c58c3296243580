"""The office's workbench at / of nianbao serve, in-process: a zip of reports uploaded through
the API and parsed (the queue drained here, as a worker would), then the list with search and
filters (failed parses hidden by default), a report's problems in Chinese with review links, the
roster matrix with unmatched names shown, the problem XLSX and the Stata file."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import quote

import pytest

pytest.importorskip("fastapi", reason="pip install 'nianbao[server]'")
from fastapi.testclient import TestClient  # noqa: E402

from nianbao.batch import DEFAULT_PARSER, process_file  # noqa: E402
from nianbao.server.app import ServerConfig, create_app  # noqa: E402
from nianbao.server.queue import Queue  # noqa: E402
from workbench_inputs import ROSTER_CSV, reports_zip  # noqa: E402


def drain(app) -> None:
    """Parse every queued file the way a server worker does (in this process, its settings)."""
    paths = app.state.paths
    q = Queue(paths, settings=app.state.config.settings)
    try:
        while (claimed := q.claim("test")) is not None:
            outcome = process_file(str(paths.upload(claimed["sha256"], claimed["suffix"])), DEFAULT_PARSER, None)
            if outcome.get("ok"):
                paths.result(claimed["sha256"]).write_text(outcome.pop("report_json"), encoding="utf-8")
            q.complete(claimed, outcome)
    finally:
        q.close()


@pytest.fixture(scope="module")
def wb(tmp_path_factory):
    data = tmp_path_factory.mktemp("wb") / "data"
    app = create_app(ServerConfig(data_dir=data, workers=0))
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        r = c.post("/v1/jobs", files={"files": ("报告.zip", reports_zip(with_pdf=False), "application/zip")})
        assert r.status_code == 201, r.text
        drain(app)
        yield c


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_list_search_filters_and_hidden_failures(wb):
    html = wb.get("/").text
    text = _text(html)
    assert "贺兰县交通运输局" in text and "会议纪要.txt" not in text  # the failed parse is hidden
    assert "显示解析失败的 1 份" in text
    assert "会议纪要.txt" in _text(wb.get("/?failed=1").text)
    assert text.count("⚠ 有问题") == 2  # 交通运输局 and 立岗镇, marked
    only = _text(wb.get("/?q=交通").text)
    assert "贺兰县交通运输局" in only and "贺兰县立岗镇" not in only
    problems = _text(wb.get("/?status=problems").text)
    assert "贺兰县立岗镇" in problems and "贺兰县金贵镇" not in problems
    region = _text(wb.get("/?region=" + "银川市西夏区").text)
    assert "文昌路街道" in region and "贺兰县" not in region.split("全部地区")[1].split("筛选")[1]
    assert "2022" in _text(wb.get("/?year=2022").text) and "2023 2021" not in _text(wb.get("/?year=2022").text)


def test_report_page_problems_in_words_with_review_links(wb):
    html = wb.get("/?q=立岗镇").text
    sha = re.search(r'href="/report/([0-9a-f]{64})"', html).group(1)
    page = wb.get(f"/report/{sha}").text
    text = _text(page)
    assert "⚠ 发现 3 个问题" in text
    assert "表三 （七）总计 行 · 自然人 列：印刷 3，（一）至（六）各项之和为 0" in text
    assert f'href="/review/cell/{sha}/applications/result_total/natural_person"' in page
    assert wb.get(f"/review/cell/{sha}/applications/result_total/natural_person").status_code == 200
    assert wb.get("/report/" + "0" * 64).status_code == 404


def test_roster_matrix_and_unmatched(wb):
    r = wb.post("/roster", files={"file": ("名单.csv", ROSTER_CSV.encode("gbk"), "text/csv")}, follow_redirects=False)
    assert r.status_code == 303
    text = _text(wb.get("/roster").text)
    assert "名单中共 4 个机关" in text
    row = text.split("金贵镇 贺兰县 乡镇")[1][:20]
    assert row.split()[:2] == ["已报送", "已报送"]  # 2022, 2023 (贺兰县金贵镇 matched by region + name)
    assert "习岗镇 贺兰县 乡镇 未报送 未报送" in text
    assert "名单上找不到的报告 (1)" in text and "银川市西夏区文昌路街道" in text.split("名单上找不到的报告")[1]
    bad = wb.post("/roster", files={"file": ("x.pdf", b"%PDF", "application/pdf")})
    assert "名单须为 CSV 或 XLSX 文件" in _text(bad.text)
    # a page of another site cannot replace the roster (CSRF)
    evil = wb.post("/roster", files={"file": ("r.csv", "机关\n某局\n".encode(), "text/csv")},
                   headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403 and "名单中共 4 个机关" in _text(wb.get("/roster").text)


def test_problem_xlsx_and_stata_download(wb, tmp_path: Path):
    from openpyxl import load_workbook

    r = wb.get("/problems.xlsx?failed=1")
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("机关", "年度", "文件")
    kinds = [row[3] for row in rows[1:]]
    assert kinds.count("勾稽关系不成立") == 6 and kinds.count("文件无法解析") == 1
    only = list(load_workbook(io.BytesIO(wb.get("/problems.xlsx?q=交通").content)).active.iter_rows(values_only=True))
    assert {row[0] for row in only[1:]} == {"贺兰县交通运输局"}

    pd = pytest.importorskip("pandas")
    dta = tmp_path / "x.dta"
    dta.write_bytes(wb.get("/dataset.dta").content)
    frame = pd.read_stata(dta)
    assert len(frame) == 5 and "app_new_received_natural_person" in frame.columns
    assert "variable,canonical" in wb.get("/dataset.codebook.csv").text


def test_language_switch_and_safe_redirect(wb):
    r = wb.get("/lang/en?next=/roster", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/roster" and "nianbao_lang=en" in r.headers["set-cookie"]
    assert wb.get("/lang/en?next=//evil.example/x", follow_redirects=False).headers["location"] == "/"
    wb.cookies.set("nianbao_lang", "en")
    try:
        assert "Who has not reported" in wb.get("/roster").text
    finally:
        wb.cookies.delete("nianbao_lang")
    assert "谁还没报" in wb.get("/roster").text


# ---------------------------------------------------------------- behind the server's login


def test_workbench_behind_the_login_pages_upload_and_roster(tmp_path: Path):
    """With tokens configured the workbench is behind the server's login like every route:
    a browser is sent to /login, and after it the list, the upload from the page (POST
    /v1/jobs with the session cookie) and the roster upload work; the cross-origin check is the
    server's own (a write with the cookie from another site, or naming no page, is refused)."""
    from nianbao.server.auth import SESSION_COOKIE, Users

    users = Users.parse("clerk:clerk-token-0123456789\n", "test")
    app = create_app(ServerConfig(data_dir=tmp_path / "data", workers=0, users=users))
    page = {"Accept": "text/html,application/xhtml+xml"}
    same = {"Origin": "http://127.0.0.1:8000"}
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        r = c.get("/?q=金贵", headers=page, follow_redirects=False)
        assert r.status_code == 303  # back to the page as the browser asked for it, after the login
        assert r.headers["location"] == "/login?next=" + quote("/?q=" + quote("金贵"), safe="")
        assert c.get("/roster", headers=page, follow_redirects=False).headers["location"].startswith("/login")
        assert c.post("/v1/jobs", headers=same, files={"files": ("a.zip", b"x", "application/zip")}).status_code == 401
        assert c.get("/wb/static/workbench.js").status_code == 401

        login = c.post("/login", headers=same, data={"token": "clerk-token-0123456789", "next": "/"},
                       follow_redirects=False)
        assert login.status_code == 303 and login.headers["location"] == "/" and c.cookies.get(SESSION_COOKIE)
        home = c.get("/", headers=page)
        assert home.status_code == 200 and "工作台" in home.text and "上传" in home.text
        assert "clerk" in _text(home.text) and 'action="/logout"' in home.text  # who is logged in, and 退出登录
        assert c.get("/wb/static/workbench.js").status_code == 200

        # the page's upload: XHR with the cookie, the browser names the page's origin
        up = c.post("/v1/jobs", headers=same,
                    files={"files": ("报告.zip", reports_zip(with_pdf=False), "application/zip")})
        assert up.status_code == 201, up.text
        assert c.get(up.json()["url"]).json()["created_by"] == "clerk"
        drain(app)
        assert "贺兰县交通运输局" in _text(c.get("/", headers=page).text)

        r = c.post("/roster", headers=same, files={"file": ("名单.csv", ROSTER_CSV.encode("gbk"), "text/csv")},
                   follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/roster"
        assert "名单中共 4 个机关" in _text(c.get("/roster", headers=page).text)

        # the server's cross-origin guard, not a copy: another site, or no page named, with the cookie
        for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {}):
            bad = c.post("/roster", headers=headers, files={"file": ("r.csv", "机关\n某局\n".encode(), "text/csv")})
            assert bad.status_code == 403, headers
            assert c.post("/v1/jobs", headers=headers,
                          files={"files": ("a.txt", b"x", "text/plain")}).status_code == 403, headers
        assert "名单中共 4 个机关" in _text(c.get("/roster", headers=page).text)

        out = c.post("/logout", headers=same, follow_redirects=False)
        assert out.status_code == 303
        c.cookies.clear()
        assert c.get("/", headers=page, follow_redirects=False).status_code == 303

