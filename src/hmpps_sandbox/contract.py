"""Request contracts: every request a fake receives is checked against the real API's OpenAPI document.

The fakes answer what the service asks, so without this a request with a misspelt field, a missing required
property or an undocumented path would pass every test and fail only in production. A fake with a contract
records each departure as a `ContractViolation`; the test suite fails a test that caused any (see
tests/conftest.py). The documents are the reference copies kept beside the project (`shared/openapi-specs`),
found through `OPENAPI_SPECS_DIR` or next to the checkout; they are never copied into the repository.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson
from jsonschema import FormatChecker, validators
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS31Validator

# Which document describes which fake.
DOCUMENTS = {
    "nomis": "nomis-prisoner-api-docs.json",
    "mapping": "nomis-mapping-service-api-docs.json",
}


# Values the original service sends, and the real APIs accept, that the documents' enums leave out. Each
# is a recorded quirk of the original, so a drop-in replacement must send them too:
# (api, schema, property) -> the extra values.
ENUM_ALLOWANCES: dict[tuple[str, str, str], tuple[str, ...]] = {
    # visits-and-incentives.md, quirks 7: the A5 cancellation outcome table.
    ("nomis", "CancelVisitRequest", "outcome"): ("HMP", "NO_ID", "NO_VO", "REFUSED", "VO_CANCEL"),
    # activities.md, quirks 8: the update PUT's top-level mapping type.
    ("mapping", "ActivityMappingDto", "mappingType"): ("ACTIVITY_UPDATED",),
}


# Operations whose document names the wrong request body schema (springdoc annotations copied from a
# sibling endpoint) while the real API binds another, and the original sends that one:
# (api, method, path template) -> the schema the body really follows.
BODY_SCHEMA_CORRECTIONS: dict[tuple[str, str, str], str] = {
    # court-sentencing.md 1.7: a term update takes a SentenceTermRequest (the document says CreateSentenceRequest).
    (
        "nomis",
        "PUT",
        "/prisoners/{offenderNo}/court-cases/{caseId}/sentences/{sentenceSequence}/sentence-terms/{termSequence}",
    ): "SentenceTermRequest",
    # adjudications.md 3.3: a hearing mapping is {dpsHearingId, nomisHearingId} (the mapping service binds
    # AdjudicationHearingMappingDto); the document names the charge mapping's AdjudicationMappingDto.
    ("mapping", "POST", "/mapping/hearings"): "AdjudicationHearingMappingDto",
}


def _correct_body_schema(api: str, method: str, template: str, spec: dict[str, Any]) -> dict[str, Any]:
    schema = BODY_SCHEMA_CORRECTIONS.get((api, method.upper(), template))
    if schema is None:
        return spec
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return {**spec, "requestBody": {**(spec.get("requestBody") or {}), "content": content}}


def _allow_recorded_quirks(api: str, components: dict[str, Any]) -> None:
    schemas = components.get("schemas") or {}
    for (allowance_api, schema, name), extra in ENUM_ALLOWANCES.items():
        if allowance_api != api or schema not in schemas:
            continue
        prop = schemas[schema].get("properties", {}).get(name)
        if prop is not None and "enum" in prop:
            prop["enum"] = [*prop["enum"], *extra]


def without_nulls(value: Any) -> Any:
    """A body with its null properties left out.

    The Kotlin APIs bind an explicit null and an absent property alike (Jackson), while springdoc documents
    a nullable field as a plain type that only its not being `required` makes optional. Leaving nulls out
    before validating gives that meaning: a null optional field passes, a null required field does not.
    """
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def specs_dir() -> Path | None:
    """Where the OpenAPI documents are: $OPENAPI_SPECS_DIR, else `shared/openapi-specs` beside the checkout."""
    configured = os.environ.get("OPENAPI_SPECS_DIR")
    candidates = [Path(configured)] if configured else []
    # src/hmpps_sandbox/contract.py -> <checkout>/.. /shared/openapi-specs
    candidates.append(Path(__file__).resolve().parents[3] / "shared" / "openapi-specs")
    return next((path for path in candidates if path.is_dir()), None)


def _ignore_pattern(*_: Any) -> Iterator[ValidationError]:
    return iter(())


# The Kotlin APIs document java LocalDate/LocalDateTime as `date`/`date-time`, and send and accept local
# date-times without an offset; and their id patterns describe production data, which test ids need not
# follow. So: ISO dates and date-times as Java parses them, and no `pattern` checks.
_FORMATS = FormatChecker()


def _is_date(value: object) -> bool:
    return not isinstance(value, str) or (len(value) == 10 and bool(date.fromisoformat(value)))


def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(datetime.fromisoformat(value.replace("Z", "+00:00")))


_FORMATS.checks("date", raises=ValueError)(_is_date)
_FORMATS.checks("date-time", raises=ValueError)(_is_date_time)
ContractValidator = validators.extend(OAS31Validator, {"pattern": _ignore_pattern})


@dataclass(frozen=True)
class ContractViolation:
    api: str
    method: str
    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.api}: {self.method} {self.path}: {self.problem}"


@dataclass
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]
    components: dict[str, Any] = field(repr=False)

    @property
    def literal_length(self) -> int:
        """How much of the template is fixed text: the most specific template wins a tie."""
        return len(re.sub(r"\{[^}]+\}", "", self.template))

    def parameters(self, location: str) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.spec.get("parameters", []) if p.get("in") == location}

    @cached_property
    def body_schema(self) -> dict[str, Any] | None:
        content = (self.spec.get("requestBody") or {}).get("content") or {}
        media = content.get("application/json") or next(iter(content.values()), None)
        return None if media is None else media.get("schema")

    @property
    def body_required(self) -> bool:
        return bool((self.spec.get("requestBody") or {}).get("required"))

    def validator(self, schema: dict[str, Any]) -> Any:
        # The document's components travel with the schema so its `#/components/...` references resolve.
        return ContractValidator({**schema, "components": self.components}, format_checker=_FORMATS)

    @cached_property
    def body_validator(self) -> Any:
        schema = self.body_schema
        return None if schema is None else self.validator(schema)


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join("([^/]+)" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(f"^{regex}$")


def _first_error(validator: Any, value: Any) -> str | None:
    error: ValidationError | None = next(iter(validator.iter_errors(value)), None)
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "(root)"
    return f"{where}: {error.message}"


def _coerce(raw: str, schema: Mapping[str, Any]) -> Any:
    """A query or path value as the type its schema declares (text stays text when it does not parse)."""
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds:
        try:
            return int(raw)
        except ValueError:
            return raw
    if "number" in kinds:
        try:
            return float(raw)
        except ValueError:
            return raw
    if "boolean" in kinds and raw in ("true", "false"):
        return raw == "true"
    return raw


class OpenApiContract:
    """The operations of one OpenAPI document, and the check of one request against them."""

    def __init__(self, api: str, document: dict[str, Any]) -> None:
        self.api = api
        components = document.get("components") or {}
        _allow_recorded_quirks(api, components)
        self.operations: list[Operation] = []
        for template, item in (document.get("paths") or {}).items():
            shared = item.get("parameters", [])
            for method, spec in item.items():
                if method == "parameters" or not isinstance(spec, dict):
                    continue
                merged = _correct_body_schema(
                    api, method, template, {**spec, "parameters": [*shared, *spec.get("parameters", [])]}
                )
                self.operations.append(
                    Operation(method.upper(), template, _pattern(template), merged, components)
                )
        # Most specific first: `/visits/slots` before `/visits/{id}`.
        self.operations.sort(key=lambda op: -op.literal_length)

    @classmethod
    def load(cls, api: str, path: Path) -> OpenApiContract:
        return cls(api, orjson.loads(path.read_bytes()))

    def match(self, method: str, path: str) -> tuple[Operation | None, list[str]]:
        """The documented operation for a request, and the methods documented for its path otherwise."""
        methods: list[str] = []
        for operation in self.operations:
            found = operation.pattern.match(path)
            if found is None:
                continue
            if operation.method == method.upper():
                return operation, []
            methods.append(operation.method)
        return None, methods

    def check(
        self, method: str, path: str, query: Mapping[str, Sequence[str]], body: Any, has_body: bool
    ) -> list[ContractViolation]:
        operation, other_methods = self.match(method, path)

        def violation(problem: str) -> ContractViolation:
            return ContractViolation(self.api, method.upper(), path, problem)

        if operation is None:
            if other_methods:
                return [
                    violation(f"{method.upper()} is not documented here (only {', '.join(other_methods)})")
                ]
            return [violation("no documented operation has this path")]
        problems: list[ContractViolation] = []
        found = operation.pattern.match(path)
        assert found is not None
        names = re.findall(r"\{([^}]+)\}", operation.template)
        path_parameters = operation.parameters("path")
        for name, raw in zip(names, found.groups(), strict=True):
            schema = (path_parameters.get(name) or {}).get("schema")
            if schema is not None:
                error = _first_error(operation.validator(schema), _coerce(raw, schema))
                if error:
                    problems.append(violation(f"path parameter {name}={raw!r}: {error}"))
        declared = operation.parameters("query")
        for name, values in query.items():
            parameter = declared.get(name)
            if parameter is None:
                problems.append(violation(f"query parameter {name!r} is not documented"))
                continue
            schema = parameter.get("schema") or {}
            item_schema = schema.get("items", schema) if schema.get("type") == "array" else schema
            for raw in values:
                error = _first_error(operation.validator(item_schema), _coerce(raw, item_schema))
                if error:
                    problems.append(violation(f"query parameter {name}={raw!r}: {error}"))
        for name, parameter in declared.items():
            if parameter.get("required") and name not in query:
                problems.append(violation(f"required query parameter {name!r} is missing"))
        if operation.body_validator is None:
            if has_body:
                problems.append(violation("sends a body, but the operation takes none"))
        elif not has_body:
            if operation.body_required:
                problems.append(violation("the operation requires a JSON body, none was sent"))
        else:
            error = _first_error(operation.body_validator, without_nulls(body))
            if error:
                problems.append(violation(f"body {error}"))
        return problems


def load_contracts() -> dict[str, OpenApiContract]:
    """The contract of each fake whose document is found (none when the documents are not here)."""
    directory = specs_dir()
    if directory is None:
        return {}
    return {
        api: OpenApiContract.load(api, directory / name)
        for api, name in DOCUMENTS.items()
        if (directory / name).is_file()
    }
