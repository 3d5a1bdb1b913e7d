"""A documented request body schema the real API does not bind is corrected before requests are checked."""

from __future__ import annotations

from typing import Any

from hmpps_sandbox.contract import OpenApiContract

TERM_PATH = (
    "/prisoners/{offenderNo}/court-cases/{caseId}/sentences/{sentenceSequence}/sentence-terms/{termSequence}"
)


def document() -> dict[str, Any]:
    """The NOMIS document's shape for the term update: it names CreateSentenceRequest as the body."""
    return {
        "openapi": "3.1.0",
        "paths": {
            TERM_PATH: {
                "put": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/CreateSentenceRequest"}
                            }
                        },
                    }
                }
            }
        },
        "components": {
            "schemas": {
                "CreateSentenceRequest": {"type": "object", "required": ["eventId"], "properties": {}},
                "SentenceTermRequest": {
                    "type": "object",
                    "required": ["lifeSentenceFlag", "sentenceTermType"],
                    "properties": {
                        "lifeSentenceFlag": {"type": "boolean"},
                        "sentenceTermType": {"type": "string"},
                    },
                },
            }
        },
    }


def test_term_update_is_checked_against_the_term_request() -> None:
    contract = OpenApiContract("nomis", document())
    path = "/prisoners/A1234AA/court-cases/7/sentences/54/sentence-terms/32"
    term = {"sentenceTermType": "IMP", "lifeSentenceFlag": False}
    assert contract.check("PUT", path, {}, term, True) == []
    [problem] = contract.check("PUT", path, {}, {"sentenceTermType": "IMP"}, True)
    assert "'lifeSentenceFlag' is a required property" in problem.problem


def test_other_documents_are_not_corrected() -> None:
    contract = OpenApiContract("mapping", document())
    path = "/prisoners/A1234AA/court-cases/7/sentences/54/sentence-terms/32"
    [problem] = contract.check("PUT", path, {}, {"sentenceTermType": "IMP", "lifeSentenceFlag": False}, True)
    assert "'eventId' is a required property" in problem.problem
