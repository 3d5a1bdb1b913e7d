"""Resolving `to-nomis-synch-sentencing-adjustment-duplicate` (issue 14): delete the surplus NOMIS
adjustment with the service's own clean-up, only while the DPS adjustment stays mapped to another."""

from __future__ import annotations

from typing import Any

from sentencing_support import (
    ADJUSTMENT_ID,
    MAPPING_GET,
    UPDATE_ROLE,
    SentencingWorld,
    adjustment_event,
    requests,
    sentence_adjustment,
)

from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.framework.duplicates import duplicate_id

ALERT = "to-nomis-synch-sentencing-adjustment-duplicate"


async def resolve(service: ServiceHarness, properties: dict[str, str]) -> tuple[int, Any]:
    service.service.telemetry.track_event(ALERT, properties)
    status, body, _ = await service.request(
        "POST",
        f"/duplicates/{duplicate_id('sentencing-adjustment', properties)}/resolve",
        roles=[UPDATE_ROLE],
    )
    return status, body


def alert(existing: tuple[str, str, int], duplicate: tuple[str, str, int]) -> dict[str, str]:
    properties = {"adjustmentId": duplicate[0], "offenderNo": "A1234TT"}
    for side, (adjustment_id, category, nomis_id) in (("existing", existing), ("duplicate", duplicate)):
        properties[f"{side}AdjustmentId"] = adjustment_id
        properties[f"{side}NomisAdjustmentCategory"] = category
        properties[f"{side}NomisAdjustmentId"] = str(nomis_id)
    return properties


async def test_a_surplus_adjustment_the_service_could_not_remove_is_deleted_on_request(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    """A race the service lost, whose own removal of its NOMIS adjustment failed: the operator's case."""
    world.dps(sentence_adjustment())
    world.nomis("SENTENCE", id=555, adjustmentDays=99)
    world.mapping(555, "SENTENCE")
    service.estate.mapping.inject_fault(path_pattern=MAPPING_GET, method="GET", status=404, count=1)
    broken = service.estate.nomis.inject_fault(
        path_pattern=r"/sentence-adjustments/\d+", method="DELETE", count=None
    )
    await service.estate.publish(adjustment_event())
    [failed] = await service.wait_for_event("sentencing-adjustment-duplicate-removal-failed")
    service.estate.nomis.faults.remove(broken)
    surplus = int(failed["nomisAdjustmentId"])
    assert sorted(r["id"] for r in world.nomis_records()) == sorted([555, surplus])

    status, [record], _ = await service.request("GET", "/duplicates", roles=[UPDATE_ROLE])
    assert (status, record["alert"], record["domain"], record["status"]) == (
        200,
        "sentencing-adjustment",
        "sentencing",
        "OPEN",
    )
    status, body, _ = await service.request(
        "POST", f"/duplicates/{record['id']}/resolve", roles=[UPDATE_ROLE]
    )
    assert status == 200
    assert body["outcome"] == (
        f"Deleted NOMIS SENTENCE adjustment {surplus}; DPS adjustment {ADJUSTMENT_ID} stays mapped to "
        "NOMIS SENTENCE adjustment 555"
    )
    assert [r["id"] for r in world.nomis_records()] == [555]
    # The runbook's clean-up endpoint's own telemetry, then the resolution's.
    [deleted] = service.events("to-nomis-synch-adjustment-duplicate-deleted")
    assert deleted == {"nomisAdjustmentId": str(surplus), "nomisAdjustmentCategory": "SENTENCE"}
    [resolved] = service.events("to-nomis-synch-sentencing-adjustment-duplicate-resolved")
    assert resolved["duplicateRecordId"] == record["id"]


async def test_key_date_duplicates_and_the_checks(service: ServiceHarness, world: SentencingWorld) -> None:
    world.nomis("KEY-DATE", id=20)
    world.nomis("KEY-DATE", id=21)
    world.mapping(20, "KEY-DATE", adjustment_id="kd")
    status, body = await resolve(service, alert(("kd", "KEY-DATE", 20), ("kd", "KEY-DATE", 21)))
    assert (status, body["status"]) == (200, "RESOLVED")
    assert len(requests(service.estate.nomis, "DELETE", "/key-date-adjustments/21")) == 1
    assert [r["id"] for r in world.nomis_records("KEY-DATE")] == [20]

    # NOMIS handed out an id another DPS adjustment is mapped to (scenario 22): that one is mapped.
    world.nomis("SENTENCE", id=10000)
    world.mapping(10000, "SENTENCE", adjustment_id="other-adjustment")
    status, body = await resolve(
        service, alert(("other-adjustment", "SENTENCE", 10000), (ADJUSTMENT_ID, "SENTENCE", 10000))
    )
    assert (status, body["userMessage"]) == (
        409,
        "NOMIS SENTENCE adjustment 10000 is the one DPS adjustment other-adjustment is mapped to",
    )
    # Claimed by a third DPS adjustment since: the clean-up's own guard refuses.
    world.nomis("SENTENCE", id=30)
    world.nomis("SENTENCE", id=31)
    world.mapping(30, "SENTENCE", adjustment_id="a")
    world.mapping(31, "SENTENCE", adjustment_id="b")
    status, body = await resolve(service, alert(("a", "SENTENCE", 30), ("a", "SENTENCE", 31)))
    assert (status, body["userMessage"]) == (
        409,
        "NOMIS SENTENCE adjustment 31 is mapped to DPS adjustment b",
    )
    # The mapped adjustment is gone from NOMIS.
    world.mapping(40, "SENTENCE", adjustment_id="c")
    world.nomis("SENTENCE", id=41)
    status, body = await resolve(service, alert(("c", "SENTENCE", 40), ("c", "SENTENCE", 41)))
    assert (status, body["userMessage"]) == (
        409,
        "NOMIS SENTENCE adjustment 40, which DPS adjustment c is mapped to, no longer exists",
    )
    status, body = await resolve(service, alert(("c", "SENTENCE", 40), ("c", "REMAND", 41)))
    assert (status, body["userMessage"]) == (409, "The alert's NOMIS adjustment category 'REMAND' is unknown")
    assert requests(service.estate.nomis, "DELETE", r"/sentence-adjustments/\d+") == []
