"""nianbao serve: the job API, its guards, and durability.

In-process (TestClient, no parsing): auth, size/page limits, zip bombs, zip path traversal,
clear 4xx errors. Live (a server subprocess on a free 127.0.0.1 port, seed reports as
input): kill -9 in the middle of a parse and restart -> the job completes, each content
parsed to completion exactly once; 50 concurrent uploads -> every job completes, none lost
or duplicated. All traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the server extra is not installed: pip install 'nianbao[server]'")
httpx = pytest.importorskip("httpx", reason="the server extra is not installed: pip install 'nianbao[server]'")
from fastapi.testclient import TestClient  # noqa: E402

from nianbao.server.app import ServerConfig, create_app  # noqa: E402
from nianbao.server.auth import AuthConfigError, check_bind  # noqa: E402
from nianbao.settings import Limits, Settings  # noqa: E402
from archives import zip_bytes

MB = 1 << 20
REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- in-process


LOCAL = "http://127.0.0.1:8000"  # what a browser or client on this machine names as the Host


@contextmanager
def client(tmp_path: Path, token: str | None = None, users=None, settings: Settings | None = None,
           **limits) -> TestClient:
    settings = settings or (Settings(limits=Limits(**limits)) if limits else Settings())
    app = create_app(ServerConfig(data_dir=tmp_path / "data", workers=0, token=token, users=users, settings=settings))
    with TestClient(app, base_url=LOCAL) as c:
        yield c


@pytest.fixture()
def seed(seeds_dir: Path) -> bytes:
    return (seeds_dir / "000_16485cd5df1f3c2d.txt").read_bytes()


def test_bearer_token_is_required_when_set(tmp_path: Path, seed: bytes) -> None:
    with client(tmp_path, token="s3cret-token") as c:
        files = {"files": ("a.txt", seed, "text/plain")}
        r = c.post("/v1/jobs", files=files)
        assert r.status_code == 401 and r.json()["detail"] and r.headers["www-authenticate"] == "Bearer"
        assert c.post("/v1/jobs", files=files, headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = c.post("/v1/jobs", files=files, headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 201, ok.text
        job = ok.json()["id"]
        assert c.get(f"/v1/jobs/{job}").status_code == 401
        assert c.get(f"/v1/jobs/{job}", headers={"Authorization": "Bearer s3cret-token"}).json()["status"] == "queued"
        assert c.get("/v1/health").json() == {"status": "ok"}  # liveness needs no token, and says no more
        health = c.get("/v1/health", headers={"Authorization": "Bearer s3cret-token"}).json()
        assert health["auth"] is True and health["user"] == "default" and "queue" in health


def test_token_from_file_or_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nianbao.server.auth import load_users

    monkeypatch.setenv("NIANBAO_TOKEN", "from-env")
    assert load_users().authenticate("from-env") == "default"
    (tmp_path / "token").write_text("from-file\n")
    users = load_users(tmp_path / "token")  # the file wins
    assert users.authenticate("from-file") == "default" and users.authenticate("from-env") is None
    (tmp_path / "empty").write_text("\n# nobody\n")
    with pytest.raises(AuthConfigError, match="empty"):
        load_users(tmp_path / "empty")
    monkeypatch.delenv("NIANBAO_TOKEN")
    assert load_users() is None


def test_without_a_token_only_localhost(tmp_path: Path) -> None:
    check_bind("127.0.0.1", None)
    check_bind("::1", None)
    check_bind("0.0.0.0", "a-token")
    with pytest.raises(AuthConfigError, match="refusing"):
        check_bind("0.0.0.0", None)
    env = {k: v for k, v in os.environ.items() if k != "NIANBAO_TOKEN"}
    proc = subprocess.run([sys.executable, "-m", "nianbao.cli", "serve", "--host", "0.0.0.0", "--port", "1",
                           "--data-dir", str(tmp_path / "d")], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 1 and "refusing" in proc.stderr


def test_size_and_page_limits(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(3):
        pdf.new_page(595, 842)
    buf = io.BytesIO()
    pdf.save(buf)
    pdf.close()
    with client(tmp_path, max_file_mb=1, max_upload_mb=3, max_pages=2) as c:
        r = c.post("/v1/jobs", files={"files": ("big.txt", b"x" * (2 * MB), "text/plain")})
        assert r.status_code == 413 and "file size limit" in r.json()["detail"]
        r = c.post("/v1/jobs", files={"files": ("huge.txt", b"x" * (4 * MB), "text/plain")})
        assert r.status_code == 413 and "upload limit" in r.json()["detail"]
        r = c.post("/v1/jobs", files={"files": ("three_pages.pdf", buf.getvalue(), "application/pdf")})
        assert r.status_code == 413 and "3 pages" in r.json()["detail"]


def test_zip_bombs_are_rejected(tmp_path: Path) -> None:
    with client(tmp_path, max_zip_members=5, max_zip_uncompressed_mb=1, max_zip_ratio=200) as c:
        bomb = zip_bytes({"report.txt": b"\0" * (20 * MB)})  # 20 MB of zeros in ~20 kB
        r = c.post("/v1/jobs", files={"files": ("bomb.zip", bomb, "application/zip")})
        assert r.status_code == 413 and "zip" in r.json()["detail"]
        many = zip_bytes({f"r{i}.txt": b"report" for i in range(6)})
        r = c.post("/v1/jobs", files={"files": ("many.zip", many, "application/zip")})
        assert r.status_code == 413 and "members" in r.json()["detail"]
        wide = zip_bytes({"a.txt": os.urandom(700_000), "b.txt": os.urandom(700_000)}, zipfile.ZIP_STORED)
        r = c.post("/v1/jobs", files={"files": ("wide.zip", wide, "application/zip")})
        assert r.status_code == 413 and "expands" in r.json()["detail"]
    assert not list((tmp_path / "data" / "uploads").iterdir())  # nothing of a rejected upload is kept


@pytest.mark.parametrize("name", ["../evil.txt", "reports/../../evil.txt", "/tmp/evil.txt", "..\\evil.txt", "C:/evil.txt"])
def test_zip_paths_outside_the_archive_are_rejected(tmp_path: Path, seed: bytes, name: str) -> None:
    with client(tmp_path) as c:
        r = c.post("/v1/jobs", files={"files": ("x.zip", zip_bytes({"ok.txt": seed, name: seed}), "application/zip")})
        assert r.status_code == 400 and "unsafe path" in r.json()["detail"]
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "data" / "evil.txt").exists()


def test_zip_symlink_member_is_rejected(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("link.txt")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    with client(tmp_path) as c:
        r = c.post("/v1/jobs", files={"files": ("l.zip", buf.getvalue(), "application/zip")})
        assert r.status_code == 400 and "symbolic link" in r.json()["detail"]


def test_a_good_zip_and_clear_errors_for_bad_input(tmp_path: Path, seeds_dir: Path) -> None:
    members = {f"reports/{p.name}": p.read_bytes() for p in sorted(seeds_dir.glob("*.txt"))[:2]}
    members["__MACOSX/reports/._x.txt"] = b"junk"
    with client(tmp_path) as c:
        r = c.post("/v1/jobs", files={"files": ("reports.zip", zip_bytes(members), "application/zip")})
        assert r.status_code == 201, r.text
        job = c.get(r.json()["url"]).json()
        assert [f["name"] for f in job["files"]] == sorted(members)[1:]  # junk skipped, folders kept in names
        assert c.get(f"/v1/jobs/{job['id']}/results?format=csv").status_code == 409  # not finished
        assert c.get(f"/v1/jobs/{job['id']}/results", params={"format": "pdf"}).status_code == 422

        r = c.post("/v1/jobs", files={"files": ("broken.zip", b"PK\x03\x04 not really", "application/zip")})
        assert r.status_code == 400 and "zip" in r.json()["detail"]
        r = c.post("/v1/jobs", files={"files": ("empty.pdf", b"", "application/pdf")})
        assert r.status_code == 400 and "empty" in r.json()["detail"]
        r = c.post("/v1/jobs", data={"nothing": "here"})
        assert r.status_code == 422 and "detail" in r.json()
        r = c.get("/v1/jobs/does-not-exist")
        assert r.status_code == 404 and "no job" in r.json()["detail"]
        assert "/v1/jobs" in c.get("/openapi.json").json()["paths"]  # no auth on this server: open
        assert c.get("/docs").status_code == 200


# ---------------------------------------------------------------- the queue itself


def _queue(tmp_path: Path, lease: float = 30.0):
    from nianbao.server.queue import Paths, Queue

    paths = Paths(tmp_path / "q")
    Queue.init(paths)
    return paths, Queue(paths, lease_seconds=lease)


def _file(name: str, sha: str) -> dict:
    return {"name": name, "sha256": sha, "size": 1, "suffix": ".txt"}


def test_queue_one_parse_per_content_and_leases_that_expire(tmp_path: Path) -> None:
    from nianbao.server.queue import Queue

    paths, q = _queue(tmp_path, lease=0.3)
    a, b = "a" * 64, "b" * 64
    job1, reused = q.create_job([_file("x.txt", a), _file("y.txt", b)])
    job2, _ = q.create_job([_file("copy-of-x.txt", a)])
    assert not reused and q.create_job([_file("x.txt", a), _file("y.txt", b)]) == (job1, True)

    w1, w2 = Queue(paths, lease_seconds=0.3), Queue(paths, lease_seconds=0.3)
    first = w1.claim("w1")
    assert first["sha256"] == a
    second = w2.claim("w2")
    assert second["sha256"] == b  # not a's copy while a is being parsed
    assert w2.claim("w2") is None

    time.sleep(0.4)  # w1 hangs: its lease runs out and the file goes to another worker
    again = w2.claim("w2")
    assert again["id"] == first["id"] and q.heartbeat(first["id"], "w1") is False

    paths.result(a).write_text("{}")
    w2.complete(again, {"ok": True, "pages": 3, "cells": 1, "low_confidence": 0, "broken_rules": 0})
    w2.complete(second, {"ok": False, "deterministic": True, "error_type": "NotAReportError", "reason": "no tables"})
    j1, j2 = q.job(job1), q.job(job2)
    assert j1["status"] == "done_with_errors" and j2["status"] == "done"
    assert j2["files"][0]["reused"] == 1  # the copy was completed from a's result, not parsed
    assert [p["outcome"] for p in q.parses()] == [None, "failed", "done"]  # w1 never finished its parse

    # the same content uploaded later: done at once; a known bad content: failed at once
    job3, _ = q.create_job([_file("later.txt", a), _file("bad-again.txt", b)])
    assert [f["status"] for f in q.job(job3)["files"]] == ["done", "failed"]
    assert w1.claim("w1") is None


def test_queue_recover_requeues_running_files(tmp_path: Path) -> None:
    paths, q = _queue(tmp_path)
    job, _ = q.create_job([_file("x.txt", "c" * 64)])
    claimed = q.claim("w1")
    assert q.job(job)["status"] == "running"
    assert q.recover() == 1  # what a restarted server does before starting workers
    assert q.job(job)["status"] == "queued"
    again = q.claim("w2")
    assert again["id"] == claimed["id"] and again["attempts"] == 1  # attempts counted at claim


# ---------------------------------------------------------------- live server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``nianbao serve`` as a subprocess on 127.0.0.1."""

    def __init__(self, data_dir: Path, workers: int, parser: str | None = None, pythonpath: Path | None = None,
                 extra_env: dict[str, str] | None = None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "nianbao.cli", "serve", "--port", str(self.port), "--data-dir", str(data_dir),
               "--workers", str(workers)]
        if parser:
            cmd += ["--parser", parser]
        env = {k: v for k, v in os.environ.items() if k != "NIANBAO_TOKEN"} | (extra_env or {})
        if pythonpath:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), env.get("PYTHONPATH")]))
        self.log = open(data_dir.parent / f"server-{self.port}.log", "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(self.url + "/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"server did not start: {Path(self.log.name).read_text()[-2000:]}")

    def worker_pids(self) -> list[int]:
        import psutil

        return [p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)]

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _wait_done(url: str, job_ids: list[str], timeout: float) -> dict[str, dict]:
    deadline = time.time() + timeout
    jobs: dict[str, dict] = {}
    with httpx.Client(base_url=url, timeout=10) as c:
        while time.time() < deadline:
            jobs = {j: c.get(f"/v1/jobs/{j}").json() for j in job_ids}
            if all(j["status"] not in ("queued", "running") for j in jobs.values()):
                return jobs
            time.sleep(0.3)
    raise AssertionError(f"jobs not finished in {timeout}s: {[(j['id'], j['progress']) for j in jobs.values()]}")


def _parses(data_dir: Path) -> list[dict]:
    con = sqlite3.connect(data_dir / "queue.sqlite3")
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT * FROM parses ORDER BY id")]
    finally:
        con.close()


def test_restart_after_kill_9_completes_the_job_exactly_once(tmp_path: Path, seeds_dir: Path) -> None:
    from nianbao.pipeline import parse_file

    (tmp_path / "slow_parser.py").write_text(textwrap.dedent("""
        import time
        from nianbao.pipeline import parse_file as real

        def parse_file(path, settings=None):
            time.sleep(1.0)  # long enough to be killed in the middle of a parse
            return real(path, settings)
    """), encoding="utf-8")
    data = tmp_path / "data"
    names = sorted(seeds_dir.glob("*.txt"))[:3]
    server = Server(data, workers=1, parser="slow_parser:parse_file", pythonpath=tmp_path)
    try:
        files = [("files", (p.name, p.read_bytes(), "text/plain")) for p in names]
        job_id = httpx.post(server.url + "/v1/jobs", files=files, timeout=30).json()["id"]
        deadline = time.time() + 30
        while time.time() < deadline:  # wait until a file is being parsed
            job = httpx.get(f"{server.url}/v1/jobs/{job_id}", timeout=10).json()
            if any(f["status"] == "running" for f in job["files"]):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("no file started")
        workers = server.worker_pids()
        assert workers
        server.kill9()
    finally:
        server.stop()
    import psutil

    def alive(pid: int) -> bool:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.time() + 10  # the workers die with the server (PR_SET_PDEATHSIG)
    while any(alive(p) for p in workers):
        assert time.time() < deadline, "worker outlived the killed server"
        time.sleep(0.1)
    interrupted = [p for p in _parses(data) if p["outcome"] is None]
    assert len(interrupted) == 1

    server = Server(data, workers=1, parser="slow_parser:parse_file", pythonpath=tmp_path)
    try:
        job = _wait_done(server.url, [job_id], timeout=60)[job_id]
        assert job["status"] == "done" and job["progress"]["done"] == 3
        body = httpx.get(f"{server.url}/v1/jobs/{job_id}/results", params={"format": "json"}, timeout=30).json()
        for item, path in zip(body["reports"], names):
            direct = parse_file(path)
            assert item["name"] == path.name and item["sha256"] == direct.source.sha256
            assert [(c["table"], c["row"], c["col"], c["value"]) for t in item["report"]["tables"] for c in t["cells"]] \
                == [(c.table, c.row, c.col, c.value) for c in direct.cells()]
        csv_text = httpx.get(f"{server.url}/v1/jobs/{job_id}/results", params={"format": "csv"}, timeout=30).text
        assert csv_text.count("\n") == 1 + sum(len(parse_file(p).cells()) for p in names)
        from nianbao.dataset import read_export

        for fmt in ("csv", "xlsx"):
            r = httpx.get(f"{server.url}/v1/jobs/{job_id}/results", params={"format": fmt}, timeout=30)
            (tmp_path / f"job.{fmt}").write_bytes(r.content)
        assert read_export(tmp_path / "job.csv") == read_export(tmp_path / "job.xlsx")
        assert len(httpx.get(server.url + "/v1/jobs", timeout=10).json()["jobs"]) == 1
    finally:
        server.stop()
    parses = _parses(data)
    done = [p["sha256"] for p in parses if p["outcome"] == "done"]
    assert sorted(done) == sorted({p["sha256"] for p in parses}) and len(done) == 3  # each content once
    assert interrupted[0]["sha256"] in done  # the interrupted file was run again


def test_fifty_concurrent_uploads_none_lost_or_duplicated(tmp_path: Path, seeds_dir: Path) -> None:
    contents = []
    for p in sorted(seeds_dir.glob("*.txt")):
        text = p.read_bytes()
        contents.append((p.name, text))
        contents.append((f"v2_{p.name}", text + "\n附：本报告电子版可在本机关门户网站查阅。\n".encode()))
    assert len(contents) == 10
    uploads = [contents[i % 10] for i in range(50)]  # every content 5 times
    data = tmp_path / "data"
    server = Server(data, workers=2)
    try:
        def post(item: tuple[str, bytes]) -> tuple[str, int, str]:
            r = httpx.post(server.url + "/v1/jobs", files={"files": (item[0], item[1], "text/plain")}, timeout=60)
            return item[0], r.status_code, r.json().get("id", r.text)

        t0 = time.time()
        with ThreadPoolExecutor(max_workers=50) as pool:
            answers = list(pool.map(post, uploads))
        assert all(code in (200, 201) for _, code, _ in answers), answers
        ids: dict[str, set[str]] = {}
        for name, _, job_id in answers:
            ids.setdefault(name, set()).add(job_id)
        assert all(len(v) == 1 for v in ids.values())  # the same upload -> the same job
        assert sum(code == 201 for _, code, _ in answers) == 10
        job_ids = [next(iter(v)) for v in ids.values()]
        jobs = _wait_done(server.url, job_ids, timeout=90)
        assert all(j["status"] == "done" for j in jobs.values())
        assert time.time() - t0 < 120
        listed = httpx.get(server.url + "/v1/jobs", timeout=10).json()["jobs"]
        assert sorted(j["id"] for j in listed) == sorted(job_ids)

        # the same content under another name: a new job, done at once from the stored result
        r = httpx.post(server.url + "/v1/jobs", files={"files": ("renamed.txt", contents[0][1], "text/plain")}, timeout=30)
        assert r.status_code == 201 and r.json()["status"] == "done"
        assert httpx.get(server.url + r.json()["url"], timeout=10).json()["files"][0]["reused"] is True
    finally:
        server.stop()
    parses = _parses(data)
    assert len(parses) == 10 and all(p["outcome"] == "done" for p in parses)  # each content parsed once
    assert len({p["sha256"] for p in parses}) == 10
    assert len(list((data / "results").glob("*.json"))) == 10


def test_review_page_is_mounted_over_the_results_folder(tmp_path: Path, seeds_dir: Path) -> None:
    pytest.importorskip("nianbao.review", reason="the review page is not installed")
    from nianbao.pipeline import parse_file

    with client(tmp_path, token="tok") as c:
        report = parse_file(seeds_dir / "002_235ea5f4c50e8f7e.txt")
        # a result appears while the server runs (as a worker writes it): the page sees it
        (tmp_path / "data" / "results" / f"{report.source.sha256}.json").write_text(report.model_dump_json(indent=1))
        assert c.get("/review/api/queue").status_code == 401  # behind the same token
        queue = c.get("/review/api/queue", headers={"Authorization": "Bearer tok"}).json()
        assert queue and {item["rid"] for item in queue} == {report.source.sha256}


# ---------------------------------------------------------------- the per-file time limit (issue 15 #5)


def test_heartbeat_does_not_keep_a_hung_parse_lease_forever(tmp_path: Path) -> None:
    """A hung parse kept its lease forever because the heartbeat renewed it. Past the time
    limit the heartbeat no longer renews, the file fails with the reason (not run again), and
    the worker parsing it is named to be killed."""
    from nianbao.server.queue import Queue

    paths, q = _queue(tmp_path)
    job, _ = q.create_job([_file("hang.pdf", "d" * 64), _file("ok.txt", "e" * 64)])
    w = Queue(paths, lease_seconds=30, parse_timeout_s=0.3)
    claimed = w.claim("w0:123")
    assert w.heartbeat(claimed["id"], "w0:123") is True and w.expire_overdue() == []
    time.sleep(0.4)
    assert w.heartbeat(claimed["id"], "w0:123") is False
    assert w.expire_overdue() == ["w0:123"]
    files = q.job(job)["files"]
    assert files[0]["status"] == "failed" and files[0]["error_type"] == "ParseTimeout"
    assert "解析超时" in files[0]["reason"] and "time limit of 0.3 s" in files[0]["reason"]
    nxt = w.claim("w0:456")
    assert nxt["name"] == "ok.txt" and w.claim("w0:456") is None  # the queue goes on; hang.pdf is not re-run
    assert [p["outcome"] for p in q.parses()] == ["timeout", None]


def test_a_parse_past_the_time_limit_is_killed_and_the_queue_goes_on(tmp_path: Path, seeds_dir: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that hangs its parser stalled a worker for good. With limits.parse_timeout_s the
    server kills that worker, fails the file with a clear reason, and the next file is parsed
    by the fresh worker."""
    (tmp_path / "hanging_parser.py").write_text(textwrap.dedent("""
        import time
        from pathlib import Path
        from nianbao.pipeline import parse_file as real

        def parse_file(path, settings=None):
            if b"HANG" in Path(path).read_bytes()[:100]:
                time.sleep(3600)
            return real(path, settings)
    """), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))  # the spawned worker imports the parser from here
    seed = (seeds_dir / "000_16485cd5df1f3c2d.txt").read_bytes()
    settings = Settings(limits=Limits(parse_timeout_s=2.0))
    app = create_app(ServerConfig(data_dir=tmp_path / "data", workers=1, settings=settings,
                                  parser="hanging_parser:parse_file"))
    with TestClient(app, base_url=LOCAL) as c:
        job = c.post("/v1/jobs", files=[("files", ("hang.txt", b"HANG " + seed, "text/plain")),
                                        ("files", ("ok.txt", seed, "text/plain"))]).json()
        deadline = time.time() + 60
        while time.time() < deadline:
            view = c.get(job["url"]).json()
            if view["status"] not in ("queued", "running"):
                break
            time.sleep(0.3)
        hang, ok = view["files"]
        assert hang["status"] == "failed" and hang["error"]["type"] == "ParseTimeout", view
        assert "time limit of 2 s" in hang["error"]["reason"] and "解析超时" in hang["error"]["reason"]
        assert ok["status"] == "done"
        assert c.get("/v1/health").json()["workers"]["restarts"] >= 1


# ---------------------------------------------------------------- restart at any moment (issue 15 #11)
# (the kill -9 soak itself is tests/test_server_soak.py, in the slow suite)


def test_a_dead_workers_file_is_queued_again_at_once(tmp_path: Path) -> None:
    """A worker killed mid-parse left its file 'running' until the lease ran out; the
    supervisor now gives it back to the queue as soon as it sees the worker dead."""
    from nianbao.server.queue import Queue

    paths, q = _queue(tmp_path)
    job, _ = q.create_job([_file("x.txt", "f" * 64)])
    w = Queue(paths, lease_seconds=3600)
    claimed = w.claim("w0:111")
    assert w.release_owner("w0:222") == 0  # another worker's death frees nothing of it
    assert w.release_owner("w0:111") == 1
    again = w.claim("w0:333")
    assert again["id"] == claimed["id"] and again["attempts"] == 1  # tries before this one


def test_leftovers_of_a_killed_server_or_worker_are_cleared_at_start(tmp_path: Path) -> None:
    """A worker killed inside a result write leaves ``.<sha>.json.<pid>.tmp``; a server killed
    inside an upload leaves a half-received file in tmp/. Neither may count as a result or an
    upload: both are removed when the server starts."""
    data = tmp_path / "data"
    for d in ("results", "tmp/tmpabc", "uploads"):
        (data / d).mkdir(parents=True)
    half = data / "results" / f".{'a' * 64}.json.4242.tmp"
    half.write_text('{"source": {"path": "x", "sha')
    (data / "tmp" / "tmpabc" / "u0").write_bytes(b"%PDF-1.4 half")
    with client(tmp_path) as c:
        assert c.get("/v1/health").json()["queue"] == {}
        assert not half.exists() and not any((data / "tmp").iterdir())


def test_a_result_written_just_before_a_kill_is_not_parsed_again(tmp_path: Path) -> None:
    """A worker killed after its result file was written (atomically) but before the queue
    recorded it: the content was parsed a second time. The whole file is adopted instead."""
    paths, q = _queue(tmp_path)
    job, _ = q.create_job([_file("x.txt", "9" * 64)])
    claimed = q.claim("w0:1")
    paths.result("9" * 64).write_text(json.dumps({"source": {"pages": 4}}))  # ... and then kill -9
    assert q.release_owner("w0:1") == 1
    assert q.claim("w0:2") is None  # nothing left to parse
    f = q.job(job)["files"][0]
    assert (f["status"], f["reused"], f["pages"]) == ("done", 1, 4) and f["id"] == claimed["id"]


@pytest.mark.slow
def test_a_forwarded_for_header_does_not_slip_the_wrong_token_limit(tmp_path: Path) -> None:
    """uvicorn believed X-Forwarded-For from 127.0.0.1 by default, so a caller on the machine
    could give every wrong token another address and never meet the limit. Forwarded headers
    are believed only from ``settings.server.trusted_proxies`` (none by default)."""
    env = {"NIANBAO_TOKEN": "tok-0123456789", "NIANBAO_SERVER__MAX_FAILED_LOGINS": "3"}
    server = Server(tmp_path / "data", workers=0, extra_env=env)
    try:
        codes = [httpx.get(server.url + "/v1/jobs", timeout=10, headers={
            "Authorization": f"Bearer guess-{i}", "X-Forwarded-For": f"10.0.0.{i}"}).status_code for i in range(5)]
        assert codes == [401, 401, 401, 429, 429]
    finally:
        server.stop()

