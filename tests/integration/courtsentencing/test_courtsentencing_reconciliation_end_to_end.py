"""A case built in NOMIS by the event handlers reconciles clean, and a later DPS-only change is found.

Events go through SNS/SQS on moto to the real listener; the reconciliation then reads the very records
those handlers wrote (the sandbox's NOMIS and mapping stores), through E1 and the batch job.
"""

from __future__ import annotations

from cs_support import (
    APPEARANCE_ID,
    CASE_ID,
    CHARGE_ID,
    OFFENDER_NO,
    SENTENCE_ID,
    TERM_ID,
    UPDATE_ROLE,
    World,
    publish_and_wait,
)
from recon_support import PRISONER_PREFIX

from hmpps_sandbox.harness import ServiceHarness

E1 = f"/prisoners/{OFFENDER_NO}/court-sentencing/court-cases/dps-case-id/{CASE_ID}/reconciliation"


async def build_case_through_events(service: ServiceHarness, world: World) -> None:
    """DPS case, charge, appearance, sentence and term, each published and synchronised to NOMIS."""
    world.booking(1001)
    await world.dps_case()
    await world.dps_appearance(charge_ids=[CHARGE_ID])
    # DPS's sentence starts on its sentencing appearance's date, as NOMIS's court order records it.
    await world.dps_sentence(sentenceStartDate="2024-09-23")
    await world.dps_period_length()
    ids = {"courtCaseId": CASE_ID, "courtAppearanceId": APPEARANCE_ID}
    for event, telemetry in (
        (world.event("court-case.inserted", courtCaseId=CASE_ID), "court-case-create-success"),
        (world.event("charge.inserted", courtChargeId=CHARGE_ID, **ids), "charge-create-success"),
        (
            world.event("court-appearance.inserted", isOnFutureCourtAppearance=False, **ids),
            "court-appearance-create-success",
        ),
        (world.event("sentence.inserted", sentenceId=SENTENCE_ID, **ids), "sentence-create-success"),
        (
            world.event(
                "sentence.period-length.inserted", periodLengthId=TERM_ID, sentenceId=SENTENCE_ID, **ids
            ),
            "sentence-term-create-success",
        ),
    ):
        await publish_and_wait(service, event, telemetry)


async def test_a_case_synchronised_by_events_matches_until_dps_changes_alone(
    service: ServiceHarness, world: World
) -> None:
    await build_case_through_events(service, world)

    status, body, _ = await service.request("GET", E1, roles=[UPDATE_ROLE])
    assert (status, body["mismatch"]) == (200, None)
    await service.service.batch_job("COURT_CASE_PRISONER_RECON")()
    [report] = service.events(f"{PRISONER_PREFIX}-report")
    assert (report["prisoners-count"], report["mismatch-count"]) == ("1", "0")

    # DPS records another outcome for the appearance without telling NOMIS (no event).
    await world.fakes.act("appearance", APPEARANCE_ID, "update", {"nomisOutcomeCode": "1002"}, publish=False)

    status, body, _ = await service.request("GET", E1, roles=[UPDATE_ROLE])
    assert status == 200
    assert body["mismatch"]["differences"] == [
        {"property": "case.appearances[0].outcome", "dps": "1002", "nomis": "4531", "id": APPEARANCE_ID}
    ]
    service.recorder.clear()
    await service.service.batch_job("COURT_CASE_PRISONER_RECON")()
    assert [(e["offenderNo"], e["mismatchCount"]) for e in service.events(f"{PRISONER_PREFIX}-mismatch")] == [
        (OFFENDER_NO, "1")
    ]
