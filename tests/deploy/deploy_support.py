"""What the deployment tests share: the repository root, a Dockerfile reader, the lock-file reader, and
the tools (container engine, helm) with the reason when one cannot be used here."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm_deploy" / "prisoner-to-nomis-update"
# `make image` and the image test use the same engine; podman is a drop-in where Docker is not.
ENGINE = os.environ.get("CONTAINER_ENGINE", "docker")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    stage: int

    def exec_form(self) -> list[str]:
        """The JSON (exec) form of CMD, ENTRYPOINT or HEALTHCHECK ... CMD."""
        text = self.arguments
        if self.keyword == "HEALTHCHECK":
            text = text[text.index(" CMD ") + len(" CMD ") :]
        value = json.loads(text)
        assert isinstance(value, list), f"{self.keyword} is not in exec form: {self.arguments}"
        return [str(part) for part in value]


def dockerfile(path: Path = ROOT / "Dockerfile") -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped; `stage` counts FROMs from 0."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        logical.append(pending + line)
        pending = ""
    instructions = []
    stage = -1
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        if keyword.upper() == "FROM":
            stage += 1
        instructions.append(Instruction(keyword.upper(), arguments.strip(), stage))
    return instructions


@dataclass(frozen=True)
class Pin:
    version: str
    hashes: frozenset[str]


def lock_pins(path: Path) -> dict[str, Pin]:
    """name -> version and hashes of a `uv pip compile --generate-hashes` file."""
    pins: dict[str, Pin] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", path.read_text()):
        match = re.match(r"([A-Za-z0-9_.\-]+)==(\S+)", block)
        if match:
            name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            pins[name] = Pin(match.group(2), frozenset(re.findall(r"--hash=(\S+)", block)))
    return pins


def pyproject() -> dict[str, object]:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)


def requirement_name(requirement: str) -> str:
    name = re.match(r"[A-Za-z0-9_.\-]+", requirement)
    assert name is not None, requirement
    return re.sub(r"[-_.]+", "-", name.group(0)).lower()


def engine_problem() -> str | None:
    """Why the container engine cannot build and run images here, or None when it can."""
    if shutil.which(ENGINE) is None:
        return f"no `{ENGINE}` command on PATH (CONTAINER_ENGINE names another engine)"
    try:
        result = subprocess.run(
            [ENGINE, "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        return f"`{ENGINE} version` did not answer within 30 s"
    if result.returncode != 0 or not result.stdout.strip():
        detail = (result.stderr.strip().splitlines() or ["no server version"])[0]
        return f"`{ENGINE}` has no engine to build and run images with: {detail}"
    return None


def helm_binary() -> str | None:
    """helm on PATH, else the one `.ci/install-helm` puts in .tools/bin."""
    return shutil.which("helm") or shutil.which("helm", path=str(ROOT / ".tools" / "bin"))
