"""`python -m hmpps_sandbox`: run the local estate with the service, or act on a running one.

run                          start moto, the fakes and the service (what `make run` does)
token [ROLE ...]             print a user token with the given roles
journal API                  print what the fake API has been asked
env, batch TYPE              the running sandbox's service environment; run a batch job against it

Domain commands (change a DPS record, publish its event and show what reached NOMIS and the mapping
API) are registered from `hmpps_sandbox.cli`, one module per domain; `python -m hmpps_sandbox --help`
lists them:

visit book|change|cancel REF                     incentive review PRISONER
adjustment insert|update|delete ID               non-association create|amend|close|delete ID
activity schedule|amend-schedule|allocate|amend-allocation|attend ...

They find the fakes as `make run` started them, or wherever `API_BASE_URL_*` (in the environment or in
sandbox-data/service.env) says.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

from hmpps_sandbox.cli import ENV_FILE, Register, SandboxError, call, fake_url, print_json, written_env
from hmpps_sandbox.cli import activities as activities_cli
from hmpps_sandbox.cli import adjudications as adjudications_cli
from hmpps_sandbox.cli import courtsentencing as courtsentencing_cli
from hmpps_sandbox.cli import incentives as incentives_cli
from hmpps_sandbox.cli import nonassociations as nonassociations_cli
from hmpps_sandbox.cli import sentencing as sentencing_cli
from hmpps_sandbox.cli import visits as visits_cli
from hmpps_sandbox.estate import RUN_PORTS, Estate

# One line per domain: each adds its own sub-commands (see hmpps_sandbox.cli).
DOMAIN_COMMANDS: list[Register] = [
    visits_cli.register,
    incentives_cli.register,
    sentencing_cli.register,
    nonassociations_cli.register,
    activities_cli.register,
    adjudications_cli.register,
    courtsentencing_cli.register,
]

SERVICE_PORT = int(os.environ.get("SERVER_PORT", "8080"))


def _write_env_file(env: dict[str, str]) -> None:
    ENV_FILE.parent.mkdir(exist_ok=True)
    ENV_FILE.write_text("".join(f"{key}={value}\n" for key, value in sorted(env.items())))


def _sandbox_env() -> dict[str, str]:
    env = written_env()
    if not env:
        raise SystemExit(f"{ENV_FILE} not found: start the sandbox first with `make run`")
    return env


async def _wait_for_health(url: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        try:
            await asyncio.to_thread(call, "GET", url)
            return
        except Exception:
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


async def run() -> int:
    estate = Estate(check_contracts=True)
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
        "Change a DPS record, publish its event and see what reached NOMIS and the mapping API:",
        "  .venv/bin/python -m hmpps_sandbox visit book VSIP-1",
        "  .venv/bin/python -m hmpps_sandbox incentive review A1234BC --level ENH",
        "  .venv/bin/python -m hmpps_sandbox adjustment insert ADJ-1 --prisoner A1234BC",
        "  .venv/bin/python -m hmpps_sandbox non-association create 1 --first A1234BC --second B1234BC",
        "  .venv/bin/python -m hmpps_sandbox activity schedule 1",
        "  .venv/bin/python -m hmpps_sandbox journal nomis     (everything NOMIS was asked)",
        "Mint an admin token and list the visit DLQ:",
        "  TOKEN=$(.venv/bin/python -m hmpps_sandbox token ROLE_SYSCON__QUEUE_ADMIN)",
        '  curl -H "Authorization: Bearer $TOKEN" '
        f"http://127.0.0.1:{SERVICE_PORT}/queue-admin/get-dlq-messages/hmpps_prisoner_to_nomis_visit_dlq",
        f"Operator console: http://127.0.0.1:{SERVICE_PORT}/console (sign in with a token from",
        "  .venv/bin/python -m hmpps_sandbox token ROLE_SYSCON__QUEUE_ADMIN ROLE_PRISONER_TO_NOMIS__UPDATE__RW)",
        "Stop with Ctrl-C.",
        "",
    ]
    print("\n".join(lines), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hmpps_sandbox")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the sandbox and the service")
    token = commands.add_parser("token", help="print a user token with the given roles")
    token.add_argument("roles", nargs="*")
    commands.add_parser("env", help="print the service environment of the running sandbox")
    batch = commands.add_parser("batch", help="run a batch job of the service against the running sandbox")
    batch.add_argument("batch_type", help="e.g. INCENTIVES_RECON")
    batch.add_argument("extra", nargs=argparse.REMAINDER, help="further arguments, e.g. --date 2024-03-01")
    journal = commands.add_parser("journal", help="print the requests a fake API received")
    journal.add_argument("api", help="nomis, mapping, hmpps-auth or a DPS api name such as visits")
    for register in DOMAIN_COMMANDS:
        register(commands)
    args = parser.parse_args(argv)

    if args.command == "run":
        return asyncio.run(run())
    try:
        return _act(args)
    except SandboxError as error:
        print(error, file=sys.stderr)
        return 1


def _act(args: argparse.Namespace) -> int:
    if hasattr(args, "handler"):
        result: int = args.handler(args)
        return result
    if args.command == "env":
        print("".join(f"{key}={value}\n" for key, value in _sandbox_env().items()), end="")
        return 0
    if args.command == "batch":
        command = [sys.executable, "-m", "prisoner_to_nomis_update", "batch", args.batch_type, *args.extra]
        os.execve(sys.executable, command, {**os.environ, **_sandbox_env()})
    if args.command == "token":
        minted = call("POST", f"{fake_url('hmpps-auth')}/__mint", {"roles": args.roles})
        print(minted["access_token"])
        return 0
    if args.command == "journal":
        print_json(call("GET", f"{fake_url(args.api)}/__journal"))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
