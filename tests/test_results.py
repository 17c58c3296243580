"""A results folder under faults (issue 15.8-10, 16.3): a corrupt result JSON is parsed again on
resume and skipped-and-named by export, check and review; a result knows the absolute path and
sha256 of its input, so the review finds the file from any folder; a result parsed by another
nianbao or with other settings is parsed again, and the summary says why."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nianbao import __version__
from nianbao.batch import load_index, run_batch
from nianbao.corrections import Correction, append_correction, load_corrections
from nianbao.fileio import atomic_write, atomic_write_text, sha256_file
from nianbao.results import (BadResultError, find_source, is_current, load_results, read_report, result_entries,
                             stale_reason)
from nianbao.review import ReviewStore, discover_results
from nianbao.settings import Settings

SEEDS = ["000_16485cd5df1f3c2d", "003_7c65fe511f0a5482"]


@pytest.fixture()
def batch_dir(tmp_path: Path, seeds_dir: Path) -> tuple[Path, Path]:
    src = tmp_path / "in"
    src.mkdir()
    for s in SEEDS:
        shutil.copy(seeds_dir / f"{s}.txt", src / f"{s}.txt")
    out = tmp_path / "out"
    assert run_batch([src], out, workers=1, progress=False).done == 2
    return src, out


def _result_of(out: Path, seed: str) -> Path:
    return out / next(e["result"] for p, e in load_index(out).items() if p.endswith(f"{seed}.txt"))


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nianbao.cli", *args], capture_output=True, text=True, timeout=180,
                          cwd=cwd, env={**os.environ, "COLUMNS": "200"})


# ---------------------------------------------------------------- 8. a corrupt result JSON


def test_corrupt_result_json_is_skipped_and_named_by_export_check_and_review(batch_dir, tmp_path: Path) -> None:
    src, out = batch_dir
    bad = _result_of(out, SEEDS[0])
    bad.write_text(bad.read_text("utf-8")[:500], encoding="utf-8")  # what a full disk leaves
    with pytest.raises(BadResultError) as exc:
        read_report(bad)
    assert str(bad) in str(exc.value) and "\n" not in str(exc.value)

    proc = _cli("export", str(out), "--out", str(tmp_path / "x.csv"))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and bad.name in proc.stderr
    assert len([ln for ln in proc.stderr.splitlines() if bad.name in ln]) == 1  # one clear line
    from nianbao.dataset import read_export

    assert {Path(r["file"]).name for r in read_export(tmp_path / "x.csv")} == {f"{SEEDS[1]}.txt"}

    proc = _cli("check", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr and bad.name in proc.stdout and "1 report(s)" in proc.stdout

    skipped: list[BadResultError] = []
    assert len(list(load_results(result_entries(out), skipped.append))) == 1 and skipped[0].path == str(bad)
    store = ReviewStore(discover_results([out]))
    assert [st.machine.source.sha256 for st in store.states()] == [sha256_file(src / f"{SEEDS[1]}.txt")]


def test_corrupt_result_json_is_parsed_again_on_resume(batch_dir) -> None:
    src, out = batch_dir
    bad = _result_of(out, SEEDS[0])
    bad.write_text('{"schema_version": 1, "source": {"pa', encoding="utf-8")
    s = run_batch([src], out, workers=1, progress=False)
    assert (s.done, s.skipped, s.failed) == (1, 1, 0)
    assert s.reparsed == {"result file did not load": 1}
    assert read_report(bad).source.sha256 == sha256_file(src / f"{SEEDS[0]}.txt")  # the same file, whole again
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["reparsed"] == {"result file did not load": 1}


# ---------------------------------------------------------------- 9. finding the input


def test_review_finds_the_source_from_another_folder_by_path_or_sha256(batch_dir, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    src, out = batch_dir
    result = _result_of(out, SEEDS[1])
    report = read_report(result)
    original = src / f"{SEEDS[1]}.txt"
    assert Path(report.source.path).is_absolute() and Path(report.source.path) == original.resolve()
    assert report.source.sha256 == sha256_file(original)

    monkeypatch.chdir(tmp_path.parent)  # review started from elsewhere: the absolute path still finds it
    assert find_source(report.source) == original.resolve()

    uploads = tmp_path / "uploads"
    uploads.mkdir()
    moved = uploads / f"{report.source.sha256}.txt"  # as the server stores an upload
    shutil.move(original, moved)
    (uploads / "other.txt").write_text("not it", encoding="utf-8")
    assert find_source(report.source) is None
    assert find_source(report.source, [uploads]) == moved.resolve()
    store = ReviewStore([result], source_dirs=[uploads])
    (st,) = store.states()
    assert st.machine.source.path == str(moved.resolve())
    assert read_report(result).source.path == report.source.path  # the result on disk is not rewritten

    # a result of an older nianbao that recorded the path as typed, relative to where batch ran
    shutil.move(moved, original)
    old = result.with_name("old.json")
    report.source.path = f"in/{original.name}"
    old.write_text(report.model_dump_json(), encoding="utf-8")
    assert find_source(report.source, relative_to=[old.parent.parent]) == original.resolve()
    assert ReviewStore([old]).states()[0].machine.source.path == str(original.resolve())

    # a file at the recorded path with other content is not taken for the source
    original.write_text("changed", encoding="utf-8")
    assert find_source(report.source, relative_to=[old.parent.parent]) is None


# ---------------------------------------------------------------- 10. version and settings


def test_reports_record_version_and_settings_and_know_whether_they_are_current(batch_dir) -> None:
    _, out = batch_dir
    report = read_report(_result_of(out, SEEDS[0]))
    settings = Settings()
    assert report.nianbao_version == __version__ and report.settings_hash == settings.results_hash()
    assert is_current(report, settings)
    neutral = Settings(ocr={"threads": 7}, layout={"debug_dir": "/tmp/x"}, limits={"parse_timeout_s": 5})
    assert is_current(report, neutral)  # threads, debug images and limits do not change results
    assert stale_reason(report, Settings(layout={"render_dpi": 300})) == "parsed with other settings"
    older = report.model_copy(update={"nianbao_version": "0.0.1"})
    assert "0.0.1" in stale_reason(older, settings) and __version__ in stale_reason(older, settings)
    assert not is_current(report.model_copy(update={"nianbao_version": "", "settings_hash": ""}), settings)


def test_resume_after_a_settings_or_version_change_parses_again_and_says_so(batch_dir) -> None:
    src, out = batch_dir
    result = _result_of(out, SEEDS[1])
    append_correction(result, Correction(who="alice", action="correct", table="applications", row="new_received",
                                         col="natural_person", old_value=1, new_value=7, machine_value=1))
    s = run_batch([src], out, workers=1, progress=False, settings=Settings(assembly={"min_label_score": 0.5}))
    assert (s.done, s.skipped) == (2, 0)
    assert s.reparsed == {"parsed with other settings": 2}
    # the re-parse overwrote the same result file, so the reviewer's log is still beside it
    assert len(load_corrections(result)) == 1 and read_report(result).settings_hash != Settings().results_hash()

    data = json.loads(result.read_text("utf-8"))
    data["nianbao_version"] = "0.0.1"
    result.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    s = run_batch([src], out, workers=1, progress=False)  # default settings again, and one older result
    assert (s.done, s.skipped) == (2, 0)
    assert s.reparsed == {"parsed with other settings": 1, f"parsed by nianbao 0.0.1, this is {__version__}": 1}
    s = run_batch([src], out, workers=1, progress=False)
    assert (s.done, s.skipped, s.reparsed) == (0, 2, {})


# ---------------------------------------------------------------- fileio and layers


def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    atomic_write_text(target, "old")

    def broken(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_text("utf-8") == "old" and [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_no_import_cycle_between_dataset_and_years() -> None:
    """years (cross-year checks) is below dataset (exports include its findings); it must load alone."""
    code = "import sys, nianbao.years, nianbao.results; print('nianbao.dataset' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "False", proc.stderr


def test_a_torn_last_line_of_a_corrections_log_does_not_poison_the_result(batch_dir) -> None:
    """A kill in the middle of an append leaves half a line: it is ignored, the next event
    starts on its own line, and the export still has the report and its earlier correction."""
    from nianbao.corrections import log_path_for
    from nianbao.dataset import export, read_export

    _, out = batch_dir
    result = _result_of(out, SEEDS[1])
    first = Correction(who="alice", action="correct", table="applications", row="new_received",
                       col="natural_person", old_value=1, new_value=7, machine_value=1)
    append_correction(result, first)
    with open(log_path_for(result), "a", encoding="utf-8") as fh:
        fh.write('{"who": "bob", "action": "corr')
    assert [e.id for e in load_corrections(result)] == [first.id]
    second = Correction(who="carol", action="accept", table="applications", row="new_received", col="total")
    append_correction(result, second)
    assert [e.id for e in load_corrections(result)] == [first.id, second.id]  # the torn half-line is cut off
    rows = export(out, "csv", out.parent / "x.csv")
    assert rows and any(r["corrected"] for r in read_export(out.parent / "x.csv"))
