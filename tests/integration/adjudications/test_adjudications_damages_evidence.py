"""adjudication.damages.updated and adjudication.evidence.updated (adjudications scenarios 19-26)."""

from __future__ import annotations

import pytest
from adjudications_support import (
    ADJUDICATION_PATH,
    OFFENDER,
    PRISON,
    QUEUE,
    SPEC,
    AdjudicationsWorld,
    charge,
    dps_get,
    event,
    publish_and_wait,
    requests,
)

from hmpps_sandbox.harness import ServiceHarness

DAMAGES = "adjudication.damages.updated"
EVIDENCE = "adjudication.evidence.updated"


def damage(code: str, details: str) -> dict[str, str]:
    return {"code": code, "details": details, "reporter": "TWRIGHT"}


@pytest.mark.scenario(SPEC, 19)
@pytest.mark.scenario(SPEC, 23)
async def test_damages_and_evidence_replace_the_nomis_lists(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    world.dps(
        charge(
            damages=[
                damage("ELECTRICAL_REPAIR", "light switch"),
                damage("LOCK_REPAIR", "lock broken"),
                damage("CLEANING", "dirty carpets"),
            ],
            evidence=[damage("BAGGED_AND_TAGGED", "drugs"), damage("CCTV", "Image of fight")],
        )
    )
    world.mapped_charge()
    damages = await publish_and_wait(service, event(DAMAGES), "adjudication-damages-updated-success")
    evidence = await publish_and_wait(service, event(EVIDENCE), "adjudication-evidence-updated-success")

    assert len(requests(world.dps_api, "GET", dps_get())) == 2
    [repairs] = requests(service.estate.nomis, "PUT", f"{ADJUDICATION_PATH}/repairs")
    assert repairs.body == {
        "repairs": [
            {"typeCode": "ELEC", "comment": "light switch"},
            {"typeCode": "LOCK", "comment": "lock broken"},
            {"typeCode": "CLEA", "comment": "dirty carpets"},
        ]
    }
    [sent] = requests(service.estate.nomis, "PUT", f"{ADJUDICATION_PATH}/evidence")
    assert sent.body == {
        "evidence": [
            {"typeCode": "EVI_BAG", "detail": "drugs"},
            {"typeCode": "OTHER", "detail": "Image of fight"},
        ]
    }
    common = {
        "chargeNumber": "12345-1",
        "prisonId": PRISON,
        "offenderNo": OFFENDER,
        "adjudicationNumber": "12345",
        "chargeSequence": "1",
    }
    assert damages == {**common, "repairCount": "3"}
    assert evidence == {**common, "evidenceCount": "2"}


@pytest.mark.scenario(SPEC, 20)
@pytest.mark.scenario(SPEC, 21)
@pytest.mark.scenario(SPEC, 22)
@pytest.mark.scenario(SPEC, 24)
@pytest.mark.scenario(SPEC, 25)
@pytest.mark.scenario(SPEC, 26)
async def test_missing_mapping_charge_or_nomis_adjudication_ends_on_the_dlq(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    """Per event type: no mapping (charge 1), no DPS charge (2), no NOMIS adjudication (3)."""
    world.dps(charge("1"))
    world.mapped_charge("2", 2)
    world.dps(charge("3"))
    world.fakes.mappings.map_charge("3", 3)  # mapped, but NOMIS has no adjudication 3
    for event_type in (DAMAGES, EVIDENCE):
        for number in ("1", "2", "3"):
            await service.estate.publish(event(event_type, number))
    await service.wait_for_depth(QUEUE, 6, dlq=True, timeout=30)

    for name in ("adjudication-damages-updated-failed", "adjudication-evidence-updated-failed"):
        failed = service.events(name)
        assert sorted(f["chargeNumber"] for f in failed) == ["1"] * 3 + ["2"] * 3 + ["3"] * 3
        assert all(f["prisonId"] == PRISON and f["offenderNo"] == OFFENDER for f in failed)
        assert {f.get("adjudicationNumber") for f in failed if f["chargeNumber"] == "1"} == {None}
    assert (
        len(requests(service.estate.nomis, "PUT", r"/adjudications/adjudication-number/3/(repairs|evidence)"))
        == 6
    )
    assert requests(service.estate.nomis, "PUT", r"/adjudications/adjudication-number/[12]/.*") == []
    assert service.events("adjudication-damages-updated-success") == []
