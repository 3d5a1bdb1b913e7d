"""NON_ASSOCIATIONS_RECON and the per-pair endpoint against the fakes (scenarios 86-94, 103, 104)."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date, timedelta

import pytest
from na_support import QUEUE, fakes, na_service

from hmpps_sandbox.domains.nonassociations import NonAssociationsFakes
from hmpps_sandbox.estate import Estate
from prisoner_to_nomis_update.domains.nonassociations.clients import NonAssociationsApi
from prisoner_to_nomis_update.framework.http import HttpError

SPEC = "sentencing-and-non-associations"
JOB = "NON_ASSOCIATIONS_RECON"
PREFIX = "non-associations-reports-reconciliation"
PAGE_10 = {"REPORTS_NON-ASSOCIATIONS_RECONCILIATION_PAGE-SIZE": "10"}
ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"

NOMIS_LAND = (
    "NonAssociationReportDetail(type=LAND, createdDate=2023-08-25, expiryDate=2053-10-26, closed=null, "
    "roleReason=VIC, roleReason2=PER, dpsReason=null)"
)
DPS_WING = (
    "NonAssociationReportDetail(type=WING, createdDate=2023-08-25, expiryDate=null, closed=false, "
    "roleReason=VICTIM, roleReason2=PERPETRATOR, dpsReason=BULLYING)"
)
DPS_CELL = (
    "NonAssociationReportDetail(type=CELL, createdDate=2023-08-25, expiryDate=null, closed=false, "
    "roleReason=VICTIM, roleReason2=PERPETRATOR, dpsReason=BULLYING)"
)


def pair(i: int) -> tuple[str, str]:
    return f"A{i:04d}TY", f"B{i:04d}TZ"


def key(i: int) -> str:
    first, second = pair(i)
    return f"NonAssociationIdResponse(offenderNo1={first}, offenderNo2={second})"


def nomis_land(na: NonAssociationsFakes, i: int, sequence: int = 1, **fields: object) -> None:
    first, second = pair(i)
    values: dict[str, object] = {"type": "LAND", "effectiveDate": "2023-08-25", "expiryDate": "2053-10-26"}
    values.update(fields)
    na.put_nomis(first, second, sequence, **values)


def dps_record(na: NonAssociationsFakes, dps_id: int, i: int, **fields: object) -> None:
    first, second = pair(i)
    values: dict[str, object] = {
        "firstPrisonerNumber": first,
        "secondPrisonerNumber": second,
        "restrictionType": "LANDING",
        "whenCreated": "2023-08-25T10:00:00",
    }
    values.update(fields)
    na.put_dps(dps_id, **values)


def seed_report(na: NonAssociationsFakes, pair_25_twice: bool = True) -> None:
    """34 NOMIS pairs; every 10th is WING in DPS; pair 25 has a closed and an open one in both; pair 26
    has two open in NOMIS and one in DPS; pairs 35-37 are only in DPS. DPS ids follow the pairs."""
    for i in range(1, 35):
        if i == 25 and pair_25_twice:
            nomis_land(na, i, 1, expiryDate="2023-09-01")
            nomis_land(na, i, 2)
            dps_record(na, i, i, isClosed=True, closedAt="2023-09-01T10:00:00")
            dps_record(na, 100, i, whenCreated="2023-08-25T11:00:00")
            continue
        nomis_land(na, i)
        if i == 26:
            nomis_land(na, i, 2)
        dps_record(na, i, i, restrictionType="WING" if i % 10 == 0 else "LANDING")
    for i in (35, 36, 37):
        dps_record(na, i, i, restrictionType="CELL")


async def run_report(estate: Estate) -> tuple[dict[str, str], list[dict[str, str]], object]:
    async with na_service(estate, **PAGE_10) as harness:
        await harness.service.batch_job(JOB)()
        [success] = harness.events(f"{PREFIX}-success")
        return success, harness.events(f"{PREFIX}-mismatch"), harness


@pytest.mark.scenario(SPEC, 86)
@pytest.mark.scenario(SPEC, 87)
@pytest.mark.scenario(SPEC, 88)
async def test_report_finds_type_differences_and_dps_only_records(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    seed_report(na)
    async with na_service(clean_estate, listen=False, **PAGE_10) as harness:
        await harness.service.batch_job(JOB)()
        assert harness.events(f"{PREFIX}-requested") == [{"non-associations-nomis-total": "34"}]
        [success] = harness.events(f"{PREFIX}-success")
        mismatches = harness.events(f"{PREFIX}-mismatch")
        dps_only = harness.events(f"{PREFIX}-dps-only")
        assert harness.events(f"{PREFIX}-mismatch-missing-dps-records") == [
            {"dps-total": "38", "nomis-total": "35"}
        ]
    sizes = [entry.query["size"] for entry in clean_estate.nomis.requests("GET", "/non-associations/ids")]
    assert sizes.count("1") == 1 and sizes.count("10") == 4
    assert success == {
        "mismatch-count": "6",
        **{key(i): f"nomis={NOMIS_LAND}, dps={DPS_WING}" for i in (10, 20, 30)},
        **{key(i): f"nomis=null, dps={DPS_CELL}" for i in (35, 36, 37)},
    }
    assert sorted(mismatches, key=lambda e: e["offenderNo1"]) == [
        {"offenderNo1": pair(i)[0], "offenderNo2": pair(i)[1], "nomis": NOMIS_LAND, "dps": DPS_WING}
        for i in (10, 20, 30)
    ]
    assert dps_only == [
        {"offenderNo1": pair(i)[0], "offenderNo2": pair(i)[1], "dps": DPS_CELL} for i in (35, 36, 37)
    ]


@pytest.mark.scenario(SPEC, 89)
async def test_report_carries_on_past_failing_pairs(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    seed_report(na)
    clean_estate.nomis.inject_fault(
        path_pattern=r"/non-associations/offender/A0002TY/ns-offender/B0002TZ/all"
    )
    na.failing_between.add(frozenset(pair(20)))
    async with na_service(clean_estate, listen=False, **PAGE_10) as harness:
        await harness.service.batch_job(JOB)()
        errors = harness.events(f"{PREFIX}-mismatch-error")
        [success] = harness.events(f"{PREFIX}-success")
    assert sorted(errors, key=lambda e: e["offenderNo1"]) == [
        {"offenderNo1": pair(2)[0], "offenderNo2": pair(2)[1]},
        {"offenderNo1": pair(20)[0], "offenderNo2": pair(20)[1]},
    ]
    assert success["mismatch-count"] == "5"
    assert key(10) in success and key(30) in success and key(20) not in success


@pytest.mark.scenario(SPEC, 90)
async def test_report_fails_when_nomis_cannot_count(clean_estate: Estate) -> None:
    clean_estate.nomis.inject_fault(path_pattern="/non-associations/ids", status=500)
    async with na_service(clean_estate, listen=False, **PAGE_10) as harness:
        with pytest.raises(HttpError):
            await harness.service.batch_job(JOB)()
        assert harness.events(f"{PREFIX}-requested") == []
        assert harness.events(f"{PREFIX}-success") == []


@pytest.mark.scenario(SPEC, 91)
async def test_report_carries_on_past_failing_pages(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    # One DPS record per pair, so DPS page 2 holds exactly the pairs of the failed NOMIS page 2.
    seed_report(na, pair_25_twice=False)
    na.failing_nomis_id_pages.add(2)
    na.failing_dps_pages.add(2)
    async with na_service(clean_estate, listen=False, **PAGE_10) as harness:
        await harness.service.batch_job(JOB)()
        assert harness.events(f"{PREFIX}-mismatch-page-error") == [{"page": "2"}, {"page": "2"}]
        [success] = harness.events(f"{PREFIX}-success")
    assert success["mismatch-count"] == "5"
    assert key(10) in success and key(20) in success and key(30) not in success


async def test_report_with_matching_systems_reports_nothing(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    for i in range(1, 21):
        nomis_land(na, i)
        dps_record(na, i, i)
    async with na_service(clean_estate, listen=False, **PAGE_10) as harness:
        await harness.service.batch_job(JOB)()
        assert harness.events(f"{PREFIX}-success") == [{"mismatch-count": "0"}]
        assert harness.events(f"{PREFIX}-mismatch-missing-dps-records") == []
    # 20 pairs at 10 a page: pages 0, 1 and the empty page 2, as the original pages.
    assert len(clean_estate.nomis.requests("GET", "/non-associations/ids")) == 4


async def test_report_reports_exactly_the_seeded_differences(clean_estate: Estate) -> None:
    """Every kind of difference seeded among matching pairs, odd page size: exactly those come back."""
    na = fakes(clean_estate)
    today = date.today()
    for i in range(1, 61):
        nomis_land(na, i)
        dps_record(na, i, i)
    # 1. NOMIS type differs
    na.nomis_details[6]["type"] = "CELL"  # pair 7
    # 2. start date differs
    na.nomis_details[13]["effectiveDate"] = "2023-08-26"  # pair 14
    # 3. closed in DPS, open in NOMIS (a lost close)
    na.dps_records[21].update(isClosed=True, closedAt="2024-01-01T00:00:00")  # pair 21
    # 4. an extra closed detail in NOMIS only (a lost delete)
    nomis_land(na, 33, 2, effectiveDate="2022-01-01", expiryDate="2022-02-02")
    # 5. an extra record in DPS for a pair NOMIS has (a lost create)
    dps_record(na, 200, 41, whenCreated="2024-03-03T10:00:00", restrictionType="CELL")
    # 6. a pair only DPS has (a lost create for a new pair)
    dps_record(na, 201, 99, restrictionType="WING")
    # not differences: a future NOMIS start (closed in DPS), a pre-1960 placeholder, a stale open detail behind the latest
    na.nomis_details[44]["effectiveDate"] = (today + timedelta(days=30)).isoformat()
    na.dps_records[45]["isClosed"] = True  # NOMIS counts a detail not yet in effect as closed
    na.nomis_details[49]["effectiveDate"] = "1066-01-01"
    na.dps_records[50]["whenCreated"] = "0143-01-01T00:00:00"
    nomis_land(na, 55, 2)
    async with na_service(
        clean_estate, listen=False, **{"REPORTS_NON-ASSOCIATIONS_RECONCILIATION_PAGE-SIZE": "7"}
    ) as harness:
        await harness.service.batch_job(JOB)()
        [success] = harness.events(f"{PREFIX}-success")
    found = {
        (k.split("offenderNo1=")[1].split(",")[0], v.split(",")[0])
        for k, v in success.items()
        if k != "mismatch-count"
    }
    assert success["mismatch-count"] == "6"
    assert found == {
        (pair(7)[0], "nomis=NonAssociationReportDetail(type=CELL"),
        (pair(14)[0], "nomis=NonAssociationReportDetail(type=LAND"),
        (pair(21)[0], "nomis=NonAssociationReportDetail(type=LAND"),
        (pair(33)[0], "nomis=NonAssociationReportDetail(type=LAND"),
        (pair(41)[0], "nomis=null"),
        (pair(99)[0], "nomis=null"),
    }
    assert f"dps={DPS_CELL.replace('2023-08-25', '2024-03-03')}" in success[key(41)]
    assert success[key(33)].endswith("dps=null")


@pytest.mark.scenario(SPEC, 92)
async def test_pair_endpoint_needs_the_update_role(clean_estate: Estate) -> None:
    async with na_service(clean_estate, listen=False) as harness:
        path = "/non-associations/reconciliation/A0001TY/ns/B0001TZ"
        assert (await harness.request("GET", path))[0] == 401
        assert (await harness.request("GET", path, roles=[]))[0] == 403
        assert (await harness.request("GET", path, roles=["ROLE_BANANAS"]))[0] == 403
    assert clean_estate.nomis.requests() == []


@pytest.mark.scenario(SPEC, 93)
async def test_pair_endpoint_with_matching_data_answers_an_empty_body(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    nomis_land(na, 1, 1, expiryDate="2023-09-01")
    nomis_land(na, 1, 2)
    dps_record(na, 1, 1, isClosed=True)
    dps_record(na, 2, 1, whenCreated="2023-08-25T11:00:00")
    async with na_service(clean_estate, listen=False) as harness:
        status, body, _ = await harness.request(
            "GET", "/non-associations/reconciliation/A0001TY/ns/B0001TZ", roles=[ROLE]
        )
        assert (status, body) == (200, None)
        assert harness.recorder.names() == []


@pytest.mark.scenario(SPEC, 94)
async def test_pair_endpoint_lists_the_differences(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    nomis_land(na, 1)
    dps_record(na, 1, 1, restrictionType="WING")
    async with na_service(clean_estate, listen=False) as harness:
        status, body, _ = await harness.request(
            "GET", "/non-associations/reconciliation/A0001TY/ns/B0001TZ", roles=[ROLE]
        )
        [event] = harness.events(f"{PREFIX}-mismatch")
    assert status == 200
    assert body == [
        {
            "id": {"offenderNo1": "A0001TY", "offenderNo2": "B0001TZ"},
            "nomisNonAssociation": {
                "type": "LAND",
                "createdDate": "2023-08-25",
                "expiryDate": "2053-10-26",
                "closed": None,
                "roleReason": "VIC",
                "roleReason2": "PER",
                "dpsReason": None,
            },
            "dpsNonAssociation": {
                "type": "WING",
                "createdDate": "2023-08-25",
                "expiryDate": None,
                "closed": False,
                "roleReason": "VICTIM",
                "roleReason2": "PERPETRATOR",
                "dpsReason": "BULLYING",
            },
        }
    ]
    assert event == {"offenderNo1": "A0001TY", "offenderNo2": "B0001TZ", "nomis": NOMIS_LAND, "dps": DPS_WING}


async def test_pair_endpoint_unknown_prisoners_are_a_404_and_upstream_failures_a_500(
    clean_estate: Estate,
) -> None:
    """A NOMIS 404 (prisoners it does not know) is our 404 naming them; any other failure stays 500."""
    async with na_service(clean_estate, listen=False) as harness:
        path = "/non-associations/reconciliation/A0001TY/ns/B0001TZ"
        status, body, _ = await harness.request("GET", path, roles=[ROLE])
        assert status == 404
        assert body["userMessage"].startswith(
            "Not Found: prisonNumber1 A0001TY, prisonNumber2 B0001TZ: the nomis API has no such record"
        )
        clean_estate.nomis.inject_fault(path_pattern=r"/non-associations/.*", status=503)
        status, body, _ = await harness.request("GET", path, roles=[ROLE])
        assert status == 500
        assert body["userMessage"].startswith("Unexpected error: 503 Service Unavailable from GET")


@pytest.mark.scenario(SPEC, 103)
async def test_dps_legacy_client(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    na.put_dps(12345)
    async with na_service(clean_estate, listen=False) as harness:
        api = NonAssociationsApi(harness.service.apis.get("non-associations"), harness.settings)
        legacy = await api.get_legacy(12345)
        assert legacy.offenderNonAssociation.offenderNo == "B1234BB"
        [call] = na.dps.requests("GET", "/legacy/api/non-associations/12345")
        assert call.headers["Authorization"].startswith("Bearer ")
        with pytest.raises(HttpError) as missing:
            await api.get_legacy(54321)
        assert missing.value.status == 404
        na.dps.inject_fault(path_pattern="/legacy/api/non-associations/12345", status=503)
        with pytest.raises(HttpError) as unavailable:
            await api.get_legacy(12345)
        assert unavailable.value.status == 503


@pytest.mark.scenario(SPEC, 104)
async def test_batch_mode_runs_the_report_and_exits(clean_estate: Estate) -> None:
    """`prisoner-to-nomis-update batch NON_ASSOCIATIONS_RECON` as a process: it reports and exits 0."""
    na = fakes(clean_estate)
    nomis_land(na, 1)
    dps_record(na, 1, 1)
    env = {
        **os.environ,
        **clean_estate.service_env("batch_", [QUEUE]),
        "BATCH_ENABLED": "true",
        "BATCH_TYPE": JOB,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "prisoner_to_nomis_update",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output.decode()
    assert f"{PREFIX}-success" in output.decode()
    assert len(clean_estate.nomis.requests("GET", "/non-associations/ids")) == 2
    assert len(na.dps.requests("POST", "/non-associations/between")) == 1
