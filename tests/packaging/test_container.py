"""The worker image, built from ``packaging/container/Containerfile`` and run for real.

Needs a container engine (docker, or podman with the same CLI) whose daemon answers; the
tests skip, saying which, when there is none (CI's machines have no daemon), unless
``MENTORMATCH_REQUIRE_CONTAINER=1`` turns that skip into a failure. The image's base is the
Containerfile's default unless ``MENTORMATCH_CONTAINER_BASE_IMAGE`` names another (e.g. a
local debootstrap of Debian bookworm where no registry is reachable; docs/deployment.md).
The containers use the host's network, so the test PostgreSQL on loopback is reachable
and the worker is configured by environment alone, as in production.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.container,
    pytest.mark.slow,
    pytest.mark.xdist_group("container"),  # one image build per run
    pytest.mark.timeout(2400),  # the first test's setup builds the image (pip, minutes)
]

ROOT = Path(__file__).resolve().parents[2]
CONTAINERFILE = ROOT / "packaging" / "container" / "Containerfile"
ENGINE_ENV = "MENTORMATCH_CONTAINER_ENGINE"
BASE_IMAGE_ENV = "MENTORMATCH_CONTAINER_BASE_IMAGE"
REQUIRE_ENV = "MENTORMATCH_REQUIRE_CONTAINER"
TAG = "mentormatch-worker:test"
CLI = [sys.executable, "-m", "mentormatch_desktop.cli"]


def _find_engine() -> tuple[str | None, str]:
    """The first engine whose daemon answers, or None and why none did."""
    names = [os.environ[ENGINE_ENV]] if os.environ.get(ENGINE_ENV) else ["docker", "podman"]
    reasons = []
    for name in names:
        exe = shutil.which(name)
        if exe is None:
            reasons.append(f"no {name} on PATH")
            continue
        try:
            done = subprocess.run([exe, "info"], capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            reasons.append(f"`{name} info` did not answer in 60 s")
            continue
        if done.returncode == 0:
            return exe, ""
        lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
        reasons.append(f"`{name} info` failed: {lines[-1]}")
    return None, "no container engine answers (" + "; ".join(reasons) + ")"


@pytest.fixture(scope="session")
def engine() -> str:
    exe, reason = _find_engine()
    if exe is None:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return exe


def _run(engine: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([engine, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def image(engine: str) -> str:
    """The worker image, built from the repository as the Containerfile's header says."""
    base = os.environ.get(BASE_IMAGE_ENV)
    args = ["build", "--network", "host", "-f", str(CONTAINERFILE), "-t", TAG]
    if base:
        args += ["--build-arg", f"BASE_IMAGE={base}"]
    done = _run(engine, *args, str(ROOT), timeout=1800)
    assert done.returncode == 0, (
        f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}\n(without access to the default base "
        f"image, set {BASE_IMAGE_ENV} to a local image with python3 ≥ 3.11 and its venv module)"
    )
    return TAG


@pytest.fixture
def container_name(engine: str) -> Iterator[str]:
    name = f"mm-worker-test-{uuid.uuid4().hex[:8]}"
    yield name
    _run(engine, "rm", "--force", name)


def _state(engine: str, name: str) -> dict:
    done = _run(engine, "inspect", "--format", "{{json .State}}", name)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_image_runs_the_worker_as_a_non_root_user_with_its_healthcheck(
    engine: str, image: str
) -> None:
    done = _run(engine, "image", "inspect", "--format", "{{json .Config}}", image)
    config = json.loads(done.stdout)
    assert config["User"] == "mentormatch"
    assert config["Cmd"] == ["mentormatch", "worker"]
    assert config["Healthcheck"]["Test"] == ["CMD", "mentormatch", "worker", "--status"]
    assert config["StopSignal"] == "SIGTERM"
    assert "MENTORMATCH_LOG_FORMAT=json" in config["Env"]
    ids = _run(engine, "run", "--rm", image, "sh", "-c", "id -u; stat -c %U plugins")
    uid, plugins_owner = ids.stdout.split()
    assert ids.returncode == 0 and uid != "0" and plugins_owner == "mentormatch"


@pytest.mark.parametrize("database_factory", ["postgresql"], indirect=True)
def test_worker_once_in_the_container_against_the_hosts_database(
    engine: str, image: str, db_url: str
) -> None:
    done = _run(engine, "run", "--rm", "--network", "host",
                "-e", f"MENTORMATCH_DATABASE_URL={db_url}",
                image, "mentormatch", "worker", "--once")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("sent 0"), done.stdout
    assert "calendar-sync:" in done.stdout


@pytest.mark.parametrize("database_factory", ["postgresql"], indirect=True)
def test_worker_container_turns_healthy_and_stops_cleanly_on_sigterm(
    engine: str, image: str, db_url: str, container_name: str, tmp_path: Path
) -> None:
    env_file = tmp_path / "worker.env"
    env_file.write_text(f"MENTORMATCH_DATABASE_URL={db_url}\n")
    # The image's own HEALTHCHECK command; only its interval is shortened (60 s in the image).
    started = _run(engine, "run", "--detach", "--name", container_name, "--network", "host",
                   "--env-file", str(env_file), "--health-interval", "2s", image)  # fmt: skip
    assert started.returncode == 0, started.stderr
    deadline = time.monotonic() + 300
    while (state := _state(engine, container_name))["Health"]["Status"] != "healthy":
        assert state["Running"], _run(engine, "logs", container_name).stderr
        assert state["Health"]["Status"] != "unhealthy", state["Health"]["Log"]
        assert time.monotonic() < deadline, state["Health"]
        time.sleep(1)
    assert "running" in state["Health"]["Log"][-1]["Output"]

    stopped = _run(engine, "stop", "--time", "60", container_name, timeout=120)
    assert stopped.returncode == 0, stopped.stderr
    state = _state(engine, container_name)
    logs = _run(engine, "logs", container_name).stderr.splitlines()
    assert (state["Running"], state["ExitCode"], state["OOMKilled"]) == (False, 0, False), logs
    events = [json.loads(line) for line in logs if line.startswith("{")]
    assert events[0]["event"] == "started"
    assert any(e["message"].startswith("received SIGTERM") for e in events)
    assert events[-1]["event"] == "stopped"


# The systemd unit under real systemd: this machine's PID 1 is not systemd, but a container
# can run it as its PID 1. The layer adds systemd to the worker image, puts the unit where an
# administrator does (unchanged; /opt/mentormatch/mentormatch links to the virtualenv's
# script, the bundle's path), and the test mounts /etc/mentormatch/worker.env.
SYSTEMD_LAYER = """\
FROM {image}
USER root
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd \\
 && rm -rf /var/lib/apt/lists/*
RUN ln -s /opt/mentormatch/bin/mentormatch /opt/mentormatch/mentormatch \\
 && install -d /etc/mentormatch
COPY mentormatch-worker.service /etc/systemd/system/
RUN systemctl enable mentormatch-worker
HEALTHCHECK NONE
STOPSIGNAL SIGRTMIN+3
CMD ["/lib/systemd/systemd"]
"""
UNIT = ROOT / "packaging" / "systemd" / "mentormatch-worker.service"


def _unit_state(engine: str, name: str, booting: bool = False) -> dict[str, str]:
    """The unit's state as systemd reports it; empty while systemd is still ``booting``."""
    keys = "ActiveState,SubState,MainPID,Result,ExecMainStatus,NRestarts"
    done = _run(engine, "exec", name, "systemctl", "show", "-p", keys, "mentormatch-worker")
    if booting and done.returncode != 0:
        return {}
    assert done.returncode == 0, done.stderr
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


@pytest.mark.parametrize("database_factory", ["postgresql"], indirect=True)
def test_systemd_unit_runs_the_worker_under_systemd_and_stops_it_cleanly(
    engine: str, image: str, db_url: str, container_name: str, tmp_path: Path
) -> None:
    context = tmp_path / "systemd-layer"
    context.mkdir()
    (context / "Containerfile").write_text(SYSTEMD_LAYER.format(image=image))
    shutil.copy(UNIT, context / UNIT.name)
    built = _run(engine, "build", "--network", "host", "-t", "mentormatch-worker-systemd:test",
                 "-f", str(context / "Containerfile"), str(context), timeout=900)  # fmt: skip
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    env_file = tmp_path / "worker.env"
    env_file.write_text(f"MENTORMATCH_DATABASE_URL={db_url}\nPGSSLMODE=disable\n")
    # systemd as PID 1 needs to mount (SYS_ADMIN) and to manage its cgroups.
    started = _run(engine, "run", "--detach", "--name", container_name, "--network", "host",
                   "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
                   "--cgroupns", "host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
                   "--tmpfs", "/run", "--tmpfs", "/run/lock",
                   "-v", f"{env_file}:/etc/mentormatch/worker.env:ro",
                   "mentormatch-worker-systemd:test")  # fmt: skip
    assert started.returncode == 0, started.stderr
    deadline = time.monotonic() + 180
    status_cmd = [*CLI, "worker", "--status"]
    status_env = {**os.environ, "MENTORMATCH_DATABASE_URL": db_url}
    while True:
        assert _state(engine, container_name)["Running"], _run(engine, "logs", container_name)
        state = _unit_state(engine, container_name, booting=True)
        status = subprocess.run(status_cmd, env=status_env, capture_output=True, text=True,
                                timeout=120)  # fmt: skip
        if state.get("SubState") == "running" and status.returncode == 0:
            break
        assert state.get("ActiveState") != "failed", state
        assert time.monotonic() < deadline, (state, _run(engine, "logs", container_name).stdout)
        time.sleep(1)
    assert "running" in status.stdout
    proc = _run(engine, "exec", container_name, "cat", f"/proc/{state['MainPID']}/status")
    fields = dict(line.split(":", 1) for line in proc.stdout.splitlines())
    assert fields["Uid"].split()[0] != "0" and fields["NoNewPrivs"].strip() == "1"

    stopped = _run(engine, "exec", container_name, "systemctl", "stop", "mentormatch-worker",
                   timeout=120)  # fmt: skip
    assert stopped.returncode == 0, stopped.stderr
    state = _unit_state(engine, container_name)
    assert (state["ActiveState"], state["Result"], state["ExecMainStatus"]) == (
        "inactive",
        "success",
        "0",
    ), state
    assert state["NRestarts"] == "0"
    journal = _run(engine, "exec", container_name, "journalctl", "-u", "mentormatch-worker",
                   "-o", "cat", "--no-pager")  # fmt: skip
    events = [json.loads(line) for line in journal.stdout.splitlines() if line.startswith("{")]
    assert events[-1]["event"] == "stopped"
