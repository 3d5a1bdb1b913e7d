"""Punishments created, updated and deleted, quash and unquash (adjudications scenarios 62-81)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from adjudications_support import (
    ADJUDICATION,
    BOOKING,
    CHARGE_PATH,
    OFFENDER,
    PRISON,
    QUEUE,
    SPEC,
    AdjudicationsWorld,
    charge,
    event,
    hearing,
    hearing_outcome,
    outcome_entry,
    publish_and_wait,
    punishment,
    requests,
)

from hmpps_sandbox.harness import ServiceHarness

CREATED = "adjudication.punishments.created"
UPDATED = "adjudication.punishments.updated"
DELETED = "adjudication.punishments.deleted"
QUASHED = "adjudication.outcome.quashed"
UNQUASHED = "adjudication.outcome.unquashed"
COMMON = {"chargeNumber": "12345-1", "prisonId": PRISON, "offenderNo": OFFENDER, "adjudicationNumber": "12345", "chargeSequence": "1"}  # fmt: skip

CONFINEMENT = punishment(634, "CONFINEMENT", 3, start="2023-10-04")
EXTRA_WORK = punishment(667, "EXTRA_WORK", 12, suspended_until="2023-10-18")
PAYBACK = punishment(668, "PAYBACK", 12, measurement="HOURS", suspended_until="2023-10-18")
CC_AWARD = {"sanctionType": "CC", "sanctionStatus": "IMMEDIATE", "commentText": "Added by DPS", "effectiveDate": "2023-10-04", "sanctionDays": 3}  # fmt: skip
EXTW_AWARD = {"sanctionType": "EXTW", "sanctionStatus": "SUSPENDED", "commentText": "Added by DPS", "effectiveDate": "2023-10-18", "sanctionDays": 12}  # fmt: skip
PP_AWARD = {"sanctionType": "PP", "sanctionStatus": "SUSPENDED", "commentText": "Added by DPS", "effectiveDate": "2023-10-18", "sanctionDays": 0}  # fmt: skip


def awards_path(number: int) -> str:
    return f"/adjudications/adjudication-number/{number}/charge/1/awards"


def sent_awards(service: ServiceHarness, number: int) -> list[dict[str, Any]]:
    [post] = requests(service.estate.nomis, "POST", awards_path(number))
    awards: list[dict[str, Any]] = post.body["awards"]
    return awards


def proved(last_code: str = "CHARGE_PROVED") -> dict[str, Any]:
    heard = hearing(345, outcome=hearing_outcome("COMPLETE", "GUILTY"))
    return {"hearings": [heard], "outcomes": [outcome_entry(heard, last_code)]}


@pytest.mark.scenario(SPEC, 62)
@pytest.mark.scenario(SPEC, 63)
@pytest.mark.scenario(SPEC, 64)
@pytest.mark.scenario(SPEC, 65)
async def test_punishments_are_created_as_nomis_awards_and_mapped(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    world.dps(charge(punishments=[CONFINEMENT, EXTRA_WORK, PAYBACK]))
    world.heard_charge()
    # 63: an ADA consecutive to charge 987654-2 (NOMIS adjudication 63, charge 2), with no dates.
    world.dps(
        charge("63", punishments=[punishment(700, "ADDITIONAL_DAYS", 2, consecutiveChargeNumber="987654-2")])
    )
    world.heard_charge("63", 63)
    world.fakes.nomis.seed_adjudication(OFFENDER, BOOKING, 987654, offence_codes=("51:1B", "51:4"))
    world.fakes.mappings.map_charge("987654-2", 987654, 2)
    # 64: comments and compensation.
    comments = [
        punishment(641, "PRIVILEGE", 5, start="2023-10-04", privilegeType="ASSOCIATION"),
        punishment(
            642, "PRIVILEGE", 5, start="2023-10-04", privilegeType="OTHER", otherPrivilege="Daily walk"
        ),
        punishment(643, "CONFINEMENT", 5, start="2023-10-04"),
        punishment(644, "DAMAGES_OWED", None, start="2023-10-04", damagesOwedAmount=45.1),
        punishment(645, "EARNINGS", 7, start="2023-10-04", stoppagePercentage=25),
    ]
    world.dps(charge("64", punishments=comments))
    world.heard_charge("64", 64)
    # 65: ADA statuses.
    statuses = [
        punishment(651, "PROSPECTIVE_DAYS", 1, suspended_until="2023-10-18"),
        punishment(652, "PROSPECTIVE_DAYS", 2),
        punishment(653, "PROSPECTIVE_DAYS", 3, start="2023-10-04"),
        punishment(654, "ADDITIONAL_DAYS", 4, suspended_until="2023-10-18"),
        punishment(655, "ADDITIONAL_DAYS", 5),
        punishment(656, "ADDITIONAL_DAYS", 6, start="2023-10-04"),
    ]
    world.dps(charge("65", punishments=statuses))
    world.heard_charge("65", 65)
    for number in ("12345-1", "63", "64", "65"):
        await service.estate.publish(event(CREATED, number))
    successes = await service.wait_for_event("punishment-create-success", 4)

    assert sent_awards(service, ADJUDICATION) == [CC_AWARD, EXTW_AWARD, PP_AWARD]
    [mapping] = [
        m for m in requests(service.estate.mapping, "POST", "/mapping/punishments") if "634" in str(m.body)
    ]
    sequences = [a["sanctionSequence"] for a in world.awards()]
    assert mapping.body == {
        "punishments": [
            {"dpsPunishmentId": dps_id, "nomisBookingId": BOOKING, "nomisSanctionSequence": sequence}
            for dps_id, sequence in zip(("634", "667", "668"), sequences, strict=True)
        ]
    }
    [success] = [s for s in successes if s["chargeNumber"] == "12345-1"]
    assert {k: v for k, v in success.items() if k != "punishments"} == {**COMMON, "punishmentsCount": "3"}
    assert "634" in success["punishments"]

    assert sent_awards(service, 63) == [
        {
            "sanctionType": "ADA",
            "sanctionStatus": "IMMEDIATE",
            "commentText": "Added by DPS",
            "effectiveDate": date.today().isoformat(),
            "sanctionDays": 2,
            "consecutiveCharge": {"adjudicationNumber": 987654, "chargeSequence": 2},
        }
    ]
    assert len(requests(service.estate.mapping, "GET", "/mapping/adjudications/charge-number/987654-2")) == 1
    assert len(requests(service.estate.mapping, "GET", "/mapping/adjudications/charge-number/63")) == 1

    assert [(a["commentText"], a.get("compensationAmount")) for a in sent_awards(service, 64)] == [
        ("Added by DPS: Loss of ASSOCIATION", None),
        ("Added by DPS: Loss of Daily walk", None),
        ("Added by DPS", None),
        ("Added by DPS: OTHER - Damages owed £45.10", 45.1),
        ("Added by DPS", 25.0),
    ]
    assert [a["sanctionType"] for a in sent_awards(service, 64)] == [
        "FORFEIT",
        "FORFEIT",
        "CC",
        "OTHER",
        "STOP_PCT",
    ]
    assert [(a["sanctionType"], a["sanctionStatus"]) for a in sent_awards(service, 65)] == [
        ("ADA", "SUSP_PROSP"),
        ("ADA", "PROSPECTIVE"),
        ("ADA", "IMMEDIATE"),
        ("ADA", "SUSPENDED"),
        ("ADA", "IMMEDIATE"),
        ("ADA", "IMMEDIATE"),
    ]


@pytest.mark.scenario(SPEC, 68)
@pytest.mark.scenario(SPEC, 71)
@pytest.mark.scenario(SPEC, 72)
async def test_punishments_updated_and_deleted(service: ServiceHarness, world: AdjudicationsWorld) -> None:
    # 68: 634 mapped to an award, 667 new; two awards DPS no longer has are deleted by NOMIS.
    world.dps(charge(punishments=[CONFINEMENT, EXTRA_WORK]))
    world.heard_charge()
    gone = [world.nomis_award(sanctionDays=d)["sanctionSequence"] for d in (8, 9)]
    kept = world.nomis_award()["sanctionSequence"]
    world.mapped_punishment(634, kept)
    world.mapped_punishment(600, gone[0])
    world.mapped_punishment(601, gone[1])
    # 71: nothing left in DPS, two awards in NOMIS; 72: nothing in either.
    world.dps(charge("71"))
    world.heard_charge("71", 71)
    deleted = [world.nomis_award(71)["sanctionSequence"] for _ in range(2)]
    world.mapped_punishment(710, deleted[0])
    world.mapped_punishment(711, deleted[1])
    world.dps(charge("72"))
    world.heard_charge("72", 72)
    updated = await publish_and_wait(service, event(UPDATED), "punishment-update-success")
    await service.estate.publish(event(DELETED, "71"))
    await service.estate.publish(event(DELETED, "72"))
    deletes = await service.wait_for_event("punishment-delete-success", 2)

    [put] = requests(service.estate.nomis, "PUT", CHARGE_PATH + "/awards")
    assert put.body == {
        "awardsToCreate": [EXTW_AWARD],
        "awardsToUpdate": [{"award": CC_AWARD, "sanctionSequence": kept}],
    }
    [created] = [a for a in world.awards() if a["sanctionSequence"] not in (kept, *gone)]
    mapping_put = requests(service.estate.mapping, "PUT", "/mapping/punishments")[0]
    assert mapping_put.body == {
        "punishmentsToCreate": [
            {
                "dpsPunishmentId": "667",
                "nomisBookingId": BOOKING,
                "nomisSanctionSequence": created["sanctionSequence"],
            }
        ],
        "punishmentsToDelete": [{"nomisBookingId": BOOKING, "nomisSanctionSequence": s} for s in gone],
    }
    assert updated == {
        **COMMON,
        "punishmentsCreatedCount": "1",
        "punishmentsUpdatedCount": "1",
        "punishmentsDeletedCount": "2",
    }
    assert {m["dpsPunishmentId"] for m in world.punishment_mappings()} == {"634", "667"}

    by_charge = {d["chargeNumber"]: d for d in deletes}
    assert by_charge["71"]["punishmentsDeletedCount"] == "2"
    assert by_charge["72"] == {
        **COMMON,
        "chargeNumber": "72",
        "adjudicationNumber": "72",
        "punishmentsDeletedCount": "0",
    }
    assert len(requests(service.estate.nomis, "DELETE", awards_path(71))) == 1
    assert len(requests(service.estate.nomis, "DELETE", awards_path(72))) == 1
    # Only 71 had awards to unmap (72 made no mapping call).
    assert len(requests(service.estate.mapping, "PUT", "/mapping/punishments")) == 2


@pytest.mark.scenario(SPEC, 76)
@pytest.mark.scenario(SPEC, 78)
@pytest.mark.scenario(SPEC, 79)
async def test_quash_and_unquash(service: ServiceHarness, world: AdjudicationsWorld) -> None:
    # 76: quashed in DPS.
    world.dps(charge("76", **proved("QUASHED")))
    world.heard_charge("76", 76)
    world.nomis_award(76)
    # 78: both punishments mapped.
    world.dps(charge("78", punishments=[CONFINEMENT, EXTRA_WORK], **proved()))
    world.heard_charge("78", 78)
    first, second = (world.nomis_award(78, sanctionStatus="QUASHED")["sanctionSequence"] for _ in range(2))
    world.mapped_punishment(634, first)
    world.mapped_punishment(667, second)
    # 79: one mapped, one not; NOMIS deletes two old awards.
    world.dps(charge("79", punishments=[CONFINEMENT | {"id": 790}, EXTRA_WORK | {"id": 791}], **proved()))
    world.heard_charge("79", 79)
    kept = world.nomis_award(79)["sanctionSequence"]
    gone = [world.nomis_award(79, sanctionDays=d)["sanctionSequence"] for d in (8, 9)]
    world.mapped_punishment(790, kept)
    await service.estate.publish(event(QUASHED, "76"))
    await service.estate.publish(event(UNQUASHED, "78"))
    await service.estate.publish(event(UNQUASHED, "79"))
    quashed = await service.wait_for_event("punishment-quash-success")
    unquashed = await service.wait_for_event("punishment-unquash-success", 2)

    assert quashed == [{**COMMON, "chargeNumber": "76", "adjudicationNumber": "76"}]
    assert (
        len(requests(service.estate.nomis, "PUT", "/adjudications/adjudication-number/76/charge/1/quash"))
        == 1
    )
    assert {a["sanctionStatus"] for a in world.awards(76)} == {"QUASHED"}

    [unquash_78] = requests(
        service.estate.nomis, "PUT", "/adjudications/adjudication-number/78/charge/1/unquash"
    )
    assert unquash_78.body == {
        "findingCode": "PROVED",
        "awards": {
            "awardsToCreate": [],
            "awardsToUpdate": [
                {"award": CC_AWARD, "sanctionSequence": first},
                {"award": EXTW_AWARD, "sanctionSequence": second},
            ],
        },
    }
    by_charge = {u["chargeNumber"]: u for u in unquashed}
    counts = ("punishmentsCreatedCount", "punishmentsUpdatedCount", "punishmentsDeletedCount")
    assert [by_charge["78"][c] for c in counts] == ["0", "2", "0"]
    assert [by_charge["79"][c] for c in counts] == ["1", "1", "2"]
    [unquash_79] = requests(
        service.estate.nomis, "PUT", "/adjudications/adjudication-number/79/charge/1/unquash"
    )
    assert unquash_79.body["awards"] == {
        "awardsToCreate": [EXTW_AWARD],
        "awardsToUpdate": [{"award": CC_AWARD, "sanctionSequence": kept}],
    }
    [mapping_put] = requests(service.estate.mapping, "PUT", "/mapping/punishments")
    [created] = [a for a in world.awards(79) if a["sanctionSequence"] != kept]
    assert mapping_put.body == {
        "punishmentsToCreate": [
            {
                "dpsPunishmentId": "791",
                "nomisBookingId": BOOKING,
                "nomisSanctionSequence": created["sanctionSequence"],
            }
        ],
        "punishmentsToDelete": [{"nomisBookingId": BOOKING, "nomisSanctionSequence": s} for s in gone],
    }


@pytest.mark.scenario(SPEC, 66)
@pytest.mark.scenario(SPEC, 69)
@pytest.mark.scenario(SPEC, 73)
@pytest.mark.scenario(SPEC, 74)
@pytest.mark.scenario(SPEC, 77)
@pytest.mark.scenario(SPEC, 80)
async def test_punishment_failures_end_on_the_dlq(service: ServiceHarness, world: AdjudicationsWorld) -> None:
    """No adjudication mapping for create/update/delete/unquash (charge 1); DPS still has punishments on a
    delete (74); a quash while DPS's last outcome is CHARGE_PROVED (77)."""
    world.dps(charge("1", punishments=[CONFINEMENT], **proved()))
    world.dps(charge("74", punishments=[CONFINEMENT]))
    world.heard_charge("74", 74)
    world.nomis_award(74)
    world.dps(charge("77", **proved()))
    world.heard_charge("77", 77)
    for event_type in (CREATED, UPDATED, DELETED, UNQUASHED):
        await service.estate.publish(event(event_type, "1"))
    await service.estate.publish(event(DELETED, "74"))
    await service.estate.publish(event(QUASHED, "77"))
    await service.wait_for_depth(QUEUE, 6, dlq=True, timeout=30)

    for name in ("create", "update", "unquash"):
        failed = service.events(f"punishment-{name}-failed")
        assert [f["chargeNumber"] for f in failed] == ["1"] * 3, name
        assert all(f["offenderNo"] == OFFENDER and f["prisonId"] == PRISON for f in failed)
    deletes = service.events("punishment-delete-failed")
    assert sorted(f["chargeNumber"] for f in deletes) == ["1"] * 3 + ["74"] * 3
    quash = service.events("punishment-quash-failed")
    assert quash == 3 * [
        {**COMMON, "chargeNumber": "77", "adjudicationNumber": "77", "reason": "Outcome is CHARGE_PROVED"}
    ]
    assert requests(service.estate.nomis, "DELETE", awards_path(74)) == []
    assert requests(service.estate.nomis, "PUT", r".*/quash") == []
    assert requests(service.estate.nomis, "POST", r".*/awards") == []
    assert len(world.awards(74)) == 1


@pytest.mark.scenario(SPEC, 67)
@pytest.mark.scenario(SPEC, 70)
@pytest.mark.scenario(SPEC, 75)
@pytest.mark.scenario(SPEC, 81)
async def test_punishment_mapping_failures_are_retried_without_repeating_nomis(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    mapping = service.estate.mapping
    world.dps(charge(punishments=[CONFINEMENT]))
    world.heard_charge()
    mapping.inject_fault(path_pattern="/mapping/punishments", method="POST", status=500)
    await publish_and_wait(service, event(CREATED), "punishment-create-mapping-retry-success")
    assert len(requests(service.estate.nomis, "POST", CHARGE_PATH + "/awards")) == 1
    assert len(requests(mapping, "POST", "/mapping/punishments")) == 2

    world.dps(charge(punishments=[CONFINEMENT, EXTRA_WORK]))
    mapping.inject_fault(path_pattern="/mapping/punishments", method="PUT", status=500)
    await publish_and_wait(service, event(UPDATED), "punishment-update-mapping-retry-success")
    assert len(requests(service.estate.nomis, "PUT", CHARGE_PATH + "/awards")) == 1
    assert len(requests(mapping, "PUT", "/mapping/punishments")) == 2
    assert service.events("punishment-update-success")

    world.dps(charge(**proved()))
    mapping.inject_fault(path_pattern="/mapping/punishments", method="PUT", status=500)
    await publish_and_wait(service, event(DELETED), "punishment-delete-mapping-retry-success")
    assert len(requests(service.estate.nomis, "DELETE", CHARGE_PATH + "/awards")) == 1
    assert len(requests(mapping, "PUT", "/mapping/punishments")) == 4
    assert world.punishment_mappings() == []

    world.dps(charge(punishments=[CONFINEMENT], **proved()))
    mapping.inject_fault(path_pattern="/mapping/punishments", method="PUT", status=500)
    await publish_and_wait(service, event(UNQUASHED), "punishment-unquash-mapping-retry-success")
    assert len(requests(service.estate.nomis, "PUT", CHARGE_PATH + "/unquash")) == 1
    assert len(requests(mapping, "PUT", "/mapping/punishments")) == 6
    [award] = world.awards()
    assert [(m["dpsPunishmentId"], m["nomisSanctionSequence"]) for m in world.punishment_mappings()] == [
        ("634", award["sanctionSequence"])
    ]
    assert len(service.events("adjudication-create-mapping-retry")) == 4
