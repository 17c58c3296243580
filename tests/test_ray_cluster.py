"""``nianbao batch --executor ray --ray-address`` against a real cluster started with
``ray start`` (a head and a second node on this machine, loopback only) that uses Ray's token
authentication, as Ray >= 2.52 turns on when the head has a token: the driver sends the token
the way Ray documents it, and without one fails with a line saying how to give it.

The head offers no CPU, so every task runs on the second node, which joined with the token.
Small: one CPU, 80 MB object stores, no dashboard; every process is ended in a finally."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="the ray extra is not installed: pip install 'nianbao[ray]'")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

DATA = Path(__file__).parent / "data"
START_DEADLINE_S = 60


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _clean_env(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any Ray setting, with its own HOME (~/.ray/auth_token)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env.update(HOME=str(home), RAY_USAGE_STATS_ENABLED="0", **extra)
    return env


def _ray_start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """``ray start --block`` in its own process group (so every process it spawns can be ended)."""
    return subprocess.Popen([sys.executable, "-m", "ray.scripts.scripts", "start", "--block", *args],
                            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def _node_ports() -> list[str]:
    """Ports a node would otherwise take at fixed defaults (two nodes share this machine)."""
    agent, grpc, metrics, runtime_env = _free_ports(4)
    return [f"--dashboard-agent-listen-port={agent}", f"--dashboard-agent-grpc-port={grpc}",
            f"--metrics-export-port={metrics}", f"--runtime-env-agent-port={runtime_env}"]


def _wait_started(proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if "Ray runtime started" in text:
            return
        if proc.poll() is not None:
            raise AssertionError(f"ray start exited {proc.returncode}:\n{text[-3000:]}")
        time.sleep(0.5)
    raise AssertionError(f"ray start not up in {START_DEADLINE_S} s:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    """End the process group of one ``ray start --block``: TERM, then KILL after a grace period."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


@dataclass
class Cluster:
    address: str
    head_home: Path  # holds the head's token at ~/.ray/auth_token
    token_file: Path  # a copy of it elsewhere, as an operator hands it out
    root: Path


@pytest.fixture(scope="module")
def token_cluster() -> Iterator[Cluster]:
    root = Path(tempfile.mkdtemp(prefix="nbray-", dir="/tmp"))  # short: Ray's socket paths have a length limit
    head_home, node_home = root / "head", root / "node"
    token = secrets.token_hex(32)
    (head_home / ".ray").mkdir(parents=True)
    (head_home / ".ray" / "auth_token").write_text(token)
    node_home.mkdir()
    token_file = root / "cluster.token"
    token_file.write_text(token + "\n")
    (port,) = _free_ports(1)
    address = f"127.0.0.1:{port}"
    small = ["--object-store-memory=80000000", "--disable-usage-stats"]
    procs: list[subprocess.Popen] = []
    try:
        # the head as the issue found it: RAY_AUTH_MODE unset, a token in ~/.ray -> token auth on
        head = _ray_start(["--head", "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=0",
                           f"--temp-dir={root / 't'}", "--include-dashboard=false", *small,
                           *_node_ports()], _clean_env(head_home), root / "head.log")
        procs.append(head)
        _wait_started(head, root / "head.log")
        assert "Token authentication is enabled" in (root / "head.log").read_text(errors="replace")
        # the second node as the README says: RAY_AUTH_MODE=token and the token's file
        node = _ray_start([f"--address={address}", "--node-ip-address=127.0.0.1", "--num-cpus=1", *small,
                           *_node_ports()],
                          _clean_env(node_home, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(token_file)),
                          root / "node.log")
        procs.append(node)
        _wait_started(node, root / "node.log")
        yield Cluster(address, head_home, token_file, root)
    finally:
        for p in reversed(procs):
            _stop(p)
        shutil.rmtree(root, ignore_errors=True)


def _batch(tmp_path: Path, cluster: Cluster, home: Path, *extra: str) -> subprocess.CompletedProcess:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("report_2022_city_bureau.html", "report_2022_city_bureau.pdf"):
        shutil.copy(DATA / name, inputs / name)
    return subprocess.run([sys.executable, "-m", "nianbao.cli", "batch", str(inputs), "--out", str(tmp_path / "out"),
                           "--executor", "ray", "--ray-address", cluster.address, "--workers", "1", "-q", *extra],
                          env=_clean_env(home), capture_output=True, text=True, timeout=120)


def test_batch_joins_a_token_cluster_with_the_token_on_the_heads_machine(tmp_path, token_cluster):
    """The issue's case: the driver runs where ~/.ray/auth_token is (as on the head)."""
    proc = _batch(tmp_path, token_cluster, token_cluster.head_home)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["done"] == 2 and summary["failed"] == 0


def test_batch_joins_a_token_cluster_with_ray_token_file(tmp_path, token_cluster):
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()  # no ~/.ray here: only the file given
    proc = _batch(tmp_path, token_cluster, elsewhere, "--ray-token-file", str(token_cluster.token_file))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["done"] == 2


def test_batch_without_the_token_says_how_to_give_it(tmp_path, token_cluster):
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    proc = _batch(tmp_path, token_cluster, elsewhere)
    assert proc.returncode == 4
    last = proc.stderr.strip().splitlines()[-1]
    assert "cannot join the Ray cluster" in last and "--ray-token-file" in last and "Traceback" not in proc.stderr
