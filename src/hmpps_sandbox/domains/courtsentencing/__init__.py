"""Court sentencing in the sandbox: the DPS Remand and Sentencing API, NOMIS court cases and their mappings.

`POST /__court-sentencing/{entity}/{id}/{action}` on the DPS fake (entity `court-case`, `case-references`,
`appearance`, `charge`, `sentence`, `period-length` or `recall`; action `insert`, `update`, `delete`, or
`fix-single-charge` for a sentence; JSON body = the fields to change plus event-only fields such as
`source`, `isOnFutureCourtAppearance`, `previousRecallId`) changes a DPS record and publishes its domain
event in one step; `?publish=false` only changes the record. The stores are public for tests and for
the reconciliation fake (`courtsentencing_reconciliation.py`), which reads cases made by events.

The service also sends resync requests to queue id `fromnomiscourtsentencing`; the estate lists it
without subscriptions so the service is configured to send to it but no listener consumes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hmpps_sandbox.domains.courtsentencing.dps import (
    DEFAULT_PRISONER,
    DpsStore,
    default_appearance,
    default_case,
    default_charge,
    default_period_length,
    default_recall,
    default_sentence,
)
from hmpps_sandbox.domains.courtsentencing.mappings import MappingStore
from hmpps_sandbox.domains.courtsentencing.nomis import NomisStore
from hmpps_sandbox.fake import FakeApi, error_response, json_body, json_response

if TYPE_CHECKING:
    from hmpps_sandbox.estate import Estate

QUEUE_ID = "courtsentencing"
FROM_NOMIS_QUEUE_ID = "fromnomiscourtsentencing"
DPS_NAME = "court-sentencing"
EVENTS = (
    "court-case.inserted",
    "court-case.updated",
    "court-case.deleted",
    "legacy.court-case-references.updated",
    "court-appearance.inserted",
    "court-appearance.updated",
    "court-appearance.deleted",
    "charge.inserted",
    "charge.updated",
    "sentence.inserted",
    "sentence.fix-single-charge.inserted",
    "sentence.updated",
    "sentence.deleted",
    "sentence.period-length.inserted",
    "sentence.period-length.updated",
    "sentence.period-length.deleted",
    "recall.inserted",
    "recall.updated",
    "recall.deleted",
)
ENTITY_EVENTS = {
    "court-case": "court-case",
    "appearance": "court-appearance",
    "charge": "charge",
    "sentence": "sentence",
    "period-length": "sentence.period-length",
    "recall": "recall",
}
ACTIONS = {"insert": "inserted", "update": "updated", "delete": "deleted"}
# Fields that only travel on the event, never stored on the DPS record.
EVENT_ONLY = (
    "source",
    "isOnFutureCourtAppearance",
    "isOnFutureAppearance",
    "courtAppearanceId",
    "previousRecallId",
    "previousSentenceIds",
)


class CourtSentencingFakes:
    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.dps_api = estate.add_dps(DPS_NAME, FakeApi(DPS_NAME))
        self.dps = DpsStore()
        self.nomis = NomisStore(estate.plugins["prisoners"])
        self.mappings = MappingStore()
        self.dps.install(self.dps_api)
        self.nomis.install(estate.nomis)
        self.mappings.install(estate.mapping)
        self.dps_api.route("POST", "/__court-sentencing/{entity}/{id}/{action}", self._act_route)
        self.dps_api.on_reset(self.dps.clear)
        estate.nomis.on_reset(self.nomis.clear)
        estate.mapping.on_reset(self.mappings.clear)

    # ---- events --------------------------------------------------------------------------------

    @staticmethod
    def event(
        event_type: str, offender_no: str, information: dict[str, Any], source: str | None = "DPS"
    ) -> dict[str, Any]:
        """A domain event as DPS publishes it (`source=None` leaves the field out)."""
        extra = {"source": source} if source is not None else {}
        return {
            "eventType": event_type,
            "version": 1,
            "description": f"{event_type} from the sandbox",
            "occurredAt": datetime.now().astimezone().isoformat(),
            "personReference": {"identifiers": [{"type": "NOMS", "value": offender_no}]},
            "additionalInformation": {**information, **extra},
        }

    async def act(
        self,
        entity: str,
        record_id: str,
        action: str,
        changes: dict[str, Any] | None = None,
        publish: bool = True,
    ) -> dict[str, Any]:
        """Change a DPS record (insert/update/delete) and, by default, publish its event. Returns the event."""
        changes = dict(changes or {})
        extras = {name: changes.pop(name) for name in EVENT_ONLY if name in changes}
        source = extras.pop("source", "DPS")
        record, information, event_type = self._change(entity, record_id, action, changes, extras)
        event = self.event(event_type, record["prisonerId"], information, source)
        if publish:
            await self.estate.publish(event)
        return event

    def _change(
        self, entity: str, record_id: str, action: str, changes: dict[str, Any], extras: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], str]:
        dps = self.dps
        prisoner = changes.get("prisonerId", DEFAULT_PRISONER)
        if entity == "case-references":
            case = dps.cases[record_id]
            case.update(changes)
            return case, {"courtCaseId": record_id}, "legacy.court-case-references.updated"
        if entity not in ENTITY_EVENTS:
            raise ValueError(f"entity must be one of {', '.join([*ENTITY_EVENTS, 'case-references'])}")
        if action == "fix-single-charge" and entity == "sentence":
            event_type = "sentence.fix-single-charge.inserted"
        elif action in ACTIONS:
            event_type = f"{ENTITY_EVENTS[entity]}.{ACTIONS[action]}"
        else:
            raise ValueError(
                f"action must be one of {', '.join(ACTIONS)} (or fix-single-charge for a sentence)"
            )
        if entity == "court-case":
            record = self._record(
                dps.cases, record_id, changes, lambda: default_case(record_id, prisoner), action
            )
            return record, {"courtCaseId": record_id}, event_type
        if entity == "appearance":
            record = self._record(
                dps.appearances,
                record_id,
                changes,
                lambda: default_appearance(record_id, changes["courtCaseUuid"], prisoner),
                action,
            )
            parent = dps.cases.get(record["courtCaseUuid"])
            if parent is not None and record_id not in parent["appearanceIds"]:
                parent["appearanceIds"].append(record_id)
            information = {
                "courtAppearanceId": record_id,
                "courtCaseId": record["courtCaseUuid"],
                "isOnFutureCourtAppearance": bool(extras.get("isOnFutureCourtAppearance", False)),
            }
            return record, information, event_type
        if entity == "charge":
            record = self._record(
                dps.charges,
                record_id,
                changes,
                lambda: default_charge(record_id, changes["courtCaseUuid"], prisoner),
                action,
            )
            information = {"courtChargeId": record_id, "courtCaseId": record["courtCaseUuid"]}
            appearance_id = extras.get("courtAppearanceId")
            if appearance_id is not None:
                information["courtAppearanceId"] = appearance_id
                linked = dps.appearances.get(appearance_id)
                if linked is not None and record_id not in linked["chargeIds"]:
                    linked["chargeIds"].append(record_id)
            if "isOnFutureAppearance" in extras:
                information["isOnFutureAppearance"] = extras["isOnFutureAppearance"]
            return record, information, event_type
        if entity == "sentence":
            record = self._record(
                dps.sentences,
                record_id,
                changes,
                lambda: default_sentence(
                    record_id,
                    changes["chargeLifetimeUuid"],
                    changes["appearanceUuid"],
                    changes["courtCaseId"],
                    prisoner,
                ),
                "insert" if action == "fix-single-charge" else action,
            )
            information = {
                "sentenceId": record_id,
                "courtAppearanceId": record["appearanceUuid"],
                "courtCaseId": record["courtCaseId"],
            }
            return record, information, event_type
        if entity == "period-length":
            record = self._record(
                dps.period_lengths,
                record_id,
                changes,
                lambda: default_period_length(record_id, dps.sentences[changes["sentenceUuid"]], prisoner),
                action,
            )
            information = {
                "periodLengthId": record_id,
                "sentenceId": record["sentenceUuid"],
                "courtAppearanceId": record["courtAppearanceId"],
                "courtCaseId": record["courtCaseId"],
            }
            return record, information, event_type
        record = self._record(
            dps.recalls, record_id, changes, lambda: default_recall(record_id, prisoner), action
        )
        information = {
            "recallId": record_id,
            "sentenceIds": list(record["sentenceIds"]),
            "previousRecallId": extras.get("previousRecallId"),
        }
        if action == "update":
            information["previousSentenceIds"] = list(extras.get("previousSentenceIds") or [])
        return record, information, event_type

    @staticmethod
    def _record(
        table: dict[str, dict[str, Any]], record_id: str, changes: dict[str, Any], default: Any, action: str
    ) -> dict[str, Any]:
        record = table.get(record_id)
        if record is None:
            record = default()
            table[record_id] = record
        record.update(changes)
        if action == "delete":
            record["deleted"] = True
        return record

    async def _act_route(self, request: web.Request) -> web.StreamResponse:
        changes = await json_body(request) or {}
        if not isinstance(changes, dict):
            return error_response(400, "body must be a JSON object of fields to change")
        try:
            event = await self.act(
                request.match_info["entity"],
                request.match_info["id"],
                request.match_info["action"],
                changes,
                publish=request.query.get("publish", "true") != "false",
            )
        except (ValueError, KeyError) as error:
            return error_response(400, f"cannot change the record: {error}")
        return json_response({"event": event}, status=201)


def install(estate: Estate) -> CourtSentencingFakes:
    estate.add_queue(QUEUE_ID, EVENTS)
    # Send-only for the service: no events are routed to it, so no subscription is made.
    estate.add_queue(FROM_NOMIS_QUEUE_ID, ())
    return CourtSentencingFakes(estate)
