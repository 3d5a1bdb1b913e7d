"""The request-contract check of the sandbox fakes, against a small OpenAPI document of our own."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from hmpps_sandbox.contract import OpenApiContract
from hmpps_sandbox.fake import FakeApi, json_response

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "paths": {
        "/visits/{visitId}": {
            "parameters": [
                {"name": "visitId", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "get": {"parameters": [{"name": "full", "in": "query", "schema": {"type": "boolean"}}]},
            "delete": {},
        },
        "/visits/slots": {"get": {}},
        "/prisoners/{offenderNo}/visits": {
            "parameters": [
                {
                    "name": "offenderNo",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "[A-Z]\\d{4}[A-Z]{2}"},
                }
            ],
            "post": {
                "parameters": [
                    {"name": "page", "in": "query", "required": True, "schema": {"type": "integer"}}
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Visit"}}},
                },
            },
        },
    },
    "components": {
        "schemas": {
            "Visit": {
                "type": "object",
                "required": ["startDateTime", "day"],
                "properties": {
                    "startDateTime": {"type": "string", "format": "date-time"},
                    "day": {"type": "string", "format": "date"},
                    "room": {"type": ["string", "null"]},
                },
            }
        }
    },
}

VISIT = {"startDateTime": "2024-01-02T09:00:00", "day": "2024-01-02"}


@pytest.fixture(scope="module")
def contract() -> OpenApiContract:
    return OpenApiContract("nomis", DOCUMENT)


def problems(contract: OpenApiContract, method: str, path: str, **kwargs: Any) -> list[str]:
    query = kwargs.get("query", {})
    body = kwargs.get("body")
    return [v.problem for v in contract.check(method, path, query, body, body is not None)]


def test_a_documented_request_passes(contract: OpenApiContract) -> None:
    assert problems(contract, "POST", "/prisoners/A1234BC/visits", query={"page": ["0"]}, body=VISIT) == []
    assert problems(contract, "GET", "/visits/12", query={"full": ["true"]}) == []


def test_the_most_specific_template_wins(contract: OpenApiContract) -> None:
    # `/visits/slots` would fail the integer visitId of `/visits/{visitId}` if that were chosen.
    assert problems(contract, "GET", "/visits/slots") == []


def test_undocumented_paths_and_methods_are_violations(contract: OpenApiContract) -> None:
    assert problems(contract, "GET", "/nowhere") == ["no documented operation has this path"]
    assert problems(contract, "PUT", "/visits/12") == ["PUT is not documented here (only GET, DELETE)"]


def test_parameters_are_checked_by_type_but_ids_need_not_follow_production_patterns(
    contract: OpenApiContract,
) -> None:
    [wrong_type] = problems(contract, "DELETE", "/visits/abc")
    assert wrong_type.startswith("path parameter visitId='abc'")
    assert problems(contract, "POST", "/prisoners/AB123D/visits", query={"page": ["1"]}, body=VISIT) == []
    assert problems(contract, "GET", "/visits/12", query={"colour": ["red"]}) == [
        "query parameter 'colour' is not documented"
    ]
    assert problems(contract, "POST", "/prisoners/A1234BC/visits", body=VISIT) == [
        "required query parameter 'page' is missing"
    ]


def test_bodies_are_checked_against_their_schema(contract: OpenApiContract) -> None:
    path, query = "/prisoners/A1234BC/visits", {"page": ["0"]}
    assert problems(contract, "POST", path, query=query) == [
        "the operation requires a JSON body, none was sent"
    ]
    [missing] = problems(contract, "POST", path, query=query, body={"day": "2024-01-02"})
    assert "'startDateTime' is a required property" in missing
    [bad_date] = problems(contract, "POST", path, query=query, body={**VISIT, "day": "2024-1-2"})
    assert bad_date.startswith("body day:")
    assert problems(contract, "POST", path, query=query, body={**VISIT, "room": None}) == []
    assert problems(contract, "DELETE", "/visits/1", body={"why": "because"}) == [
        "sends a body, but the operation takes none"
    ]


async def test_a_fake_with_a_contract_records_departures_and_still_answers(contract: OpenApiContract) -> None:
    fake = FakeApi("nomis")
    fake.contract = contract

    async def ok(_: Any) -> Any:
        return json_response({})

    fake.route("DELETE", "/visits/{visitId}", ok)
    fake.route("POST", "/__seed", ok)
    await fake.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.delete(f"{fake.url}/visits/12") as response:
                assert response.status == 200
            async with session.delete(f"{fake.url}/visits/twelve") as response:
                assert response.status == 200
            async with session.post(f"{fake.url}/__seed", json={"anything": 1}) as response:
                assert response.status == 200
        assert [str(v) for v in fake.contract_violations] == [
            "nomis: DELETE /visits/twelve: path parameter visitId='twelve': (root): 'twelve' is not of type 'integer'"
        ]
        fake.reset()
        assert fake.contract_violations == []
    finally:
        await fake.stop()


def test_a_documented_body_schema_known_to_be_wrong_is_replaced_by_the_one_the_api_binds() -> None:
    """The mapping service documents POST /mapping/hearings with the charge mapping's schema."""
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "paths": {
            "/mapping/hearings": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/AdjudicationMappingDto"}
                            }
                        },
                    }
                }
            }
        },
        "components": {
            "schemas": {
                "AdjudicationMappingDto": {"type": "object", "required": ["adjudicationNumber"]},
                "AdjudicationHearingMappingDto": {
                    "type": "object",
                    "required": ["dpsHearingId", "nomisHearingId"],
                    "properties": {"dpsHearingId": {"type": "string"}, "nomisHearingId": {"type": "integer"}},
                },
            }
        },
    }
    mapping = OpenApiContract("mapping", document)
    hearing = {"dpsHearingId": "345", "nomisHearingId": 2345}
    assert problems(mapping, "POST", "/mapping/hearings", body=hearing) == []
    [missing] = problems(mapping, "POST", "/mapping/hearings", body={"dpsHearingId": "345"})
    assert "'nomisHearingId' is a required property" in missing
    # Another API's document with the same path keeps its own schema.
    assert problems(OpenApiContract("nomis", document), "POST", "/mapping/hearings", body=hearing) != []
