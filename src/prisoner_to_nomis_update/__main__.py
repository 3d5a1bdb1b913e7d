"""Command line: `prisoner-to-nomis-update serve` and `prisoner-to-nomis-update batch <TYPE>`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from prisoner_to_nomis_update.framework.logs import configure_logging
from prisoner_to_nomis_update.settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from prisoner_to_nomis_update.framework.domain import DomainFactory


def _serve(settings: Settings) -> int:
    import uvicorn

    from prisoner_to_nomis_update.app import Service

    service = Service(settings)
    config = uvicorn.Config(
        service.app,
        host=os.environ.get("SERVER_HOST", "0.0.0.0"),
        port=settings.server_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(service.shutdown_grace_seconds),
    )
    uvicorn.Server(config).run()
    return 0


async def run_batch(
    settings: Settings, batch_type: str, domains: Sequence[DomainFactory] | None = None
) -> None:
    """Run one job to completion without listening to any queue (framework.md 10).

    `domains` defaults to every registered domain; tests pass their own to prove the mechanics.
    """
    from prisoner_to_nomis_update.app import Service

    service = Service(settings) if domains is None else Service(settings, domains=domains)
    job = service.batch_job(batch_type)
    await service.start(listen=False)
    try:
        await service.context.reports.run(batch_type, job)
    finally:
        await service.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="prisoner-to-nomis-update")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the service (HTTP API and queue listeners)")
    batch = commands.add_parser("batch", help="run one batch job (as BATCH_TYPE) and exit")
    batch.add_argument("batch_type", nargs="?", help="e.g. INCENTIVES_RECON; defaults to $BATCH_TYPE")
    batch.add_argument("--date", help="report date (yyyy-MM-dd) for dated reports; sets $RECON_DATE")
    args = parser.parse_args(argv)
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    env = dict(os.environ)
    if getattr(args, "date", None):
        env["RECON_DATE"] = args.date
    try:
        settings = load_settings(env)
        if args.command == "batch" or (args.command in (None, "serve") and settings.batch_enabled):
            batch_type = getattr(args, "batch_type", None) or settings.batch_type
            if not batch_type:
                raise ConfigError("BATCH_TYPE must name the batch job to run")
            asyncio.run(run_batch(settings, batch_type))
            return 0
        if args.command in (None, "serve"):
            return _serve(settings)
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
