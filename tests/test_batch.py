"""nianbao batch: real seed reports in, real values out; a corrupt file is listed and does not
stop the run; a re-run skips finished files by content; Ray gives the same results."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nianbao.batch import (ERRORS_NAME, INDEX_NAME, SUMMARY_NAME, collect_inputs, load_index, ray_token_source, result_name,
                           run_batch)
from nianbao.errors import EngineUnavailableError, UsageError
from nianbao.models import Report

# applications.new_received.total and the agency of each seed, as printed in the report
SEED_FACTS = {
    "000_16485cd5df1f3c2d": ("西坡镇", 0),
    "003_7c65fe511f0a5482": ("贺兰县金贵镇", 1),
}


def _corrupt_pdf(path: Path) -> Path:
    """The first bytes of a PDF and nothing else: what an interrupted download leaves."""
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"\x00" * 200)
    return path


@pytest.fixture()
def inputs(tmp_path: Path, seeds_dir: Path) -> Path:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for f in sorted(seeds_dir.glob("*.txt")):
        shutil.copy(f, src / f.name)
    shutil.copy(seeds_dir / "003_7c65fe511f0a5482.txt", src / "sub" / "same_content.txt")
    _corrupt_pdf(src / "corrupt.pdf")
    (src / "notes.txt").write_text("会议纪要：本文件不是年度报告。\n", encoding="utf-8")
    return src


def _results(out: Path) -> dict[str, Report]:
    return {e["path"]: Report.model_validate_json((out / e["result"]).read_text("utf-8"))
            for e in load_index(out).values() if e["status"] == "done"}


def test_collect_inputs_files_folders_globs(inputs: Path) -> None:
    files = collect_inputs([inputs / "sub", str(inputs / "0*.txt"), inputs / "corrupt.pdf", inputs / "missing.pdf"])
    names = [f.name for f in files]
    assert names[0] == "same_content.txt"
    assert sorted(names[1:6]) == sorted(p.name for p in inputs.glob("0*.txt"))
    assert names[6:] == ["corrupt.pdf", "missing.pdf"]  # a missing name is kept, to be reported


def test_batch_with_a_corrupt_pdf_completes_and_lists_it_then_rerun_skips(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    s = run_batch([inputs], out, workers=2, progress=False)
    assert (s.files, s.done, s.failed) == (8, 5, 2)
    assert s.skipped == 1  # sub/same_content.txt has the bytes of seed 003: parsed once
    assert s.reports == 6 and s.cells > 1000 and s.broken_rules == 0

    errors = [json.loads(line) for line in (out / ERRORS_NAME).read_text("utf-8").splitlines()]
    by_name = {Path(e["path"]).name: e for e in errors}
    assert set(by_name) == {"corrupt.pdf", "notes.txt"}
    assert by_name["corrupt.pdf"]["error_type"] == "InputFileError" and "PDF" in by_name["corrupt.pdf"]["reason"]
    assert by_name["notes.txt"]["error_type"] == "NotAReportError"

    reports = _results(out)
    assert len(reports) == 6
    for stem, (agency, total) in SEED_FACTS.items():
        r = reports[str(inputs / f"{stem}.txt")]
        assert r.agency == agency
        assert r.table("applications").cell("new_received", "total").value == total
    same = reports[str(inputs / "sub" / "same_content.txt")]
    assert same.source.sha256 == reports[str(inputs / "003_7c65fe511f0a5482.txt")].source.sha256
    summary = json.loads((out / SUMMARY_NAME).read_text("utf-8"))
    assert summary["failed"] == 2 and summary["done"] == 5

    # re-run: every finished file is skipped (nothing is rewritten), the failures are retried
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*.json") if p.name != SUMMARY_NAME}
    s2 = run_batch([inputs], out, workers=2, progress=False)
    assert (s2.done, s2.skipped, s2.failed) == (0, 6, 2)
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.json") if p.name != SUMMARY_NAME} == mtimes

    # a changed file is parsed again, under its new content hash
    changed = inputs / "000_16485cd5df1f3c2d.txt"
    changed.write_text(changed.read_text("utf-8") + "\n附：本报告电子版可在政府网站查阅。\n", encoding="utf-8")
    s3 = run_batch([inputs], out, workers=1, progress=False, retry_failed=False)
    assert (s3.done, s3.skipped, s3.failed) == (1, 5, 2)
    entry = load_index(out)[str(changed)]
    assert entry["result"] == result_name(changed, entry["sha256"]) and (out / entry["result"]).exists()


def test_interrupted_run_leaves_no_partial_files_and_resumes(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_batch([inputs / "000_16485cd5df1f3c2d.txt"], out, workers=1, progress=False)
    # what a kill in the middle of a write leaves: a temp file and a torn index line
    (out / ".x-123.json.999.tmp").write_text('{"schema_ver', encoding="utf-8")
    with open(out / INDEX_NAME, "a", encoding="utf-8") as fh:
        fh.write('{"path": "/half/written", "sha2')
    s = run_batch([inputs], out, workers=2, progress=False)
    assert (s.done, s.skipped, s.failed) == (4, 2, 2)
    assert not list(out.glob(".*.tmp"))
    for p in out.glob("*-*.json"):
        Report.model_validate_json(p.read_text("utf-8"))  # every result file is whole


def test_a_worker_crash_fails_that_file_only(inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mod = tmp_path / "crashing_parser.py"
    mod.write_text(textwrap.dedent("""
        import os
        from nianbao.pipeline import parse_file as real

        def parse_file(path, settings=None):
            if path.endswith("001_0c686d7f689649a3.txt"):
                os._exit(3)  # what a segfault in a native library looks like to the pool
            return real(path, settings)
    """), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "out"
    s = run_batch(sorted(inputs.glob("0*.txt")), out, workers=2, progress=False, parser="crashing_parser:parse_file")
    assert (s.done, s.failed) == (4, 1)
    assert s.errors[0]["path"].endswith("001_0c686d7f689649a3.txt") and s.errors[0]["error_type"] == "WorkerCrashed"


def test_cli_batch_exit_code_and_summary(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli-out"
    proc = subprocess.run([sys.executable, "-m", "nianbao.cli", "batch", str(inputs / "0*.txt"), str(inputs / "corrupt.pdf"),
                           "--out", str(out), "--workers", "1", "--quiet"],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 2, proc.stderr
    assert "corrupt.pdf" in proc.stderr and "failures" in proc.stderr
    assert len(list(out.glob("0*.json"))) == 5


@pytest.mark.slow  # starting Ray takes 10-30 s on a 2-core machine
def test_ray_executor_gives_the_same_results(inputs: Path, tmp_path: Path) -> None:
    ray = pytest.importorskip("ray", reason="Ray is not installed (optional extra: pip install 'nianbao[ray]')")
    from nianbao.pipeline import parse_file

    files = sorted(inputs.glob("0*.txt"))[:3] + [inputs / "corrupt.pdf"]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        s = run_batch(files, tmp_path / "ray", workers=2, executor="ray", progress=False)
        assert (s.done, s.failed) == (3, 1)
        assert s.errors[0]["error_type"] == "InputFileError"
        got = _results(tmp_path / "ray")
        assert set(got) == {str(f) for f in files[:3]}
        for path, report in got.items():  # the same reading as parsing in this process
            direct = parse_file(path)
            assert [(c.key, c.value, c.confidence) for c in report.cells()] == \
                   [(c.key, c.value, c.confidence) for c in direct.cells()]
        again = run_batch(files, tmp_path / "ray", workers=2, executor="ray", progress=False)
        assert (again.done, again.skipped, again.failed) == (0, 3, 1)  # the same resume rule under Ray
    finally:
        ray.shutdown()


@pytest.mark.slow  # starting Ray takes 10-30 s on a 2-core machine
def test_a_crashed_ray_task_fails_that_file_only_and_the_batch_goes_on(inputs: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ray task whose worker dies (twice: Ray retries once) fails its file with the reason; the
    files after it are still sent (the in-flight cap was overwritten by the failure's text, and
    the next comparison with it raised TypeError, ending the batch)."""
    ray = pytest.importorskip("ray", reason="Ray is not installed (optional extra: pip install 'nianbao[ray]')")
    (tmp_path / "crashing_ray_parser.py").write_text(textwrap.dedent("""
        import os
        from nianbao.pipeline import parse_file as real

        def parse_file(path, settings=None):
            if path.endswith("000_16485cd5df1f3c2d.txt"):
                os._exit(3)
            return real(path, settings)
    """), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    files = sorted(inputs.glob("0*.txt"))[:4]  # the crashing one first, three after it
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        s = run_batch(files, tmp_path / "out", workers=1, executor="ray", progress=False,
                      parser="crashing_ray_parser:parse_file")
    finally:
        ray.shutdown()
    assert (s.done, s.failed) == (3, 1)
    assert s.errors[0]["path"].endswith("000_16485cd5df1f3c2d.txt") and "Ray task failed" in s.errors[0]["reason"]


def test_unreachable_ray_cluster_is_a_clear_error_not_a_hang(inputs: Path, tmp_path: Path) -> None:
    import socket

    from nianbao.errors import EngineUnavailableError

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(EngineUnavailableError, match="Ray"):
        run_batch([inputs / "000_16485cd5df1f3c2d.txt"], tmp_path / "out", executor="ray",
                  ray_address=f"127.0.0.1:{port}", progress=False)


def test_ctrl_c_leaves_whole_files_and_the_same_command_resumes(inputs: Path, tmp_path: Path) -> None:
    import signal
    import time

    (tmp_path / "slow_parser.py").write_text(textwrap.dedent("""
        import time
        from nianbao.pipeline import parse_file as real

        def parse_file(path, settings=None):
            time.sleep(1.5)  # a wide window for Ctrl-C on a loaded machine
            return real(path, settings)
    """), encoding="utf-8")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "nianbao.cli", "batch", str(inputs), "--out", str(out), "--workers", "1", "--quiet",
           "--parser", "slow_parser:parse_file"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    # as from a terminal: a runner started in the background (CI) may pass SIGINT on as ignored
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 60
    while not list(out.glob("0*.json")):  # the first result is written
        assert time.time() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends: the whole process group
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert not list(out.glob(".*.tmp"))
    first = _results(out)
    assert 1 <= len(first) < 6
    for p in out.glob("0*.json"):
        Report.model_validate_json(p.read_text("utf-8"))
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2, again.stderr  # 2: the corrupt PDF and the non-report still fail
    assert len(_results(out)) == 6


def test_a_file_past_the_parse_time_limit_fails_with_that_reason_and_the_batch_goes_on(
        inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15.5: a parse that hangs (here: sleeps far past the limit) is stopped at
    ``limits.parse_timeout_s``; its worker ends, the file fails as ParseTimeout naming the
    limit, and the other files are parsed. No assertion on how fast anything runs."""
    from nianbao.settings import Settings

    mod = tmp_path / "hanging_parser.py"
    mod.write_text(textwrap.dedent("""
        import time
        from nianbao.pipeline import parse_file as real

        def parse_file(path, settings=None):
            if path.endswith("001_0c686d7f689649a3.txt"):
                time.sleep(3600)  # a parse that never ends
            return real(path, settings)
    """), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "out"
    files = [inputs / "001_0c686d7f689649a3.txt", inputs / "000_16485cd5df1f3c2d.txt", inputs / "002_235ea5f4c50e8f7e.txt"]
    s = run_batch(files, out, workers=2, progress=False, parser="hanging_parser:parse_file",
                  settings=Settings(limits={"parse_timeout_s": 8}))
    assert (s.done, s.failed) == (2, 1)
    (err,) = [json.loads(line) for line in (out / ERRORS_NAME).read_text("utf-8").splitlines()]
    assert err["path"].endswith("001_0c686d7f689649a3.txt") and err["error_type"] == "ParseTimeout"
    assert "time limit of 8 s" in err["reason"]


# ---------------------------------------------------------------- Ray token authentication
# (the token goes to Ray from nianbao.batch, so Python callers of run_batch get it as the
# command does; a real head + node cluster: test_ray_cluster.py, slow)


def test_ray_token_file_is_given_to_ray_as_it_documents(tmp_path):
    token = tmp_path / "cluster.token"
    token.write_text("abc123\n")
    env = {"HOME": str(tmp_path), "RAY_AUTH_TOKEN": "stale"}
    assert ray_token_source(token, env) == str(token)
    assert env == {"HOME": str(tmp_path), "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token.resolve())}


def test_ray_token_at_rays_default_path_turns_token_mode_on(tmp_path):
    (tmp_path / ".ray").mkdir()
    (tmp_path / ".ray" / "auth_token").write_text("abc123")
    env = {"HOME": str(tmp_path)}
    assert ray_token_source(None, env) == "~/.ray/auth_token"
    assert env["RAY_AUTH_MODE"] == "token"


def test_ray_without_a_token_or_with_auth_disabled_is_left_alone(tmp_path):
    env = {"HOME": str(tmp_path)}
    assert ray_token_source(None, env) is None and "RAY_AUTH_MODE" not in env
    (tmp_path / ".ray").mkdir()
    (tmp_path / ".ray" / "auth_token").write_text("abc123")
    env = {"HOME": str(tmp_path), "RAY_AUTH_MODE": "disabled"}
    assert ray_token_source(None, env) is None and env["RAY_AUTH_MODE"] == "disabled"


def test_ray_empty_token_file_is_refused_in_one_line(tmp_path):
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(UsageError, match="empty"):
        ray_token_source(tmp_path / "empty", {"HOME": str(tmp_path)})


def test_run_batch_gives_ray_the_token_file_for_python_callers(tmp_path, monkeypatch):
    """``run_batch(executor="ray", ray_address=..., ray_token_file=...)`` from Python: the token
    reaches Ray's environment before Ray is imported (not only through ``nianbao batch``), and a
    bad token file is refused before any input is read."""
    for name in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    token = tmp_path / "cluster.token"
    token.write_text("abc123\n")
    empty = tmp_path / "inputs"
    empty.mkdir()
    with pytest.raises(EngineUnavailableError, match="cannot reach the Ray cluster"):  # nothing listens there
        run_batch([empty], tmp_path / "out", executor="ray", ray_address="127.0.0.1:1", ray_token_file=token,
                  progress=False)
    assert os.environ["RAY_AUTH_MODE"] == "token" and os.environ["RAY_AUTH_TOKEN_PATH"] == str(token.resolve())
    with pytest.raises(UsageError, match="cannot read it"):
        run_batch([empty], tmp_path / "out", executor="ray", ray_address="127.0.0.1:1",
                  ray_token_file=tmp_path / "missing", progress=False)

