"""A sweep sent to a separate ``dask scheduler`` with a separate ``dask worker``, both on 127.0.0.1.

The worker is its own process (as on another machine): it imports the package, builds an embedded
chain per run from the scenario text it is sent, and returns plain rows. Both processes are
started here and stopped at the end, whatever happens.
"""

from __future__ import annotations

import csv
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from defi_int.cli import main

BASIC = Path(__file__).resolve().parents[2] / "scripts" / "scenarios" / "basic.toml"
DASK = Path(sys.executable).with_name("dask")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen[bytes], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the dask scheduler exited with {process.returncode}", pytrace=False)
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"nothing listened on 127.0.0.1:{port} within {seconds} s", pytrace=False)


@pytest.fixture
def scheduler(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = (tmp_path / "scheduler.log").open("wb"), (tmp_path / "worker.log").open("wb")
    common = ["--no-dashboard"]
    procs = [
        subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), *common],
            stdout=logs[0],
            stderr=logs[0],
        )
    ]
    try:
        wait_for(port, procs[0])
        worker = [str(DASK), "worker", address, "--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "1", *common]
        procs.append(subprocess.Popen(worker, stdout=logs[1], stderr=logs[1]))
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()


@pytest.mark.node
def test_a_sweep_runs_on_a_separate_scheduler_and_worker(scheduler: str, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    args = ["sweep", str(BASIC), "--set", "steps=4", "--grid", "keeper.half_spread_bps=3,12", "--seeds", "2"]
    assert main([*args, "--scheduler", scheduler, "--out", str(out), "--no-progress"]) == 0
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == 4 and {r["status"] for r in rows} == {"ok"}
    assert {r["invariants_ok"] for r in rows} == {"true"}
