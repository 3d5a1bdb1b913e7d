"""Start-up configuration (framework.md 11, 13, 14.1; issue 2 item 2): typed, validated, one clear line."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from prisoner_to_nomis_update.framework.domain import DomainContext
from prisoner_to_nomis_update.framework.http import ApiClients, HttpSession
from prisoner_to_nomis_update.settings import ConfigError, load_settings


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.api_timeout == 60.0
    assert settings.health_timeout == 2.0
    assert settings.sqs_provider == "aws"
    assert settings.region == "eu-west-2"
    assert settings.default_error_visibility_timeout == [1, 10, 60, 600]
    assert settings.queue_admin_role == "ROLE_SYSCON__QUEUE_ADMIN"
    assert settings.web_client_max_retries == 3
    assert settings.web_client_backoff_ms == 100
    assert settings.batch_enabled is False
    assert settings.queues == {}


@pytest.mark.scenario("framework", 89)
def test_queue_settings_and_timeout_lists() -> None:
    settings = load_settings(
        {
            "HMPPS_SQS_QUEUES_VISIT_QUEUE_NAME": "visit_queue",
            "HMPPS_SQS_QUEUES_VISIT_DLQ_NAME": "visit_dlq",
            "HMPPS_SQS_QUEUES_VISIT_DLQ_MAX_RECEIVE_COUNT": "3",
            "HMPPS_SQS_QUEUES_VISIT_ERROR_VISIBILITY_TIMEOUT": "1, 2",
            "HMPPS_SQS_QUEUES_VISIT_EVENT_ERROR_VISIBILITY_TIMEOUT_PRISON-VISIT_BOOKED": "0,1",
            "HMPPS_SQS_QUEUES_VISIT_EVENTERRORVISIBILITYTIMEOUT_PRISON-VISIT_CHANGED": "5",
            "HMPPS_SQS_QUEUES_COURTSENTENCING_QUEUE_NAME": "cs_queue",
            "HMPPS_SQS_QUEUES_FROMNOMISCOURTSENTENCING_QUEUE_NAME": "from_nomis",
            "HMPPS_SQS_DEFAULT_ERROR_VISIBILITY_TIMEOUT": "1, 10, 60, 600",
        }
    )
    visit = settings.queues["visit"]
    assert (visit.queue_name, visit.dlq_name, visit.dlq_max_receive_count) == ("visit_queue", "visit_dlq", 3)
    assert visit.error_visibility_timeout == [1, 2]
    assert visit.event_error_visibility_timeout == {
        "prison-visit.booked": [0, 1],
        "prison-visit.changed": [5],
    }
    assert visit.visibility_timeout == 30
    # application.yml's per-queue list for court sentencing applies unless overridden.
    assert settings.queues["courtsentencing"].error_visibility_timeout == [1, 1, 1, 1, 1, 1, 5, 5, 60] * 2
    no_dlq = settings.queues["fromnomiscourtsentencing"]
    assert (no_dlq.dlq_name, no_dlq.error_visibility_timeout, no_dlq.dlq_max_receive_count) == ("", None, 5)


@pytest.mark.scenario("framework", 89)
@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"API_TIMEOUT": "banana"}, "API_TIMEOUT"),
        ({"SERVER_PORT": "80a"}, "SERVER_PORT"),
        ({"API_BASE_URL_NOMIS": "nomis.local"}, "API_BASE_URL_NOMIS"),
        ({"HMPPS_SQS_PROVIDER": "rabbit"}, "HMPPS_SQS_PROVIDER"),
        ({"HMPPS_SQS_TOPICS_DOMAINEVENTS_ARN": "hmpps_domain_events"}, "HMPPS_SQS_TOPICS_DOMAINEVENTS_ARN"),
        (
            {"HMPPS_SQS_DEFAULT_ERROR_VISIBILITY_TIMEOUT": "1, ten"},
            "HMPPS_SQS_DEFAULT_ERROR_VISIBILITY_TIMEOUT",
        ),
        (
            {"HMPPS_SQS_QUEUES_VISIT_QUEUE_NAME": "q", "HMPPS_SQS_QUEUES_VISIT_DLQ_MAX_RECEIVE_COUNT": "0"},
            "HMPPS_SQS_QUEUES_VISIT_DLQ_MAX_RECEIVE_COUNT",
        ),
        (
            {
                "HMPPS_SQS_QUEUES_VISIT_QUEUE_NAME": "q",
                "HMPPS_SQS_QUEUES_VISIT_EVENT_ERROR_VISIBILITY_TIMEOUT_X": "x",
            },
            "HMPPS_SQS_QUEUES_VISIT_EVENT_ERROR_VISIBILITY_TIMEOUT_X",
        ),
        ({"FEATURE_EVENT_PRISON-VISIT_BOOKED": "yes"}, "FEATURE_EVENT_PRISON-VISIT_BOOKED"),
        (
            {"APPLICATIONINSIGHTS_CONNECTION_STRING": "IngestionEndpoint=https://x"},
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
        ),
    ],
)
def test_malformed_values_name_their_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        settings = load_settings(env)
        # The connection string is parsed when the exporter is built, still before anything runs.
        from prisoner_to_nomis_update.app import default_telemetry

        default_telemetry(settings)


@pytest.mark.scenario("framework", 89)
def test_duplicate_queue_and_dlq_names_are_rejected() -> None:
    with pytest.raises(
        ConfigError,
        match=r"HMPPS_SQS_QUEUES_VISIT_QUEUE_NAME 'shared' is already used by HMPPS_SQS_QUEUES_ALERTS_QUEUE_NAME",
    ):
        load_settings(
            {"HMPPS_SQS_QUEUES_ALERTS_QUEUE_NAME": "shared", "HMPPS_SQS_QUEUES_VISIT_QUEUE_NAME": "shared"}
        )
    with pytest.raises(ConfigError, match=r"HMPPS_SQS_QUEUES_VISIT_DLQ_NAME 'dlq' is already used"):
        load_settings(
            {
                "HMPPS_SQS_QUEUES_ALERTS_QUEUE_NAME": "a",
                "HMPPS_SQS_QUEUES_ALERTS_DLQ_NAME": "dlq",
                "HMPPS_SQS_QUEUES_VISIT_QUEUE_NAME": "v",
                "HMPPS_SQS_QUEUES_VISIT_DLQ_NAME": "dlq",
            }
        )


@pytest.mark.scenario("framework", 89)
def test_fifo_queue_needs_a_fifo_dlq() -> None:
    with pytest.raises(ConfigError, match=r"HMPPS_SQS_QUEUES_ORDERED_DLQ_NAME must end with .fifo"):
        load_settings(
            {"HMPPS_SQS_QUEUES_ORDERED_QUEUE_NAME": "q.fifo", "HMPPS_SQS_QUEUES_ORDERED_DLQ_NAME": "d"}
        )
    load_settings(
        {"HMPPS_SQS_QUEUES_ORDERED_QUEUE_NAME": "q.fifo", "HMPPS_SQS_QUEUES_ORDERED_DLQ_NAME": "d.fifo"}
    )


@pytest.mark.scenario("framework", 89)
def test_queue_ids_are_lower_case() -> None:
    """Ids come from the variable name (upper case by convention) and are used lower case, as the
    library requires; a lower-case or mixed-case variable is not a queue setting at all."""
    settings = load_settings(
        {"HMPPS_SQS_QUEUES_VISIT_QUEUE_NAME": "v", "hmpps_sqs_queues_Other_queue_name": "o"}
    )
    assert list(settings.queues) == ["visit"]


def test_missing_base_url_names_the_variable() -> None:
    settings = load_settings({})
    with pytest.raises(ConfigError, match=r"^API_BASE_URL_VISITS must be set"):
        settings.api("visits")
    apis = ApiClients(HttpSession(), "", settings.apis)
    with pytest.raises(ConfigError, match=r"^API_BASE_URL_NOMIS must be set"):
        apis.get("nomis")
    context = DomainContext(settings, None, apis, None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^API_BASE_URL_NON_ASSOCIATIONS must be set"):
        context.apis.get("non-associations")


def test_spring_spellings_are_accepted() -> None:
    settings = load_settings(
        {
            "API_TIMEOUT": "500ms",
            "API_HEALTH_TIMEOUT": "1s",
            "API_MAPPING_TIMEOUT": "2m",
            "API_BASE_URL_MAPPING": "http://mapping/",
            "HMPPS_WEB_CLIENT_MAX_RETRIES": "5",
            "REPORTS_INCENTIVES_RECONCILIATION_PAGE-SIZE": "7",
        }
    )
    assert settings.api_timeout == 0.5
    assert settings.health_timeout == 1.0
    assert settings.apis["mapping"].timeout == 120.0
    assert settings.apis["mapping"].base_url == "http://mapping"
    assert settings.web_client_max_retries == 5
    assert settings.report_int("reports.incentives.reconciliation.page-size", 20) == 7
    assert settings.report_int("reports.alerts.reconciliation.page-size", 20) == 20


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"API_TIMEOUT": "banana"}, "API_TIMEOUT"),
        ({"API_BASE_URL_NOMIS": "ftp://x"}, "API_BASE_URL_NOMIS"),
        # Nothing set: the first domain to need a base URL stops start-up, naming the variable.
        ({}, r"API_BASE_URL_[A-Z_]+ must be set"),
    ],
)
def test_serve_with_a_bad_value_exits_with_one_line_naming_it(env: dict[str, str], variable: str) -> None:
    clean = {
        key: value for key, value in os.environ.items() if not key.startswith(("API_", "HMPPS_", "FEATURE_"))
    }
    result = subprocess.run(
        [sys.executable, "-m", "prisoner_to_nomis_update", "serve"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert re.search(variable, lines[0]), lines[0]
