"""The whole local HMPPS estate in one object: moto (SNS/SQS), HMPPS Auth, NOMIS, mapping and DPS fakes.

Tests, benchmarks and `make run` all use this, so what the tests prove is what a developer runs.
Domains add their fakes with one `install(estate)` each (see `hmpps_sandbox.domains`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hmpps_sandbox.auth import FakeAuth
from hmpps_sandbox.aws import EventPublisher
from hmpps_sandbox.contract import ContractViolation, load_contracts
from hmpps_sandbox.domains import activities as activities_fakes
from hmpps_sandbox.domains import adjudications as adjudications_fakes
from hmpps_sandbox.domains import courtsentencing as courtsentencing_fakes
from hmpps_sandbox.domains import courtsentencing_reconciliation as courtsentencing_reconciliation_fakes
from hmpps_sandbox.domains import incentives as incentives_fakes
from hmpps_sandbox.domains import nonassociations as nonassociations_fakes
from hmpps_sandbox.domains import prisoners as prisoners_fakes
from hmpps_sandbox.domains import sentencing as sentencing_fakes
from hmpps_sandbox.domains import visits
from hmpps_sandbox.fake import FakeApi
from hmpps_sandbox.moto_server import MotoServer

REGION = "eu-west-2"
TOPIC_ARN = "arn:aws:sns:eu-west-2:000000000000:hmpps_domain_events"

# api name -> base URL variable of the service
DPS_ENV = {
    "visits": "API_BASE_URL_VISITS",
    "incentives": "API_BASE_URL_INCENTIVES",
    "activities": "API_BASE_URL_ACTIVITIES",
    "sentence-adjustments": "API_BASE_URL_SENTENCE_ADJUSTMENTS",
    "non-associations": "API_BASE_URL_NON_ASSOCIATIONS",
    "adjudications": "API_BASE_URL_ADJUDICATIONS",
    "court-sentencing": "API_BASE_URL_COURT_SENTENCING",
}

PLUGINS: dict[str, Callable[[Estate], Any]] = {
    "prisoners": prisoners_fakes.install,  # shared NOMIS population: before the domain plugins
    "visits": visits.install,
    "activities": activities_fakes.install,
    "nonassociations": nonassociations_fakes.install,
    "incentives": incentives_fakes.install,
    "sentencing": sentencing_fakes.install,
    "courtsentencing": courtsentencing_fakes.install,
    "courtsentencing-reconciliation": courtsentencing_reconciliation_fakes.install,  # reads over the above
    "adjudications": adjudications_fakes.install,
}

# Fixed ports for `make run`, the original's local ports where it had them.
RUN_PORTS = {
    "moto": 4566,
    "hmpps-auth": 8090,
    "nomis": 8082,
    "mapping": 8084,
    "visits": 8101,
    "incentives": 8102,
    "activities": 8103,
    "sentence-adjustments": 8104,
    "non-associations": 8105,
    "adjudications": 8106,
    "court-sentencing": 8107,
}


def queue_name(queue_id: str, prefix: str = "") -> str:
    return f"{prefix}hmpps_prisoner_to_nomis_{queue_id}_queue"


def dlq_name(queue_id: str, prefix: str = "") -> str:
    return f"{prefix}hmpps_prisoner_to_nomis_{queue_id}_dlq"


class Estate:
    def __init__(self, moto: MotoServer | None = None, check_contracts: bool = False) -> None:
        self.moto = moto or MotoServer()
        self.auth = FakeAuth("hmpps-auth")
        self.nomis = FakeApi("nomis")
        self.mapping = FakeApi("mapping")
        # With check_contracts, NOMIS and mapping requests are checked against the real OpenAPI documents.
        self.contracts = load_contracts() if check_contracts else {}
        for fake in (self.nomis, self.mapping):
            fake.contract = self.contracts.get(fake.name)
        self.dps: dict[str, FakeApi] = {}
        self.queues: dict[str, tuple[str, ...]] = {}
        self.publisher: EventPublisher | None = None
        # Filled one by one so a plugin can use the ones installed before it (PLUGINS order).
        self.plugins: dict[str, Any] = {}
        for name, install in PLUGINS.items():
            self.plugins[name] = install(self)

    # ---- wiring used by plugins ----------------------------------------------------------------

    def add_dps(self, name: str, fake: FakeApi) -> FakeApi:
        self.dps[name] = fake
        return fake

    def add_queue(self, queue_id: str, events: tuple[str, ...]) -> None:
        self.queues[queue_id] = events

    def fakes(self) -> list[FakeApi]:
        return [self.auth, self.nomis, self.mapping, *self.dps.values()]

    def contract_violations(self) -> list[ContractViolation]:
        """Requests since the last reset that departed from their API's OpenAPI document."""
        return [violation for fake in self.fakes() for violation in fake.contract_violations]

    # ---- lifetime ------------------------------------------------------------------------------

    async def start(self, ports: dict[str, int] | None = None, start_moto: bool = True) -> None:
        ports = ports or {}
        if start_moto and not self.moto.running:
            await self.moto.start()
        for fake in self.fakes():
            await fake.start(port=ports.get(fake.name, 0))
        self.publisher = EventPublisher(self.moto.url, REGION, TOPIC_ARN)
        await self.publisher.start()

    async def stop(self) -> None:
        if self.publisher is not None:
            await self.publisher.close()
        for fake in self.fakes():
            await fake.stop()
        if self.moto.running:
            await self.moto.stop()

    async def reset(self, reset_moto: bool = True) -> None:
        """Forget every record, journal entry and fault; with moto, every queue and topic too."""
        for fake in self.fakes():
            fake.reset()
        if reset_moto:
            await self.moto.reset()

    async def publish(self, event: dict[str, Any]) -> str:
        """Publish a domain event on the domain events topic, as a DPS service would."""
        if self.publisher is None:
            raise RuntimeError("the estate is not started")
        return await self.publisher.publish(event)

    async def publish_batch(self, events: list[dict[str, Any]]) -> list[str]:
        """Publish up to 10 events in one SNS call (see EventPublisher.publish_batch)."""
        if self.publisher is None:
            raise RuntimeError("the estate is not started")
        return await self.publisher.publish_batch(events)

    def service_env(
        self, queue_prefix: str = "", queues: list[str] | None = None, **overrides: str
    ) -> dict[str, str]:
        """The environment that wires the service to this estate (localstack mode).

        `queues` limits the queue ids configured (all plugin queues by default), which keeps a test's
        service to the listeners it needs.
        """
        env = {
            "HMPPS_SQS_PROVIDER": "localstack",
            "HMPPS_SQS_LOCALSTACK_URL": self.moto.url,
            "HMPPS_SQS_REGION": REGION,
            "HMPPS_SQS_TOPICS_DOMAINEVENTS_ARN": TOPIC_ARN,
            "API_BASE_URL_HMPPS_AUTH": self.auth.url,
            "API_BASE_URL_NOMIS": self.nomis.url,
            "API_BASE_URL_MAPPING": self.mapping.url,
            "AWS_ACCESS_KEY_ID": "any",
            "AWS_SECRET_ACCESS_KEY": "any",
        }
        for credentials in ("API", "MAPPING", *(n.upper().replace("-", "_") for n in self.dps)):
            env[f"{credentials}_CLIENT_ID"] = f"prisoner-to-nomis-{credentials.lower()}"
            env[f"{credentials}_CLIENT_SECRET"] = "sandbox-secret"
        for name, fake in self.dps.items():
            env[DPS_ENV[name]] = fake.url
        for queue_id in self.queues if queues is None else queues:
            upper = queue_id.upper()
            env[f"HMPPS_SQS_QUEUES_{upper}_QUEUE_NAME"] = queue_name(queue_id, queue_prefix)
            env[f"HMPPS_SQS_QUEUES_{upper}_DLQ_NAME"] = dlq_name(queue_id, queue_prefix)
        env.update(overrides)
        return env
