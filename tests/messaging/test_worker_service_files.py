"""The worker under the service definitions' own command lines: the systemd unit's
``ExecStart`` (environment from its ``Environment=`` lines) and the Containerfile's
``CMD``, each started for real, seen running by ``worker --status``, stopped with the
signal the definition sends, within the time it allows, with exit status 0."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "packaging" / "systemd" / "mentormatch-worker.service"
CONTAINERFILE = ROOT / "packaging" / "container" / "Containerfile"
CLI = [sys.executable, "-m", "mentormatch_desktop.cli"]


def _unit() -> tuple[list[str], dict[str, str], signal.Signals, float]:
    text = UNIT.read_text()
    (exec_start,) = re.findall(r"^ExecStart=(.+)$", text, re.M)
    env = dict(line.split("=", 1) for line in re.findall(r"^Environment=(.+)$", text, re.M))
    kill = re.search(r"^KillSignal=(\w+)$", text, re.M)
    timeout = re.search(r"^TimeoutStopSec=(\d+)$", text, re.M)
    argv = shlex.split(exec_start)
    assert argv[0].endswith("/mentormatch")
    return (
        CLI + argv[1:],
        env,
        signal.Signals[kill.group(1) if kill else "SIGTERM"],
        float(timeout.group(1)) if timeout else 90.0,
    )


def _container() -> tuple[list[str], dict[str, str], signal.Signals, list[str]]:
    text = CONTAINERFILE.read_text()
    cmd = json.loads(re.findall(r"^CMD (\[.+\])$", text, re.M)[-1])
    health = re.search(r"CMD (\[.+\])\s*$", text.split("HEALTHCHECK", 1)[1].split("\nCMD")[0])
    stop = re.search(r"^STOPSIGNAL (\w+)$", text, re.M)
    env_block = re.search(r"^ENV ((?:.*\\\n)*.*)$", text.split("FROM python:3.11-slim\n")[-1], re.M)
    env = dict(re.findall(r"(\w+)=(\S+)", env_block.group(1).replace("\\\n", " ")))
    env.pop("PATH", None)
    env.pop("MENTORMATCH_DATA_DIR", None)
    assert cmd[0] == "mentormatch" and health is not None
    health_cmd = json.loads(health.group(1))
    return (
        CLI + cmd[1:],
        env,
        signal.Signals[stop.group(1) if stop else "SIGTERM"],
        CLI + health_cmd[1:],
    )


def _run_and_stop(argv, env, sig, timeout, db_url, status_cmd) -> str:
    full_env = {**os.environ, **env, "MENTORMATCH_DATABASE_URL": db_url}
    worker = subprocess.Popen(argv, env=full_env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            done = subprocess.run(status_cmd, env=full_env, capture_output=True, text=True,
                                  timeout=120)  # fmt: skip
            if done.returncode == 0:
                break
            assert worker.poll() is None, worker.communicate()[1]
            assert time.monotonic() < deadline, done.stdout + done.stderr
            time.sleep(0.3)
        assert "running" in done.stdout
        worker.send_signal(sig)
        _, err = worker.communicate(timeout=timeout)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, err
    return err


@pytest.mark.slow
def test_worker_runs_and_stops_under_the_systemd_units_command_line(db_url: str) -> None:
    argv, env, sig, timeout = _unit()
    assert sig == signal.SIGTERM and timeout >= 30
    err = _run_and_stop(argv, env, sig, timeout, db_url, [*CLI, "worker", "--status"])
    if env.get("MENTORMATCH_LOG_FORMAT") == "json":
        assert all(json.loads(line) for line in err.splitlines() if line.strip())


@pytest.mark.slow
def test_worker_runs_and_stops_under_the_containerfiles_command_line(db_url: str) -> None:
    argv, env, sig, health = _container()
    err = _run_and_stop(argv, env, sig, 60, db_url, health)
    assert json.loads(err.splitlines()[-1])["event"] == "stopped"
