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
