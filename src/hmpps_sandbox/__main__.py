"""`python -m hmpps_sandbox`: run the local estate with the service, or act on a running one.

run                          start moto, the fakes and the service (what `make run` does)
visit book|change|cancel REF change a DPS visit and publish its event
token [ROLE ...]             print a user token with the given roles
journal API                  print what the fake API has been asked
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import urllib.request
from pathlib import Path
from typing import Any

import orjson

from hmpps_sandbox.estate import RUN_PORTS, Estate

SERVICE_PORT = int(os.environ.get("SERVER_PORT", "8080"))
# Written by `run` so other commands (batch jobs, scripts) can reach the running sandbox.
ENV_FILE = Path("sandbox-data/service.env")


def _write_env_file(env: dict[str, str]) -> None:
    ENV_FILE.parent.mkdir(exist_ok=True)
    ENV_FILE.write_text("".join(f"{key}={value}\n" for key, value in sorted(env.items())))


def _sandbox_env() -> dict[str, str]:
    if not ENV_FILE.exists():
        raise SystemExit(f"{ENV_FILE} not found: start the sandbox first with `make run`")
    lines = ENV_FILE.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def _fake_url(name: str) -> str:
    port = RUN_PORTS[name]
    return f"http://127.0.0.1:{port}" + ("/auth" if name == "hmpps-auth" else "")


def _call(method: str, url: str, body: Any = None) -> Any:
    data = orjson.dumps(body) if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return orjson.loads(raw) if raw else None


async def _wait_for_health(url: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        try:
            await asyncio.to_thread(_call, "GET", url)
            return
        except Exception:
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


async def run() -> int:
    estate = Estate()
    from hmpps_sandbox.moto_server import MotoServer

    estate.moto = MotoServer(port=RUN_PORTS["moto"])
    await estate.start(ports=RUN_PORTS)
    service_env = {**estate.service_env(), "SERVER_PORT": str(SERVICE_PORT)}
    _write_env_file(service_env)
    env = {**os.environ, **service_env}
    service = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "prisoner_to_nomis_update", "serve", env=env
    )
    try:
        await _wait_for_health(f"http://127.0.0.1:{SERVICE_PORT}/health/readiness")
        _print_banner(estate)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        while not stop.is_set() and service.returncode is None:
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass
    finally:
        if service.returncode is None:
            service.send_signal(signal.SIGTERM)
            await asyncio.wait_for(service.wait(), 40)
        await estate.stop()
    return service.returncode or 0


def _print_banner(estate: Estate) -> None:
    lines = [
        "",
        "prisoner-to-nomis-update is running against the local sandbox",
        f"  service        http://127.0.0.1:{SERVICE_PORT}  (health: /health, docs: /swagger-ui.html)",
        f"  moto (SQS/SNS) {estate.moto.url}",
        f"  HMPPS Auth     {estate.auth.url}",
        f"  NOMIS          {estate.nomis.url}",
        f"  mapping        {estate.mapping.url}",
        *(f"  DPS {name:<20} {fake.url}" for name, fake in estate.dps.items()),
        "",
        "Book a visit (DPS change + domain event) and see it reach NOMIS:",
        "  .venv/bin/python -m hmpps_sandbox visit book VSIP-1",
        "  .venv/bin/python -m hmpps_sandbox journal nomis",
        "Mint an admin token and list the visit DLQ:",
        "  TOKEN=$(.venv/bin/python -m hmpps_sandbox token ROLE_SYSCON__QUEUE_ADMIN)",
        '  curl -H "Authorization: Bearer $TOKEN" '
        f"http://127.0.0.1:{SERVICE_PORT}/queue-admin/get-dlq-messages/hmpps_prisoner_to_nomis_visit_dlq",
        "Stop with Ctrl-C.",
        "",
    ]
    print("\n".join(lines), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hmpps_sandbox")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the sandbox and the service")
    visit = commands.add_parser("visit", help="book, change or cancel a DPS visit and publish its event")
    visit.add_argument("action", choices=["book", "change", "cancel"])
    visit.add_argument("reference")
    visit.add_argument("--prisoner", default=None, help="prisoner number (default A1234BC)")
    visit.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="change a visit field"
    )
    token = commands.add_parser("token", help="print a user token with the given roles")
    token.add_argument("roles", nargs="*")
    commands.add_parser("env", help="print the service environment of the running sandbox")
    batch = commands.add_parser("batch", help="run a batch job of the service against the running sandbox")
    batch.add_argument("batch_type", help="e.g. INCENTIVES_RECON")
    batch.add_argument("extra", nargs=argparse.REMAINDER, help="further arguments, e.g. --date 2024-03-01")
    journal = commands.add_parser("journal", help="print the requests a fake API received")
    journal.add_argument("api", help="nomis, mapping, hmpps-auth or a DPS api name such as visits")
    args = parser.parse_args(argv)

    if args.command == "run":
        return asyncio.run(run())
    if args.command == "visit":
        changes: dict[str, Any] = dict(item.split("=", 1) for item in args.set)
        if args.prisoner:
            changes["prisonerId"] = args.prisoner
        result = _call("POST", f"{_fake_url('visits')}/__visits/{args.reference}/{args.action}", changes)
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
        return 0
    if args.command == "env":
        print("".join(f"{key}={value}\n" for key, value in _sandbox_env().items()), end="")
        return 0
    if args.command == "batch":
        command = [sys.executable, "-m", "prisoner_to_nomis_update", "batch", args.batch_type, *args.extra]
        os.execve(sys.executable, command, {**os.environ, **_sandbox_env()})
    if args.command == "token":
        result = _call("POST", f"{_fake_url('hmpps-auth')}/__mint", {"roles": args.roles})
        print(result["access_token"])
        return 0
    if args.command == "journal":
        result = _call("GET", f"{_fake_url(args.api)}/__journal")
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
