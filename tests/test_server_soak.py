"""Restart at any moment (issue 15 #11): the server, and separately a worker, killed with
SIGKILL at random moments of an upload, a worker's warm-up, a parse and a result write.
Afterwards every job ends done or failed with a reason, each content is parsed to completion
once, and nothing is half-written (no partial upload, result or temporary file).

A server subprocess on 127.0.0.1 only; every loop bounded in count and time. Both tests take
more than a few seconds (a server restart is ~3 s), so they are in the slow suite: 4 kills (one
per moment, ~18 s) and 20 kills. The default suite checks the same recovery steps in process
(tests/test_server.py: a dead worker's file queued again, leftovers of a kill cleared).
Run: ``pytest -m slow tests/test_server_soak.py``."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import textwrap
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the server extra is not installed: pip install 'nianbao[server]'")
httpx = pytest.importorskip("httpx", reason="the server extra is not installed: pip install 'nianbao[server]'")
psutil = pytest.importorskip("psutil")

from test_server import Server, _parses, _wait_done  # noqa: E402

PHASES = ("parse", "warmup", "write", "upload")

SOAK_PARSER = textwrap.dedent('''
    """The real parser, with each moment a worker goes through announced and made long enough
    to be killed in: warm-up (import), parse, and the result write (half a temporary file
    written, then a pause, then the real atomic write)."""
    import os
    import time
    from pathlib import Path

    import nianbao.server.worker as worker
    from nianbao.pipeline import parse_file as real_parse

    PHASES = Path(os.environ["SOAK_PHASE_DIR"])


    def phase(name):
        (PHASES / str(os.getpid())).write_text(name)


    phase("warmup")
    time.sleep(0.6)
    phase("idle")
    real_write = worker.atomic_write_text


    def slow_write(path, text):
        phase("write")
        part = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        part.write_text(text[: len(text) // 2], encoding="utf-8")
        time.sleep(0.4)
        real_write(path, text)
        phase("idle")


    worker.atomic_write_text = slow_write


    def parse_file(path, settings=None):
        phase("parse")
        time.sleep(0.4)
        report = real_parse(path, settings)
        return report
''')


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_phase(phase_dir: Path, phase: str, timeout: float) -> int | None:
    """The pid of a live worker in ``phase`` (polled every 20 ms, at most ``timeout`` s)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for f in phase_dir.iterdir():
            try:
                if f.read_text() == phase and _alive(int(f.name)):
                    return int(f.name)
            except (OSError, ValueError):
                continue
        time.sleep(0.02)
    return None


def _slow_upload(url: str, name: str, data: bytes, done: threading.Event) -> None:
    """Send one file slowly (chunked), so that a kill lands while the server is receiving it."""
    boundary = "soakboundary"

    def body():
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
               "Content-Type: text/plain\r\n\r\n").encode()
        for i in range(0, len(data), 2048):
            yield data[i:i + 2048]
            time.sleep(0.02)
        yield f"\r\n--{boundary}--\r\n".encode()

    try:
        httpx.post(url + "/v1/jobs", content=body(), timeout=30,
                   headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    except httpx.HTTPError:
        pass  # the server was killed under it: this upload never became a job
    finally:
        done.set()


def _soak(tmp_path: Path, seeds_dir: Path, kills: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(15 * kills)
    (tmp_path / "soak_parser.py").write_text(SOAK_PARSER, encoding="utf-8")
    phase_dir = tmp_path / "phases"
    phase_dir.mkdir()
    monkeypatch.setenv("SOAK_PHASE_DIR", str(phase_dir))
    seeds = [p.read_bytes() for p in sorted(seeds_dir.glob("*.txt"))]
    data = tmp_path / "data"
    start = time.time()

    def start_server() -> Server:
        return Server(data, workers=1, parser="soak_parser:parse_file", pythonpath=tmp_path)

    server = start_server()
    job_ids: set[str] = set()
    made = 0

    def submit(n: int) -> None:
        nonlocal made
        files = []
        for _ in range(n):
            text = seeds[made % len(seeds)] + f"\n附：第{made}份。\n".encode()
            files.append(("files", (f"r{made}.txt", text, "text/plain")))
            made += 1
        if made > 2:  # and a content parsed before, under another name: reused, not parsed again
            files.append(("files", (f"again{made}.txt", seeds[0] + "\n附：第0份。\n".encode(), "text/plain")))
        r = httpx.post(server.url + "/v1/jobs", files=files, timeout=30)
        assert r.status_code in (200, 201), r.text
        job_ids.add(r.json()["id"])

    log = []
    try:
        for i in range(kills):
            assert time.time() - start < 60 + 12 * kills, "soak ran out of time"
            phase = PHASES[i % 4]
            target = ("server", "worker")[(i + i // 4) % 2]
            if phase in ("parse", "write"):
                submit(2)
            pid = None
            if phase == "upload":
                done = threading.Event()
                text = seeds[i % len(seeds)] + f"\n附：上传中{i}。\n".encode() * 40
                threading.Thread(target=_slow_upload, args=(server.url, f"up{i}.txt", text, done), daemon=True).start()
                time.sleep(rng.uniform(0.05, 0.3))
                if target == "worker":
                    pid = next(iter(server.worker_pids()), None)
            else:
                pid = _wait_phase(phase_dir, phase, timeout=30)
                assert pid is not None, f"no worker reached {phase}"
                time.sleep(rng.uniform(0.0, 0.25))
            if target == "server":
                server.kill9()
                server.stop()
                server = start_server()
            elif pid is not None:
                os.kill(pid, signal.SIGKILL)
            log.append((phase, target))
            if phase == "upload":
                done.wait(30)
        # every job there is: those submitted, and slow uploads that got through before a kill
        listed = {j["id"] for j in httpx.get(server.url + "/v1/jobs", params={"limit": 1000}, timeout=10).json()["jobs"]}
        assert job_ids <= listed
        views = list(_wait_done(server.url, sorted(listed), timeout=120).values())
    finally:
        server.stop()
    assert len(log) == kills and {p for p, _ in log} == set(PHASES[:min(kills, 4)])
    for view in views:  # every job (uploads that lived through a kill too) ended, each file with a reason
        assert view["status"] in ("done", "done_with_errors", "failed"), view
        for f in view["files"]:
            assert f["status"] in ("done", "failed")
            if f["status"] == "failed":
                assert f["error"]["reason"], f
    parses = _parses(data)
    done_by_sha: dict[str, int] = {}
    for p in parses:
        if p["outcome"] == "done":
            done_by_sha[p["sha256"]] = done_by_sha.get(p["sha256"], 0) + 1
    assert done_by_sha and all(n == 1 for n in done_by_sha.values()), done_by_sha  # each content once
    for view in views:
        for f in view["files"]:
            if f["status"] == "done":
                assert f["sha256"] in done_by_sha
    # nothing half-written: every upload is whole (its name is its hash), every result loads,
    # no temporary file is left
    from nianbao.models import Report

    for up in (data / "uploads").iterdir():
        assert hashlib.sha256(up.read_bytes()).hexdigest() == up.stem, up
    for res in (data / "results").glob("*.json"):
        assert Report.model_validate_json(res.read_text("utf-8")).source.sha256 == res.stem
    assert not list((data / "results").glob(".*.tmp")), "a half-written result was left"
    assert not any((data / "tmp").iterdir())


@pytest.mark.slow
def test_soak_kill_at_upload_warmup_parse_and_write(tmp_path: Path, seeds_dir: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _soak(tmp_path, seeds_dir, 4, monkeypatch)


@pytest.mark.slow
def test_soak_twenty_kills_of_server_and_worker(tmp_path: Path, seeds_dir: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _soak(tmp_path, seeds_dir, 20, monkeypatch)
