"""The Helm chart (issue 13): `helm lint` and `helm template` for dev, preprod and prod, and what the
rendered manifests must say: the original's environment and secret names, probes, a termination grace
longer than the service's own, and CronJobs on the original's schedules for batch types the service
really has. The rendered environment is fed to the service's own settings loader, so a chart that
the service would refuse at start-up fails here.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from deploy_support import CHART, ROOT, helm_binary

from prisoner_to_nomis_update.app import SHUTDOWN_GRACE_SECONDS, Service
from prisoner_to_nomis_update.framework.telemetry import Telemetry
from prisoner_to_nomis_update.settings import load_settings

ENVIRONMENTS = ("dev", "preprod", "prod")
HELM = helm_binary()
pytestmark = pytest.mark.skipif(
    HELM is None, reason="helm is not installed: run .ci/install-helm (as .ci/run does) or put helm on PATH"
)

# framework.md 10.3, the rows whose batch types this service runs: (name, type, schedule, suspended).
SCHEDULES = {
    "dev": set(),
    "preprod": {
        ("activity-purge-dlq", "PURGE_ACTIVITY_DLQ", "9-59/10 * * * *", False),
        ("activity-mappings", "DELETE_UNKNOWN_ACTIVITY_MAPPINGS", "15 7 * * 1-5", False),
        ("court-case-recon", "COURT_CASE_PRISONER_RECON", "0 19 * * SAT", True),
        ("court-case-a-recon", "COURT_CASE_ACTIVE_PRISONER_RECON", "45 3 * * *", True),
    },
    "prod": {
        ("adjudication-recon", "ADJUDICATION_RECON", "30 2 * * 1", False),
        ("allocations-recon", "ALLOCATION_RECON", "5 7 * * *", False),
        ("attendances-recon", "ATTENDANCE_RECON", "5 1 * * *", False),
        ("incentives-recon", "INCENTIVES_RECON", "10 4 * * 1", False),
        ("non-assoc-recon", "NON_ASSOCIATIONS_RECON", "30 2 * * 2", False),
        ("sentencing-recon", "SENTENCING_RECON", "50 1 * * *", False),
        ("suspended-alloc-recon", "SUSPENDED_ALLOCATION_RECON", "35 7 * * *", False),
        ("court-case-recon", "COURT_CASE_PRISONER_RECON", "0 19 * * SAT", False),
        ("court-case-a-recon", "COURT_CASE_ACTIVE_PRISONER_RECON", "45 3 * * *", False),
    },
}
# framework.md 13: the event feature switches per environment.
ORGANISATION_EVENTS = [
    "ORGANISATION_CREATED",
    "ORGANISATION_UPDATED",
    "ORGANISATION_DELETED",
    "ORGANISATION-TYPES_UPDATED",
    *(
        f"ORGANISATION-{kind}_{action}"
        for kind in ("ADDRESS", "EMAIL", "WEB", "PHONE", "ADDRESS-PHONE")
        for action in ("CREATED", "UPDATED", "DELETED")
    ),
]
SWITCHES = {
    environment: {
        "FEATURE_EVENT_PRISON-PROPERTY_CONTAINER_CREATED": prop,
        "FEATURE_EVENT_PRISON-PROPERTY_CONTAINER_UPDATED": prop,
        "FEATURE_EVENT_CELL_SHARING_RISK_ASSESSMENT_CREATED": csra,
        "FEATURE_EVENT_CELL_SHARING_RISK_ASSESSMENT_AMENDED": csra,
        **{f"FEATURE_EVENT_ORGANISATIONS-API_{name}": "false" for name in ORGANISATION_EVENTS},
    }
    for environment, prop, csra in (
        ("dev", "true", "true"),
        ("preprod", "false", "true"),
        ("prod", "false", "false"),
    )
}
# ARCHITECTURE-BRIEF section 1 and framework.md 13: the secrets and keys the original's values use.
CLIENT_CREDENTIALS = "hmpps-prisoner-to-nomis-update-client-creds"
QUEUE_SECRETS = {
    "HMPPS_SQS_QUEUES_VISIT_QUEUE_NAME": "domain-events-sqs-nomis-update-visit",
    "HMPPS_SQS_QUEUES_VISIT_DLQ_NAME": "domain-events-sqs-nomis-update-visit-dlq",
    "HMPPS_SQS_QUEUES_INCENTIVE_QUEUE_NAME": "domain-events-sqs-nomis-update-incentive",
    "HMPPS_SQS_QUEUES_INCENTIVE_DLQ_NAME": "domain-events-sqs-nomis-update-incentive-dlq",
    "HMPPS_SQS_QUEUES_ACTIVITY_QUEUE_NAME": "domain-events-sqs-nomis-update-activity",
    "HMPPS_SQS_QUEUES_ACTIVITY_DLQ_NAME": "domain-events-sqs-nomis-update-activity-dlq",
    "HMPPS_SQS_QUEUES_SENTENCING_QUEUE_NAME": "domain-events-sqs-nomis-update-sentencing",
    "HMPPS_SQS_QUEUES_SENTENCING_DLQ_NAME": "domain-events-sqs-nomis-update-sentencing-dlq",
    "HMPPS_SQS_QUEUES_NONASSOCIATION_QUEUE_NAME": "sqs-nomis-update-nonassociation-secret",
    "HMPPS_SQS_QUEUES_NONASSOCIATION_DLQ_NAME": "sqs-nomis-update-nonassociation-dlq-secret",
    "HMPPS_SQS_QUEUES_ADJUDICATION_QUEUE_NAME": "sqs-nomis-update-adjudication-secret",
    "HMPPS_SQS_QUEUES_ADJUDICATION_DLQ_NAME": "sqs-nomis-update-adjudication-dlq-secret",
    "HMPPS_SQS_QUEUES_COURTSENTENCING_QUEUE_NAME": "domain-events-sqs-nomis-update-court-sentencing",
    "HMPPS_SQS_QUEUES_COURTSENTENCING_DLQ_NAME": "domain-events-sqs-nomis-update-court-sentencing-dlq",
    "HMPPS_SQS_QUEUES_FROMNOMISCOURTSENTENCING_QUEUE_NAME": "sqs-prisoner-from-nomis-court-sentencing-secret",
}
# Queues the service only sends to: configured, but no domain listens to them.
SEND_ONLY_QUEUES = {"fromnomiscourtsentencing"}
CREDENTIAL_PREFIXES = (
    "API",
    "MAPPING",
    "VISITS",
    "INCENTIVES",
    "ACTIVITIES",
    "SENTENCE_ADJUSTMENTS",
    "NON_ASSOCIATIONS",
    "ADJUDICATIONS",
    "COURT_SENTENCING",
)


def helm(*args: str) -> str:
    assert HELM is not None
    result = subprocess.run([HELM, *args], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def values(environment: str) -> str:
    return str(ROOT / "helm_deploy" / f"values-{environment}.yaml")


def rendered(environment: str) -> dict[str, list[dict[str, Any]]]:
    """kind -> manifests of `helm template` for one environment."""
    out: dict[str, list[dict[str, Any]]] = {}
    for document in yaml.safe_load_all(helm("template", "p2n", str(CHART), "-f", values(environment))):
        if document:
            out.setdefault(document["kind"], []).append(document)
    return out


def plain_env(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container["env"] if "value" in item}


def secret_env(container: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        item["name"]: (item["valueFrom"]["secretKeyRef"]["name"], item["valueFrom"]["secretKeyRef"]["key"])
        for item in container["env"]
        if "valueFrom" in item
    }


def service_environment(container: dict[str, Any]) -> dict[str, str]:
    """The container's environment as the process would see it, each secret value standing in as
    `<secret>.<key>` (so every queue gets its own name)."""
    secrets = {name: f"{secret}.{key}" for name, (secret, key) in secret_env(container).items()}
    secrets["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "InstrumentationKey=from-the-secret"
    return {**plain_env(container), **secrets}


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def environment(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, list[dict[str, Any]]]]]:
    yield request.param, rendered(request.param)


def test_chart_lints_in_every_environment() -> None:
    for name in ENVIRONMENTS:
        helm("lint", "--strict", str(CHART), "-f", values(name))


def test_deployment_probes_grace_and_security(
    environment: tuple[str, dict[str, list[dict[str, Any]]]],
) -> None:
    name, manifests = environment
    [deployment] = manifests["Deployment"]
    spec = deployment["spec"]
    assert deployment["metadata"]["name"] == "hmpps-prisoner-to-nomis-update"
    assert spec["replicas"] == (2 if name == "dev" else 4)
    pod = spec["template"]["spec"]
    # HTTP drain and listener grace run one after the other, then the last telemetry flush.
    assert pod["terminationGracePeriodSeconds"] > 2 * SHUTDOWN_GRACE_SECONDS
    [container] = pod["containers"]
    assert container["args"] == ["serve"]
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/health/liveness", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/readiness", "port": "http"}
    assert container["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["runAsUser"] == 2000
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    [service] = manifests["Service"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    [ingress] = manifests["Ingress"]
    suffix = "" if name == "prod" else f"-{name}"
    assert (
        ingress["spec"]["rules"][0]["host"]
        == f"prisoner-to-nomis-update{suffix}.hmpps.service.justice.gov.uk"
    )


def test_environment_and_secrets_are_the_originals_and_start_the_service(
    environment: tuple[str, dict[str, list[dict[str, Any]]]],
) -> None:
    name, manifests = environment
    [deployment] = manifests["Deployment"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    secrets = secret_env(container)
    assert secrets["APPLICATIONINSIGHTS_CONNECTION_STRING"] == (
        "hmpps-prisoner-to-nomis-update-application-insights",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
    )
    for prefix in CREDENTIAL_PREFIXES:
        for part in ("CLIENT_ID", "CLIENT_SECRET"):
            variable = f"{prefix}_{part}"
            assert secrets[variable] == (CLIENT_CREDENTIALS, variable)
    queues = {variable: ref for variable, ref in secrets.items() if variable.startswith("HMPPS_SQS_QUEUES_")}
    assert queues == {variable: (secret, "sqs_queue_name") for variable, secret in QUEUE_SECRETS.items()}
    env = plain_env(container)
    assert {key: env[key] for key in SWITCHES[name]} == SWITCHES[name]
    assert env["SERVER_PORT"] == "8080"
    assert env["FEATURE_COURT-SCHEDULER_IGNORE-ALL-SENTENCING-EVENTS"] == "true"

    # The service accepts the environment, wires every domain, and listens to exactly their queues.
    settings = load_settings(service_environment(container))
    # Telemetry of its own: no exporter is started (it would call Microsoft's endpoints).
    service = Service(settings, Telemetry([]))
    domain_queues = {domain.queue_id for domain in service.domains if domain.queue_id}
    assert set(settings.queues) - SEND_ONLY_QUEUES == domain_queues, (
        "add or remove the queue secrets in values.yaml"
    )
    assert settings.telemetry.appinsights_connection_string
    suffix = "" if name == "prod" else f"-{name}"
    assert (
        settings.api("nomis").base_url == f"https://nomis-prisoner-api{suffix}.prison.service.justice.gov.uk"
    )
    assert settings.auth_base_url == f"https://sign-in{suffix}.hmpps.service.justice.gov.uk/auth"


def test_batch_jobs_run_known_types_on_the_originals_schedules(
    environment: tuple[str, dict[str, list[dict[str, Any]]]],
) -> None:
    name, manifests = environment
    jobs = manifests.get("CronJob", [])
    [deployment] = manifests["Deployment"]
    [server] = deployment["spec"]["template"]["spec"]["containers"]
    found = set()
    for job in jobs:
        spec = job["spec"]
        pod = spec["jobTemplate"]["spec"]["template"]["spec"]
        [container] = pod["containers"]
        batch_type = plain_env(container)["BATCH_TYPE"]
        job_name = job["metadata"]["name"]
        assert job_name.startswith("to-nomis-") and len(job_name) <= 52
        found.add((job_name.removeprefix("to-nomis-"), batch_type, spec["schedule"], spec["suspend"]))
        assert container["args"] == ["batch", batch_type]
        assert plain_env(container)["BATCH_ENABLED"] == "true"
        assert (spec["timeZone"], spec["concurrencyPolicy"], spec["startingDeadlineSeconds"]) == (
            "Europe/London",
            "Forbid",
            600,
        )
        assert pod["restartPolicy"] == "Never"
        assert spec["jobTemplate"]["spec"]["ttlSecondsAfterFinished"] == 4 * 24 * 3600
        # The job's environment is the service's, plus the two batch variables.
        assert [e for e in container["env"] if e["name"] not in ("BATCH_ENABLED", "BATCH_TYPE")] == server[
            "env"
        ]
        settings = load_settings(service_environment(container))
        assert settings.batch_enabled and settings.batch_type == batch_type
        Service(settings, Telemetry([])).batch_job(
            batch_type
        )  # a type the service does not have raises ConfigError
    assert found == SCHEDULES[name]
