"""The worker under the service definitions' own command lines: the systemd unit's
``ExecStart`` (environment from its ``Environment=`` lines and an ``EnvironmentFile`` laid
out like ``worker.env.example``) and the Containerfile's ``CMD``, each started for real,
seen running by ``worker --status``, stopped with the signal the definition sends, within
the time it allows, with exit status 0.

These run the command lines on this machine's Python; the image itself is built and run
by ``tests/packaging/test_container.py`` where a container engine answers. systemd itself
cannot run here (PID 1 is not systemd), so ``systemd-analyze verify`` checks the unit's
syntax and the rest of its meaning is read by :func:`_unit_directives` below."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "packaging" / "systemd" / "mentormatch-worker.service"
ENV_EXAMPLE = ROOT / "packaging" / "systemd" / "worker.env.example"
CONTAINERFILE = ROOT / "packaging" / "container" / "Containerfile"
CLI = [sys.executable, "-m", "mentormatch_desktop.cli"]
# The pip-installed stand-in for the bundle's /opt/mentormatch/mentormatch (same CLI).
SCRIPT = Path(sys.executable).with_name("mentormatch")
# What systemd's service manager puts in a service's environment before the unit's own.
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _unit_directives(text: str) -> dict[str, dict[str, list[str]]]:
    """systemd's unit syntax, as far as this unit uses it: ``[Section]`` headers,
    ``Key=Value`` lines, ``#``/``;`` comments, and repeated keys that accumulate (which is
    why :mod:`configparser` does not fit: it keeps one value per key)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.replace("\\\n", " ").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"directive outside a section: {line}"
        key, value = (part.strip() for part in line.split("=", 1))
        current.setdefault(key, []).append(value)
    return sections


def _environment_file(text: str) -> dict[str, str]:
    """An ``EnvironmentFile``: ``KEY=VALUE`` lines, comments, optional quotes."""
    env: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        key, value = line.split("=", 1)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def _environment_lines(values: list[str]) -> dict[str, str]:
    """``Environment=`` values: each is one or more shell-quoted ``KEY=VALUE`` words."""
    return dict(word.split("=", 1) for value in values for word in shlex.split(value))


def _unit() -> tuple[dict[str, list[str]], list[str], signal.Signals, float]:
    service = _unit_directives(UNIT.read_text())["Service"]
    (exec_start,) = service["ExecStart"]
    argv = shlex.split(exec_start)
    assert argv[0] == "/opt/mentormatch/mentormatch"
    (kill,) = service.get("KillSignal", ["SIGTERM"])
    (timeout,) = service.get("TimeoutStopSec", ["90"])
    return service, argv, signal.Signals[kill], float(timeout.removesuffix("s"))


def _service_environment(service: dict[str, list[str]], env_file: Path, state: Path) -> dict:
    """The environment systemd gives the process: its own PATH/LANG/HOME, then
    ``Environment=``, then the ``EnvironmentFile`` on top (files override the lines, as
    systemd.exec documents). ``StateDirectory`` becomes ``state``: this test is not root
    in /var/lib, and the data directory setting follows it."""
    env = {"PATH": SYSTEMD_PATH, "LANG": "C.UTF-8", "HOME": str(state)}
    env.update(_environment_lines(service.get("Environment", [])))
    env.update(_environment_file(env_file.read_text()))
    (state_dir,) = service["StateDirectory"]
    for key, value in env.items():
        env[key] = value.replace(f"/var/lib/{state_dir}", str(state))
    return env


def _container() -> tuple[list[str], dict[str, str], signal.Signals, list[str]]:
    text = CONTAINERFILE.read_text().replace("\\\n", " ")
    final_stage = text.rsplit("\nFROM ", 1)[1]  # what runs: the last stage
    cmd = json.loads(re.findall(r"^CMD (\[.+\])$", final_stage, re.M)[-1])
    health = re.search(r"^HEALTHCHECK .*?CMD (\[.+\])$", final_stage, re.M)
    stop = re.search(r"^STOPSIGNAL (\w+)$", final_stage, re.M)
    env = {}
    for block in re.findall(r"^ENV (.+)$", final_stage, re.M):
        env.update(re.findall(r"(\w+)=(\S+)", block))
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


def _run_and_stop(argv, env, sig, timeout, status_cmd, cwd=None) -> str:
    worker = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            done = subprocess.run(status_cmd, env=env, capture_output=True, text=True,
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


def test_unit_reads_the_documented_environment_file_and_stops_cleanly_on_sigterm() -> None:
    service, _, sig, timeout = _unit()
    (env_file,) = service["EnvironmentFile"]
    assert env_file.lstrip("-") == "/etc/mentormatch/worker.env"
    assert not env_file.startswith("-"), "a missing env file must stop the start, not be ignored"
    assert "MENTORMATCH_DATABASE_URL" in _environment_file(ENV_EXAMPLE.read_text())
    assert sig == signal.SIGTERM and timeout >= 30
    # Restart=on-failure only helps if a clean stop is not a failure: the worker exits 0.
    assert service["Restart"] == ["on-failure"]


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze not installed (apt-get install systemd) to verify the unit",
)
def test_systemd_analyze_verifies_the_unit_without_warnings(tmp_path: Path) -> None:
    # The one thing verify checks against this machine is that ExecStart exists: point it
    # at the pip-installed script, the unit's documented alternative to the bundle.
    assert SCRIPT.is_file()
    unit = tmp_path / UNIT.name
    unit.write_text(
        UNIT.read_text().replace("ExecStart=/opt/mentormatch/mentormatch", f"ExecStart={SCRIPT}")
    )
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    own = [line for line in done.stderr.splitlines() if UNIT.name in line]
    assert own == [], own


@pytest.mark.slow
@pytest.mark.parametrize("database_factory", ["postgresql"], indirect=True)
def test_worker_runs_and_stops_under_the_systemd_units_command_line(
    db_url: str, tmp_path: Path
) -> None:
    service, argv, sig, timeout = _unit()
    # /etc/mentormatch/worker.env as an administrator writes it from the example, for
    # this test's server: its database, and no TLS on loopback.
    example = _environment_file(ENV_EXAMPLE.read_text())
    example.pop("PGSSLROOTCERT")
    example.update(MENTORMATCH_DATABASE_URL=db_url, PGSSLMODE="disable")
    env_file = tmp_path / "worker.env"
    env_file.write_text(
        "# written by the test\n" + "".join(f"{k}={v}\n" for k, v in example.items())
    )
    state = tmp_path / "state"
    state.mkdir()
    env = _service_environment(service, env_file, state)
    assert env["MENTORMATCH_DATA_DIR"] == str(state)
    (workdir,) = service["WorkingDirectory"]
    cwd = workdir.replace(f"/var/lib/{service['StateDirectory'][0]}", str(state))
    command = [str(SCRIPT), *argv[1:]] if SCRIPT.is_file() else CLI + argv[1:]
    status = [*command[: -len(argv[1:])], "worker", "--status"]
    err = _run_and_stop(command, env, sig, timeout, status, cwd=cwd)
    if env.get("MENTORMATCH_LOG_FORMAT") == "json":
        events = [json.loads(line) for line in err.splitlines() if line.strip()]
        assert events[-1]["event"] == "stopped"


@pytest.mark.slow
def test_worker_runs_and_stops_under_the_containerfiles_command_line(db_url: str) -> None:
    argv, env, sig, health = _container()
    assert env["MENTORMATCH_LOG_FORMAT"] == "json"
    full_env = {**os.environ, **env, "MENTORMATCH_DATABASE_URL": db_url}
    err = _run_and_stop(argv, full_env, sig, 60, health)
    assert json.loads(err.splitlines()[-1])["event"] == "stopped"
