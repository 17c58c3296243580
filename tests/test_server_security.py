"""nianbao serve under attack (issue 15): every route behind the Host, cross-origin and user
checks; bodies refused before they are read; named users in the audit log; the browser login;
hostile upload names and content. In-process (TestClient / raw ASGI calls): nothing leaves
this process, and every loop is bounded."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the server extra is not installed: pip install 'nianbao[server]'")
pytest.importorskip("httpx", reason="the server extra is not installed: pip install 'nianbao[server]'")
from fastapi import APIRouter, WebSocket  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from nianbao.server.app import ServerConfig, create_app  # noqa: E402
from nianbao.server.auth import SESSION_COOKIE, Users  # noqa: E402
from nianbao.settings import Limits, Settings  # noqa: E402

LOCAL = "http://127.0.0.1:8000"
SAME = {"Origin": LOCAL}
MB = 1 << 20


@pytest.fixture()
def seed(seeds_dir: Path) -> bytes:
    return (seeds_dir / "000_16485cd5df1f3c2d.txt").read_bytes()


@contextmanager
def client(tmp_path: Path, users: Users | None = None, settings: Settings | None = None, base_url: str = LOCAL):
    app = create_app(ServerConfig(data_dir=tmp_path / "data", workers=0, users=users, settings=settings or Settings()))
    with TestClient(app, base_url=base_url, follow_redirects=False) as c:
        yield c


def _result(tmp_path: Path, seeds_dir: Path) -> str:
    """A parsed report in the server's results folder (as a worker writes it); its sha256."""
    from nianbao.pipeline import parse_file

    report = parse_file(seeds_dir / "002_235ea5f4c50e8f7e.txt")
    (tmp_path / "data" / "results" / f"{report.source.sha256}.json").write_text(report.model_dump_json(indent=1))
    return report.source.sha256


def _accept_first_cell(c: TestClient, headers: dict) -> tuple[int, dict]:
    item = c.get("/review/api/queue", headers=headers).json()[0]
    rid, key = item["rid"], item["key"]
    cell = c.get(f"/review/api/cell/{rid}/{key[0]}/{key[1]}/{key[2]}", headers=headers).json()
    r = c.post(f"/review/api/cell/{rid}/{key[0]}/{key[1]}/{key[2]}", headers=headers,
               json={"action": "accept", "version": cell["version"]})
    return r.status_code, r.json()


def _audit_log(tmp_path: Path, sha: str) -> list[dict]:
    log = tmp_path / "data" / "results" / f"{sha}.corrections.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


# ---------------------------------------------------------------- #2 Host and Origin


def test_foreign_host_or_origin_is_refused_on_every_route_without_a_token(tmp_path: Path, seeds_dir: Path,
                                                                            seed: bytes) -> None:
    """DNS rebinding and CSRF against the default localhost server: a foreign Host was served
    and a correction POST from another site changed a value (0 -> 999); a cross-site form made
    jobs. Now the Host check covers every route (one mounted later too) and writes must come
    from this server's own pages."""
    with client(tmp_path) as c:
        sha = _result(tmp_path, seeds_dir)
        extra = APIRouter()

        @extra.get("/later")
        def later() -> dict:
            return {"ok": True}

        c.app.include_router(extra)  # a router added after create_app gets the same guards
        evil = {"Host": "evil.example"}
        for path in ("/v1/jobs", "/v1/health", "/review/api/queue", "/docs", "/openapi.json", "/later", "/login"):
            r = c.get(path, headers=evil)
            assert r.status_code == 400, (path, r.status_code)
        assert c.get("/later").json() == {"ok": True}
        item = c.get("/review/api/queue").json()[0]
        url = f"/review/api/cell/{item['rid']}/{item['key'][0]}/{item['key'][1]}/{item['key'][2]}"
        version = c.get(url).json()["version"]
        forged = c.post(url, headers={**evil, "Origin": "http://evil.example"},
                        json={"action": "correct", "value": "999", "version": version})
        assert forged.status_code == 400
        forged = c.post(url, headers={"Origin": "http://evil.example"},
                        json={"action": "correct", "value": "999", "version": version})
        assert forged.status_code == 403 and "cross-origin" in forged.json()["detail"]
        assert _audit_log(tmp_path, sha) == []  # nothing was written
        for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
            r = c.post("/v1/jobs", headers=headers, files={"files": ("a.txt", seed, "text/plain")})
            assert r.status_code == 403, headers
        assert c.get("/v1/jobs").json()["jobs"] == [] and not any((tmp_path / "data" / "uploads").iterdir())
        ok = c.post(url, headers=SAME, json={"action": "correct", "value": "7", "version": version})
        assert ok.status_code == 200 and [e["action"] for e in _audit_log(tmp_path, sha)] == ["correct"]
        assert c.post("/v1/jobs", files={"files": ("a.txt", seed, "text/plain")}).status_code == 201  # curl-like


def test_configured_host_names_are_answered(tmp_path: Path) -> None:
    from nianbao.server.guard import trusted_hosts

    settings = Settings(server={"allowed_hosts": ["nianbao.example.gov.cn"]})
    with client(tmp_path, settings=settings, base_url="http://nianbao.example.gov.cn") as c:
        assert c.get("/v1/health").status_code == 200
        assert c.get("/v1/health", headers={"Host": "evil.example"}).status_code == 400
    assert trusted_hosts("0.0.0.0") == ["*"]  # bound everywhere, nothing named: any (a token is required)
    assert "10.0.0.5" in trusted_hosts("10.0.0.5") and "evil.example" not in trusted_hosts("10.0.0.5")


# ---------------------------------------------------------------- #3 refuse before reading


def _asgi_post(app, path: str, headers: dict[str, str], body_chunks: int, chunk: int = MB,
               prefix: bytes = b"") -> tuple[int, int, dict]:
    """POST through the app with a body the app must pull chunk by chunk; returns (status,
    body bytes the app pulled, response JSON)."""
    pulled = 0
    sent = 0
    out: dict = {"status": None, "body": b""}

    async def receive() -> dict:
        nonlocal pulled, sent
        if sent < body_chunks:
            sent += 1
            pulled += chunk
            data = (prefix if sent == 1 else b"") + b"x" * chunk
            return {"type": "http.request", "body": data, "more_body": sent < body_chunks}
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": "127.0.0.1:8000", **headers}.items()],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    asyncio.run(app(scope, receive, send))
    return out["status"], pulled, json.loads(out["body"] or b"{}")


def test_upload_body_is_not_read_before_the_token_and_size_are_checked(tmp_path: Path) -> None:
    """300 MB were received and spooled to /tmp before the 401. Now a request without a token
    is answered before one byte of its body is read, a declared size over the limit likewise,
    and an undeclared (chunked) body stops at the limit."""
    settings = Settings(limits=Limits(max_upload_mb=8, max_file_mb=4))
    with client(tmp_path, users=Users.single("tok-en-123"), settings=settings) as c:
        app = c.app
        multipart = "multipart/form-data; boundary=XyZ"
        status, pulled, body = _asgi_post(app, "/v1/jobs", {"content-type": multipart,
                                                            "content-length": str(300 * MB)}, 300)
        assert (status, pulled) == (401, 0)
        status, pulled, _ = _asgi_post(app, "/v1/jobs", {"content-type": multipart}, 300)  # no length, no token
        assert (status, pulled) == (401, 0)
        status, pulled, _ = _asgi_post(app, "/review/api/queue", {"content-type": "application/json"}, 300)
        assert (status, pulled) == (401, 0)
        # the public login form takes a small body only
        status, pulled, _ = _asgi_post(app, "/login", {"content-type": "application/x-www-form-urlencoded",
                                                       "origin": LOCAL}, 300, chunk=64 << 10)
        assert status == 413 and pulled <= 64 << 10
        auth = {"authorization": "Bearer tok-en-123", "content-type": multipart}
        status, pulled, body = _asgi_post(app, "/v1/jobs", {**auth, "content-length": str(300 * MB)}, 300)
        assert (status, pulled) == (413, 0) and "upload limit of 8 MB" in body["detail"]
        part = b'--XyZ\r\nContent-Disposition: form-data; name="files"; filename="r.zip"\r\n\r\n'
        status, pulled, body = _asgi_post(app, "/v1/jobs", auth, 300, prefix=part)  # chunked: a running cap
        assert status == 413 and pulled <= 9 * MB, body
    assert not any((tmp_path / "data" / "tmp").iterdir()) and not any((tmp_path / "data" / "uploads").iterdir())


def test_one_file_over_its_limit_stops_while_it_streams(tmp_path: Path) -> None:
    """A non-zip file over max_file_mb is refused once it passes that size, not at the end of
    a request that may be 50 times bigger; nothing of it stays in the data folder."""
    settings = Settings(limits=Limits(max_upload_mb=50, max_file_mb=1))
    part = b'--B\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n'
    with client(tmp_path, settings=settings) as c:
        status, pulled, body = _asgi_post(c.app, "/v1/jobs", {"content-type": "multipart/form-data; boundary=B"},
                                          40, chunk=256 << 10, prefix=part)
    assert status == 413 and "big.txt is over the file size limit of 1 MB" in body["detail"]
    assert pulled <= 2 * MB  # of the 10 MB sent
    assert not any((tmp_path / "data" / "tmp").iterdir()) and not any((tmp_path / "data" / "uploads").iterdir())


# ---------------------------------------------------------------- #6 named users


def test_named_users_are_recorded_in_the_audit_log_and_docs_are_behind_auth(tmp_path: Path, seeds_dir: Path,
                                                                            seed: bytes) -> None:
    """Every reviewer was logged as who="token"; /docs, /openapi.json and the queue counts were
    public. Now: a token file of name:token (or name:sha256:<hex>) lines; the name is who."""
    from nianbao.server.auth import load_users

    li_token = "li-token-0123456789"
    (tmp_path / "tokens").write_text(
        "# reviewers of the supervising office\n"
        "zhang:zhang-token-0123456789\n"
        f"li:sha256:{hashlib.sha256(li_token.encode()).hexdigest()}\n", encoding="utf-8")
    users = load_users(tmp_path / "tokens")
    assert users.authenticate("zhang-token-0123456789") == "zhang" and users.authenticate(li_token) == "li"
    assert users.authenticate("sha256:" + hashlib.sha256(li_token.encode()).hexdigest()) is None
    with client(tmp_path, users=users) as c:
        sha = _result(tmp_path, seeds_dir)
        for path in ("/docs", "/openapi.json", "/v1/jobs", "/review/api/queue"):
            assert c.get(path).status_code == 401, path
        assert c.get("/v1/health").json() == {"status": "ok"}
        zhang = {"Authorization": "Bearer zhang-token-0123456789"}
        li = {"Authorization": f"Bearer {li_token}"}
        assert c.get("/openapi.json", headers=li).status_code == 200
        job = c.post("/v1/jobs", headers=zhang, files={"files": ("a.txt", seed, "text/plain")}).json()
        assert c.get(job["url"], headers=li).json()["created_by"] == "zhang"  # every token sees every job
        status, _ = _accept_first_cell(c, li)
        assert status == 200
    assert [e["who"] for e in _audit_log(tmp_path, sha)] == ["li"]


@pytest.mark.parametrize("text,match", [
    ("a:x\na:y\n", "appears twice"), ("a:x\nb:x\n", "same token"), ("a b:x\n", "user name"), ("a:\n", "expected"),
])
def test_bad_token_files_are_refused_with_the_line(tmp_path: Path, text: str, match: str) -> None:
    from nianbao.server.auth import AuthConfigError, load_users

    (tmp_path / "t").write_text(text)
    with pytest.raises(AuthConfigError, match=match):
        load_users(tmp_path / "t")


# ---------------------------------------------------------------- #7 the browser login


def test_review_page_works_in_a_browser_after_login_with_a_session_cookie(tmp_path: Path, seeds_dir: Path) -> None:
    """Every page of the token-protected review answered 401 JSON, even its CSS. Now a browser
    is sent to a Chinese login form, gets an HttpOnly SameSite cookie for its token, and two
    reviewers work side by side under their own names until they log out."""
    users = Users.parse("wang:wang-token-0123456789\nzhao:zhao-token-0123456789\n", "test")
    with client(tmp_path, users=users) as c:
        sha = _result(tmp_path, seeds_dir)
        html = {"Accept": "text/html,application/xhtml+xml"}
        r = c.get("/review/?limit=5", headers=html)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Freview%2F%3Flimit%3D5"
        form = c.get(r.headers["location"], headers=html)
        assert form.status_code == 200 and "登录" in form.text and 'name="token"' in form.text
        assert 'value="/review/?limit=5"' in form.text
        bad = c.post("/login", headers=SAME, data={"token": "nope", "next": "/review/"})
        assert bad.status_code == 401 and "令牌不正确" in bad.text and SESSION_COOKIE not in bad.headers.get("set-cookie", "")
        assert c.post("/login", headers={"Origin": "http://evil.example"},
                      data={"token": "wang-token-0123456789"}).status_code == 403  # login CSRF

        def login(token: str, next_: str = "/review/") -> str:
            r = c.post("/login", headers=SAME, data={"token": token, "next": next_})
            assert r.status_code == 303 and r.headers["location"] == next_
            cookie = r.headers["set-cookie"]
            assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
            c.cookies.clear()
            return cookie.split(";")[0].split("=", 1)[1]

        wang, zhao = login("wang-token-0123456789"), login("zhao-token-0123456789")
        as_wang = {"Cookie": f"{SESSION_COOKIE}={wang}", **SAME}
        as_zhao = {"Cookie": f"{SESSION_COOKIE}={zhao}", **SAME}
        page = c.get("/review/", headers={**html, "Cookie": f"{SESSION_COOKIE}={wang}"})
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert c.get("/review/static/review.css", headers={"Cookie": f"{SESSION_COOKIE}={wang}"}).status_code == 200
        assert c.get("/docs", headers={"Cookie": f"{SESSION_COOKIE}={zhao}"}).status_code == 200
        assert _accept_first_cell(c, as_wang)[0] == 200
        # a write with the cookie but from no page of this server (no Origin) is refused
        no_origin = {"Cookie": f"{SESSION_COOKIE}={zhao}"}
        item = c.get("/review/api/queue", headers=no_origin).json()[1]
        url = f"/review/api/cell/{item['rid']}/{'/'.join(item['key'])}"
        version = c.get(url, headers=no_origin).json()["version"]
        assert c.post(url, headers=no_origin, json={"action": "accept", "version": version}).status_code == 403
        assert c.post(url, headers=as_zhao, json={"action": "accept", "version": version}).status_code == 200
        assert [e["who"] for e in _audit_log(tmp_path, sha)] == ["wang", "zhao"]
        # logout ends the session on the server, not only in this browser
        out = c.post("/logout", headers=as_wang)
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert f'{SESSION_COOKIE}=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
        assert c.get("/review/api/queue", headers={"Cookie": f"{SESSION_COOKIE}={wang}"}).status_code == 401
        assert c.get("/review/api/queue", headers={"Cookie": f"{SESSION_COOKIE}={zhao}"}).status_code == 200
        assert c.get("/review/api/queue", headers={"Cookie": f"{SESSION_COOKIE}=forged"}).status_code == 401


def test_login_never_redirects_off_this_server(tmp_path: Path) -> None:
    users = Users.single("tok-0123456789")
    with client(tmp_path, users=users) as c:
        for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
            r = c.post("/login", headers=SAME, data={"token": "tok-0123456789", "next": target})
            assert r.status_code == 303 and r.headers["location"] == "/review/", target


def test_guessing_tokens_is_throttled_per_address_with_retry_after(tmp_path: Path) -> None:
    """Wrong tokens, by bearer header or the login form, count against the address; past the
    limit it gets 429 with Retry-After, even for the right token."""
    users = Users.single("tok-0123456789")
    settings = Settings(server={"max_failed_logins": 3, "failed_login_window_s": 600})
    with client(tmp_path, users=users, settings=settings) as c:
        assert c.get("/v1/jobs", headers={"Authorization": "Bearer guess-1"}).status_code == 401
        assert c.post("/login", headers=SAME, data={"token": "guess-2"}).status_code == 401
        assert c.get("/v1/jobs", headers={"Authorization": "Bearer guess-3"}).status_code == 401
        r = c.get("/v1/jobs", headers={"Authorization": "Bearer tok-0123456789"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        r = c.post("/login", headers=SAME, data={"token": "tok-0123456789"})
        assert r.status_code == 429 and "错误次数过多" in r.text
        assert c.get("/v1/jobs").status_code == 401  # no token presented: the ordinary answer


def test_login_throttle_is_per_address_forgets_after_the_window_and_stays_bounded() -> None:
    from nianbao.server.auth import LoginThrottle

    now = [1000.0]
    t = LoginThrottle(max_failures=2, window_s=60, max_addresses=3, clock=lambda: now[0])
    t.failed("10.0.0.1")
    t.failed("10.0.0.1")
    assert t.retry_after("10.0.0.1") == 61 and t.retry_after("10.0.0.2") == 0
    now[0] += 61
    assert t.retry_after("10.0.0.1") == 0
    for i in range(50):
        t.failed(f"10.1.0.{i}")
    assert len(t._failures) <= 3


# ---------------------------------------------------------------- #12 hostile names and content


def _blank_pdf(pages: int) -> bytes:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(595, 842)
    buf = io.BytesIO()
    pdf.save(buf)
    pdf.close()
    return buf.getvalue()


def test_pdf_named_txt_is_page_checked_by_its_content(tmp_path: Path) -> None:
    """A 500-page PDF uploaded as report.txt passed the upload-time page check (it looked at
    the name); the content decides, in a zip too, and the upload is stored as what it is."""
    many = _blank_pdf(500)
    with client(tmp_path) as c:  # the default page limit, 200
        r = c.post("/v1/jobs", files={"files": ("report.txt", many, "text/plain")})
        assert r.status_code == 413 and "500 pages" in r.json()["detail"] and "PDF" in r.json()["detail"]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("reports/a.html", many)
        r = c.post("/v1/jobs", files={"files": ("x.zip", buf.getvalue(), "application/zip")})
        assert r.status_code == 413 and "500 pages" in r.json()["detail"]
        r = c.post("/v1/jobs", files={"files": ("two.txt", _blank_pdf(2), "text/plain")})
        assert r.status_code == 201
    assert [p.suffix for p in (tmp_path / "data" / "uploads").iterdir()] == [".pdf"]


def test_bidi_and_control_characters_are_stripped_from_upload_names(tmp_path: Path, seed: bytes) -> None:
    """An upload named with U+202E (right-to-left override) shows 'report_fdp.exe' as
    'report_exe.pdf'; such characters (bidi, zero-width, C0/C1 controls) stay out of names,
    in zips too."""
    from nianbao.server.uploads import clean_member_name, clean_name

    assert clean_name("report_\u202efdp.exe") == "report_fdp.exe"
    assert clean_name("a\u200b\u2066b\u2069\x85\x1b[31m.txt") == "ab[31m.txt"
    assert clean_member_name("dir\u202e/../\x00x\u200f.txt") == "dir/../x.txt"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("报告\u202e/\u2067年报.txt", seed)
    with client(tmp_path) as c:
        job = c.post("/v1/jobs", files=[("files", ("x\u202etxt.exe", seed, "text/plain")),
                                        ("files", ("r.zip", buf.getvalue(), "application/zip"))]).json()
        names = [f["name"] for f in c.get(job["url"]).json()["files"]]
    assert names == ["xtxt.exe", "报告/年报.txt"]


def test_second_server_on_one_data_folder_fails_with_one_line(tmp_path: Path) -> None:
    """The second server on a data folder died inside a 20-line traceback."""
    from nianbao.server.app import DataDirBusy, lock_data_dir

    data = tmp_path / "data"
    lock = lock_data_dir(data)
    try:
        with pytest.raises(DataDirBusy, match="another nianbao server"):
            lock_data_dir(data)
        env = {k: v for k, v in os.environ.items() if k != "NIANBAO_TOKEN"}
        proc = subprocess.run([sys.executable, "-m", "nianbao.cli", "serve", "--port", "1", "--data-dir", str(data)],
                              capture_output=True, text=True, timeout=60, env=env)
    finally:
        lock.close()
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert any("another nianbao server" in ln and str(data.resolve()) in ln for ln in lines)


def test_a_websocket_route_added_later_is_behind_the_same_guards(tmp_path: Path) -> None:
    """A page or socket added to the app later (the workbench) gets the login and the
    cross-site check without doing anything: no token, or another site's page, no socket."""
    from starlette.testclient import WebSocketDenialResponse
    from starlette.websockets import WebSocketDisconnect

    refused = (WebSocketDisconnect, WebSocketDenialResponse)

    with client(tmp_path, users=Users.single("tok-0123456789")) as c:
        @c.app.websocket("/ws")
        async def ws(socket: WebSocket) -> None:
            await socket.accept()
            await socket.send_text(socket.state.user)
            await socket.close()

        with pytest.raises(refused):
            with c.websocket_connect("ws://127.0.0.1:8000/ws") as s:
                s.receive_text()
        auth = {"Authorization": "Bearer tok-0123456789"}
        with pytest.raises(refused):
            with c.websocket_connect("ws://127.0.0.1:8000/ws", headers={**auth, "Origin": "http://evil.example"}) as s:
                s.receive_text()
        with c.websocket_connect("ws://127.0.0.1:8000/ws", headers={**auth, "Origin": LOCAL}) as s:
            assert s.receive_text() == "default"
