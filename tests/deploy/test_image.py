"""The container image (issue 13).

The Dockerfile's contract is checked everywhere from the file itself; the image is built with
`make image` and run only where a container engine answers (the skip says why not).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from deploy_support import (
    ENGINE,
    ROOT,
    Instruction,
    dockerfile,
    engine_problem,
    lock_pins,
    pyproject,
    requirement_name,
)

from hmpps_sandbox.fake import FakeApi

SERVE = ["prisoner-to-nomis-update", "serve"]


def final_stage() -> list[Instruction]:
    instructions = dockerfile()
    last = max(instruction.stage for instruction in instructions)
    return [instruction for instruction in instructions if instruction.stage == last]


def test_dockerfile_is_multi_stage_slim_python_from_the_lock_and_serves_unprivileged() -> None:
    instructions = dockerfile()
    froms = [i.arguments for i in instructions if i.keyword == "FROM"]
    assert len(froms) >= 2, "a build stage and a runtime stage"
    [base] = [
        i.arguments for i in instructions if i.keyword == "ARG" and i.arguments.startswith("PYTHON_IMAGE=")
    ]
    assert all(f.startswith("${PYTHON_IMAGE}") for f in froms)
    version = base.removeprefix("PYTHON_IMAGE=")
    major_minor = version.split(":")[1].split("-")[0].split(".")
    assert version.startswith("python:") and "-slim" in version
    assert (int(major_minor[0]), int(major_minor[1])) >= (3, 11)

    installs = [i.arguments for i in instructions if i.keyword == "RUN" and "pip install" in i.arguments]
    assert any(
        "--require-hashes" in run and "-r /build/requirements-runtime.lock" in run and "--no-deps" in run
        for run in installs
    ), installs
    copied = [
        i.arguments.split()[0] for i in instructions if i.keyword == "COPY" and "--from" not in i.arguments
    ]
    assert "requirements-runtime.lock" in copied

    runtime = final_stage()
    [user] = [i.arguments for i in runtime if i.keyword == "USER"]
    assert user.isdigit() and int(user) != 0
    assert any(f"--uid {user}" in i.arguments for i in runtime if i.keyword == "RUN")
    [entrypoint] = [i.exec_form() for i in runtime if i.keyword == "ENTRYPOINT"]
    [command] = [i.exec_form() for i in runtime if i.keyword == "CMD"]
    assert entrypoint + command == SERVE
    assert [i.arguments for i in runtime if i.keyword == "EXPOSE"] == ["8080"]
    [healthcheck] = [i for i in runtime if i.keyword == "HEALTHCHECK"]
    assert "/health/ping" in " ".join(healthcheck.exec_form())
    scripts = pyproject()["project"]["scripts"]  # type: ignore[index]
    assert scripts[entrypoint[0]] == "prisoner_to_nomis_update.__main__:main"  # type: ignore[index]


def test_dockerignore_lets_in_exactly_what_the_build_copies() -> None:
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*"
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    copied = {
        source.rstrip("/")
        for i in dockerfile()
        if i.keyword == "COPY" and "--from" not in i.arguments
        for source in i.arguments.split()[:-1]
    }
    assert copied == allowed
    assert all((ROOT / path).exists() for path in allowed)


def test_runtime_lock_is_the_development_lock_without_the_dev_tools() -> None:
    """Same versions and hashes as requirements.lock, every runtime dependency, no test tooling."""
    full = lock_pins(ROOT / "requirements.lock")
    runtime = lock_pins(ROOT / "requirements-runtime.lock")
    assert {name: pin for name, pin in runtime.items() if full.get(name) != pin} == {}
    project = pyproject()["project"]
    wanted = {requirement_name(r) for r in project["dependencies"]}  # type: ignore[index]
    wanted |= {requirement_name(r) for r in project["optional-dependencies"]["build"]}  # type: ignore[index]
    assert wanted <= set(runtime)
    assert not {"pytest", "moto", "mypy", "ruff"} & set(runtime)


async def test_healthcheck_command_passes_only_while_ping_answers() -> None:
    """The HEALTHCHECK's own command, run here against a loopback /health/ping."""
    [healthcheck] = [i for i in final_stage() if i.keyword == "HEALTHCHECK"]
    command = healthcheck.exec_form()
    assert command[0] == "python"
    ping = FakeApi("ping")
    await ping.start()

    async def check() -> int:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *command[1:], env={"SERVER_PORT": str(port)}, stderr=subprocess.DEVNULL
        )
        return await process.wait()

    port = ping.port
    try:
        assert await check() == 0
        ping.inject_fault(path_pattern="/health/ping", status=503, count=1)
        assert await check() != 0
    finally:
        await ping.stop()
    assert await check() != 0


# ---- the image itself, where an engine can build and run it ---------------------------------------


def _engine(*args: str, timeout: float = 120) -> str:
    result = subprocess.run([ENGINE, *args], capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{ENGINE} {' '.join(args)}: {result.stderr[-2000:]}"
    return result.stdout.strip()


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    problem = engine_problem()
    if problem is not None:
        pytest.skip(f"cannot build the image here: {problem}")
    name = f"prisoner-to-nomis-update-test-{uuid.uuid4().hex[:8]}"
    version = str(pyproject()["project"]["version"])  # type: ignore[index]
    built = subprocess.run(
        ["make", "-C", str(ROOT), "image", f"IMAGE={name}"], capture_output=True, text=True, timeout=1800
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    tag = f"{name}:{version}"
    try:
        yield tag
    finally:
        subprocess.run([ENGINE, "rmi", "-f", tag, f"{name}:latest"], capture_output=True, timeout=120)


# Enough for `serve` to start with no queue: every domain's API named, nothing listening behind them.
NOWHERE = "http://127.0.0.1:9"
SERVE_ENV = {
    "HMPPS_SQS_PROVIDER": "localstack",
    "HMPPS_SQS_LOCALSTACK_URL": NOWHERE,
    "API_BASE_URL_HMPPS_AUTH": NOWHERE,
    **{
        f"API_BASE_URL_{name}": NOWHERE
        for name in (
            "NOMIS",
            "MAPPING",
            "VISITS",
            "INCENTIVES",
            "ACTIVITIES",
            "SENTENCE_ADJUSTMENTS",
            "NON_ASSOCIATIONS",
            "ADJUDICATIONS",
            "COURT_SENTENCING",
        )
    },
}


def test_image_runs_serve_as_non_root_and_answers_ping(image: str) -> None:
    config = json.loads(_engine("image", "inspect", image, "--format", "{{json .Config}}"))
    assert config["User"] == "2000"
    assert config["Entrypoint"] + config["Cmd"] == SERVE
    assert "8080/tcp" in config["ExposedPorts"]
    assert "/health/ping" in " ".join(config["Healthcheck"]["Test"])
    size = int(_engine("image", "inspect", image, "--format", "{{.Size}}"))
    print(f"image {image}: {size / 2**20:.0f} MB")

    env = [part for key, value in SERVE_ENV.items() for part in ("-e", f"{key}={value}")]
    container = _engine("run", "-d", "-p", "127.0.0.1::8080", *env, image)
    try:
        address = _engine("port", container, "8080/tcp").splitlines()[0]
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://{address}/health/ping", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(_engine("logs", container)) from None
                time.sleep(0.5)
        assert _engine("exec", container, "id", "-u") == "2000"
        pid1 = _engine("exec", container, "cat", "/proc/1/cmdline").split("\0")
        assert "serve" in pid1 and any(part.endswith("prisoner-to-nomis-update") for part in pid1)
    finally:
        subprocess.run([ENGINE, "rm", "-f", container], capture_output=True, timeout=60)

    # The CronJobs' command: an unknown batch type is refused before anything runs.
    refused = subprocess.run(
        [ENGINE, "run", "--rm", *env, image, "batch", "NOT_A_JOB"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2, refused.stderr
    assert "NOT_A_JOB" in refused.stdout + refused.stderr
