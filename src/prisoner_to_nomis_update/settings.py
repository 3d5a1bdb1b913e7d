"""The environment contract (ARCHITECTURE-BRIEF section 1), typed and validated at start-up.

Names follow the original's Spring relaxed binding, so a deployment can switch services without
renaming anything. Every value has a default except the ones a mode needs; a malformed value raises
`ConfigError` naming the variable, which the command line prints as one line before exiting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from prisoner_to_nomis_update.framework.feature_switches import FeatureSwitches


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


# Downstream DPS APIs: api name -> (base url variable, credentials prefix, health component name).
DPS_APIS: dict[str, tuple[str, str, str]] = {
    "visits": ("API_BASE_URL_VISITS", "VISITS", "visitsApi"),
    "incentives": ("API_BASE_URL_INCENTIVES", "INCENTIVES", "incentivesApi"),
    "activities": ("API_BASE_URL_ACTIVITIES", "ACTIVITIES", "activitiesApi"),
    "sentence-adjustments": (
        "API_BASE_URL_SENTENCE_ADJUSTMENTS",
        "SENTENCE_ADJUSTMENTS",
        "sentenceAdjustmentsApi",
    ),
    "non-associations": ("API_BASE_URL_NON_ASSOCIATIONS", "NON_ASSOCIATIONS", "nonAssociationsApi"),
    "adjudications": ("API_BASE_URL_ADJUDICATIONS", "ADJUDICATIONS", "adjudicationsApi"),
    "court-sentencing": ("API_BASE_URL_COURT_SENTENCING", "COURT_SENTENCING", "courtSentencingApi"),
}

# Per-queue escalation lists the original configures in application.yml (framework.md 11.1).
QUEUE_DEFAULT_ERROR_VISIBILITY: dict[str, list[int]] = {
    "courtsentencing": [1, 1, 1, 1, 1, 1, 5, 5, 60, 1, 1, 1, 1, 1, 1, 5, 5, 60],
}

# Per-API response timeouts that the original fixes or defaults differently from `api.timeout`.
API_TIMEOUT_OVERRIDES: dict[str, tuple[str, float]] = {
    "mapping": ("API_MAPPING_TIMEOUT", 10.0),
    "court-sentencing": ("API_COURT_SENTENCING_TIMEOUT", 10.0),
    "sentence-adjustments": ("", 30.0),
}


@dataclass(frozen=True)
class ApiSettings:
    name: str
    base_url: str
    client_id: str
    client_secret: str
    timeout: float
    health_component: str


@dataclass(frozen=True)
class QueueSettings:
    queue_id: str
    queue_name: str
    dlq_name: str
    error_visibility_timeout: list[int] | None
    event_error_visibility_timeout: dict[str, list[int]]
    dlq_max_receive_count: int
    visibility_timeout: int
    max_in_flight: int


@dataclass(frozen=True)
class Settings:
    server_port: int
    auth_base_url: str
    apis: dict[str, ApiSettings]
    api_timeout: float
    health_timeout: float
    sqs_provider: str
    localstack_url: str
    region: str
    queues: dict[str, QueueSettings]
    default_error_visibility_timeout: list[int]
    topic_arn: str
    queue_admin_role: str
    wait_time_seconds: int
    feature_switches: FeatureSwitches
    appinsights_connection_string: str
    batch_enabled: bool
    batch_type: str
    web_client_max_retries: int
    web_client_backoff_ms: int
    mock_visits_enabled: bool
    mock_visits_prison_id: str
    mock_visits_prisoner_id: str
    mock_visits_visitors: list[str]
    reports: dict[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    duplicate_auto_resolve: frozenset[str] = frozenset()
    """Domains (as `switch_name` spells them) whose duplicate alerts are resolved automatically."""
    duplicate_auto_resolve_delay: float = 10.0

    def api(self, name: str) -> ApiSettings:
        try:
            return self.apis[name]
        except KeyError:
            raise missing_api_error(name) from None

    def report_setting(self, key: str, default: str) -> str:
        """`reports.*` properties, from env in either Spring spelling (dots/hyphens as underscores)."""
        return self.reports.get(_normalise(key), default)

    def report_int(self, key: str, default: int) -> int:
        value = self.report_setting(key, str(default))
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"{key} must be a whole number, got {value!r}") from None


def base_url_variable(api_name: str) -> str:
    """The variable holding an API's base URL, e.g. API_BASE_URL_VISITS."""
    if api_name in DPS_APIS:
        return DPS_APIS[api_name][0]
    return "API_BASE_URL_" + api_name.upper().replace("-", "_")


def missing_api_error(api_name: str) -> ConfigError:
    return ConfigError(f"{base_url_variable(api_name)} must be set: no base URL for the {api_name} API")


def switch_name(domain: str) -> str:
    """A domain name as a per-domain variable spells it: `nonassociations` for `non-associations`."""
    return re.sub(r"[._-]", "", domain).lower()


AUTO_RESOLVE_PREFIX = "DUPLICATE_AUTO_RESOLVE_"
AUTO_RESOLVE_DELAY = AUTO_RESOLVE_PREFIX + "DELAY"


def _auto_resolve_domains(env: Mapping[str, str]) -> frozenset[str]:
    """`DUPLICATE_AUTO_RESOLVE_<DOMAIN>=true` switches; anything but true/false is a mistake."""
    domains: set[str] = set()
    for variable, raw in env.items():
        upper = variable.upper()
        if not upper.startswith(AUTO_RESOLVE_PREFIX) or upper == AUTO_RESOLVE_DELAY:
            continue
        value = raw.strip().lower()
        if value not in ("true", "false"):
            raise ConfigError(f"{variable} must be true or false, got {raw!r}")
        if value == "true":
            domains.add(switch_name(upper[len(AUTO_RESOLVE_PREFIX) :]))
    return frozenset(domains)


def _normalise(name: str) -> str:
    return re.sub(r"[._-]", "_", name).upper()


def _lookup(env: Mapping[str, str], *names: str) -> str | None:
    """First set variable among the Spring spellings of a property (hyphen kept or turned to underscore)."""
    for name in names:
        for candidate in (name, name.replace("-", "_")):
            value = env.get(candidate)
            if value is not None and value.strip() != "":
                return value.strip()
    return None


def parse_duration(variable: str, value: str) -> float:
    """Spring-style durations: `60s`, `500ms`, `2m`, or a bare number of seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", value)
    if not match:
        raise ConfigError(f"{variable} must be a duration such as 60s or 500ms, got {value!r}")
    amount = float(match.group(1))
    unit = match.group(2) or "s"
    return amount * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[unit]


def parse_int_list(variable: str, value: str) -> list[int]:
    try:
        return [int(part.strip()) for part in value.split(",") if part.strip() != ""]
    except ValueError:
        raise ConfigError(
            f"{variable} must be a comma-separated list of seconds such as '1, 10, 60, 600', got {value!r}"
        ) from None


def _int(env: Mapping[str, str], variable: str, default: int, minimum: int = 0) -> int:
    value = _lookup(env, variable)
    if value is None:
        return default
    try:
        parsed = int(value)
    except ValueError:
        raise ConfigError(f"{variable} must be a whole number, got {value!r}") from None
    if parsed < minimum:
        raise ConfigError(f"{variable} must be at least {minimum}, got {parsed}")
    return parsed


def _url(env: Mapping[str, str], variable: str) -> str | None:
    value = _lookup(env, variable)
    if value is None:
        return None
    if not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError(f"{variable} must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


_QUEUE_NAME_VAR = re.compile(r"^HMPPS_SQS_QUEUES_([A-Z0-9]+)_QUEUE_?NAME$")


def _queues(env: Mapping[str, str], default_max_in_flight: int) -> dict[str, QueueSettings]:
    queues: dict[str, QueueSettings] = {}
    for variable in sorted(env):
        match = _QUEUE_NAME_VAR.match(variable)
        if not match or not env[variable].strip():
            continue
        upper = match.group(1)
        queue_id = upper.lower()
        prefix = f"HMPPS_SQS_QUEUES_{upper}_"
        timeouts_value = _lookup(env, prefix + "ERROR_VISIBILITY_TIMEOUT", prefix + "ERRORVISIBILITYTIMEOUT")
        timeouts = (
            parse_int_list(prefix + "ERROR_VISIBILITY_TIMEOUT", timeouts_value)
            if timeouts_value is not None
            else QUEUE_DEFAULT_ERROR_VISIBILITY.get(queue_id)
        )
        event_timeouts: dict[str, list[int]] = {}
        # Both Spring spellings; the rest of the name is the event type with dots as underscores
        # (hyphens kept), which maps back unambiguously because event types have no underscores.
        event_prefixes = (prefix + "EVENT_ERROR_VISIBILITY_TIMEOUT_", prefix + "EVENTERRORVISIBILITYTIMEOUT_")
        for key, raw in env.items():
            for event_prefix in event_prefixes:
                if key.startswith(event_prefix) and len(key) > len(event_prefix):
                    event_type = key[len(event_prefix) :].lower().replace("_", ".")
                    event_timeouts[event_type] = parse_int_list(key, raw)
        queues[queue_id] = QueueSettings(
            queue_id=queue_id,
            queue_name=env[variable].strip(),
            dlq_name=_lookup(env, prefix + "DLQ_NAME", prefix + "DLQNAME") or "",
            error_visibility_timeout=timeouts,
            event_error_visibility_timeout=event_timeouts,
            dlq_max_receive_count=_int(env, prefix + "DLQ_MAX_RECEIVE_COUNT", 5, minimum=1),
            visibility_timeout=_int(env, prefix + "VISIBILITY_TIMEOUT", 30),
            max_in_flight=_int(env, prefix + "MAX_IN_FLIGHT", default_max_in_flight, minimum=1),
        )
    _validate_queues(queues)
    return queues


def _validate_queues(queues: dict[str, QueueSettings]) -> None:
    """The HMPPS SQS library's start-up checks (framework.md 14.1): unique names, FIFO DLQs."""
    seen: dict[str, str] = {}
    for queue in queues.values():
        variable = f"HMPPS_SQS_QUEUES_{queue.queue_id.upper()}_"
        for name, suffix in ((queue.queue_name, "QUEUE_NAME"), (queue.dlq_name, "DLQ_NAME")):
            if not name:
                continue
            if name in seen:
                raise ConfigError(f"{variable}{suffix} {name!r} is already used by {seen[name]}")
            seen[name] = variable + suffix
        if queue.queue_name.endswith(".fifo") and queue.dlq_name and not queue.dlq_name.endswith(".fifo"):
            raise ConfigError(f"{variable}DLQ_NAME must end with .fifo because the queue is FIFO")


def _apis(env: Mapping[str, str], api_timeout: float, health_timeout: float) -> dict[str, ApiSettings]:
    table: dict[str, tuple[str, str, str]] = {
        "nomis": ("API_BASE_URL_NOMIS", "API", "nomisApi"),
        "mapping": ("API_BASE_URL_MAPPING", "MAPPING", "mappingApi"),
        **DPS_APIS,
    }
    apis: dict[str, ApiSettings] = {}
    for name, (url_variable, credentials, component) in table.items():
        base_url = _url(env, url_variable)
        if base_url is None:
            continue
        timeout = api_timeout
        if name in API_TIMEOUT_OVERRIDES:
            variable, default = API_TIMEOUT_OVERRIDES[name]
            raw = _lookup(env, variable) if variable else None
            timeout = parse_duration(variable, raw) if raw is not None else default
        apis[name] = ApiSettings(
            name=name,
            base_url=base_url,
            client_id=env.get(f"{credentials}_CLIENT_ID", ""),
            client_secret=env.get(f"{credentials}_CLIENT_SECRET", ""),
            timeout=timeout,
            health_component=component,
        )
    return apis


def load_settings(env: Mapping[str, str]) -> Settings:
    """Read and validate the whole contract; raises ConfigError naming the first bad variable."""
    env = dict(env)
    api_timeout = parse_duration("API_TIMEOUT", _lookup(env, "API_TIMEOUT") or "60s")
    health_timeout = parse_duration("API_HEALTH_TIMEOUT", _lookup(env, "API_HEALTH-TIMEOUT") or "2s")
    provider = (_lookup(env, "HMPPS_SQS_PROVIDER") or "aws").lower()
    if provider not in ("aws", "localstack"):
        raise ConfigError(f"HMPPS_SQS_PROVIDER must be 'aws' or 'localstack', got {provider!r}")
    localstack_url = _url(env, "HMPPS_SQS_LOCALSTACK_URL") or "http://localhost:4566"
    default_timeouts_raw = _lookup(
        env, "HMPPS_SQS_DEFAULT_ERROR_VISIBILITY_TIMEOUT", "HMPPS_SQS_DEFAULTERRORVISIBILITYTIMEOUT"
    )
    default_timeouts = (
        parse_int_list("HMPPS_SQS_DEFAULT_ERROR_VISIBILITY_TIMEOUT", default_timeouts_raw)
        if default_timeouts_raw is not None
        else [1, 10, 60, 600]
    )
    topic_arn = _lookup(env, "HMPPS_SQS_TOPICS_DOMAINEVENTS_ARN") or ""
    if topic_arn and not re.fullmatch(r"arn:aws:sns:[^:]*:[^:]*:[^:]+", topic_arn):
        raise ConfigError(
            f"HMPPS_SQS_TOPICS_DOMAINEVENTS_ARN must look like arn:aws:sns:<region>:<account>:<name>, "
            f"got {topic_arn!r}"
        )
    auth_base_url = _url(env, "API_BASE_URL_HMPPS_AUTH") or ""
    batch_enabled = (_lookup(env, "BATCH_ENABLED") or "false").lower() == "true"
    reports = {_normalise(key): value for key, value in env.items() if key.upper().startswith("REPORTS")}
    return Settings(
        server_port=_int(env, "SERVER_PORT", 8080),
        auth_base_url=auth_base_url,
        apis=_apis(env, api_timeout, health_timeout),
        api_timeout=api_timeout,
        health_timeout=health_timeout,
        sqs_provider=provider,
        localstack_url=localstack_url,
        region=_lookup(env, "HMPPS_SQS_REGION") or "eu-west-2",
        queues=_queues(env, _int(env, "HMPPS_SQS_MAX_IN_FLIGHT", 10, minimum=1)),
        default_error_visibility_timeout=default_timeouts,
        topic_arn=topic_arn,
        queue_admin_role=_lookup(env, "HMPPS_SQS_QUEUE_ADMIN_ROLE", "HMPPS_SQS_QUEUEADMINROLE")
        or "ROLE_SYSCON__QUEUE_ADMIN",
        wait_time_seconds=_int(env, "HMPPS_SQS_WAIT_TIME_SECONDS", 10),
        feature_switches=FeatureSwitches.from_env(env),
        appinsights_connection_string=env.get("APPLICATIONINSIGHTS_CONNECTION_STRING", ""),
        batch_enabled=batch_enabled,
        batch_type=_lookup(env, "BATCH_TYPE") or "",
        web_client_max_retries=_int(env, "HMPPS_WEB-CLIENT_MAX-RETRIES", 3),
        web_client_backoff_ms=_int(env, "HMPPS_WEB-CLIENT_BACKOFF-MILLIS", 100),
        mock_visits_enabled=(_lookup(env, "MOCK_VISITS_ENABLED") or "false").lower() == "true",
        mock_visits_prison_id=_lookup(env, "MOCK_VISITS_PRISON_ID", "MOCK_VISITS_PRISON-ID") or "MDI",
        mock_visits_prisoner_id=_lookup(env, "MOCK_VISITS_PRISONER_ID", "MOCK_VISITS_PRISONER-ID")
        or "A7948DY",
        mock_visits_visitors=[
            part.strip()
            for part in (_lookup(env, "MOCK_VISITS_VISITORS") or "4729570,4729550").split(",")
            if part.strip()
        ],
        reports=reports,
        env=env,
        duplicate_auto_resolve=_auto_resolve_domains(env),
        duplicate_auto_resolve_delay=parse_duration(
            AUTO_RESOLVE_DELAY, _lookup(env, AUTO_RESOLVE_DELAY) or "10s"
        ),
    )
