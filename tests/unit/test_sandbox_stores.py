"""The indexed lookups of the sandbox stores answer exactly as a scan of the rows would.

MappingTable answers find/find_all/clash from a lazily built per-key index; the NOMIS visits fake
answers its duplicate check (409 "Visit already exists") from an index of (offenderNo, comment). Tests
and fakes change the underlying rows directly, so every way they do it is checked here.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from hmpps_sandbox.domains.visits import VisitsFakes
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.stores import MappingTable


def visits_table() -> MappingTable:
    return MappingTable("Visit", ["vsipId", "nomisId"])


def mapping(vsip_id: str, nomis_id: int, label: str | None = None) -> dict[str, Any]:
    return {"vsipId": vsip_id, "nomisId": nomis_id, "label": label, "mappingType": "ONLINE"}


def scan(table: MappingTable, key: str, value: Any) -> list[dict[str, Any]]:
    """What the table held before it had an index: every row whose value renders the same."""
    return [row for row in table.rows if str(row.get(key)) == str(value)]


# ---- MappingTable ----------------------------------------------------------------------------


def test_find_find_all_and_clash_answer_by_the_text_of_the_value() -> None:
    table = visits_table()
    assert table.add(mapping("12", 456, label="first")) is None
    assert table.add(mapping("13", 457, label="first")) is None

    assert table.find("vsipId", "12") == mapping("12", 456, label="first")
    assert table.find("nomisId", "456") == mapping("12", 456, label="first")  # path text finds an int id
    assert table.find("nomisId", 457) == mapping("13", 457, label="first")
    assert table.find("vsipId", "99") is None
    assert table.find_all("label", "first") == [mapping("12", 456, "first"), mapping("13", 457, "first")]
    assert table.find_all("label", None) == []
    assert table.find_all("mappingType", "MIGRATED") == []
    assert table.clash(mapping("99", 456)) == mapping("12", 456, label="first")
    assert table.clash({"vsipId": "13", "nomisId": None}) == mapping("13", 457, label="first")
    assert table.clash({"vsipId": None}) is None
    assert table.clash(mapping("99", 999)) is None


def test_find_all_returns_a_copy_the_caller_may_change() -> None:
    table = visits_table()
    table.add(mapping("12", 456, label="x"))
    table.find_all("label", "x").clear()
    assert table.find_all("label", "x") == [mapping("12", 456, label="x")]


def test_add_refuses_a_clash_on_either_key_with_the_mapping_apis_409() -> None:
    table = visits_table()
    assert table.add(mapping("12", 456)) is None
    assert table.find("vsipId", "12") is not None  # the index exists before the refused adds

    for duplicate in (mapping("12", 999), mapping("99", 456)):
        response = table.add(duplicate)
        assert response is not None and response.status == 409
        assert isinstance(response.body, bytes)
        assert json.loads(response.body) == {
            "status": 409,
            "errorCode": None,
            "userMessage": "Conflict: Visit mapping already exist",
            "developerMessage": "Visit mapping already exists",
            "moreInfo": {"existing": mapping("12", 456), "duplicate": duplicate},
        }
    assert table.rows == [mapping("12", 456)]
    assert table.find("vsipId", "99") is None and table.find("nomisId", 999) is None


def test_add_stores_a_copy_and_keeps_a_built_index_current() -> None:
    table = visits_table()
    candidate = mapping("12", 456)
    table.add(candidate)
    assert table.find("vsipId", "12") is not None and table.find("nomisId", 456) is not None
    candidate["vsipId"] = "changed by the caller"

    table.add(mapping("13", 457))
    assert table.find("vsipId", "12") == mapping("12", 456)
    assert table.find("vsipId", "13") == mapping("13", 457)
    assert table.find("nomisId", "457") == mapping("13", 457)
    assert table.find("vsipId", "changed by the caller") is None


def test_rows_appended_directly_are_found_and_clash() -> None:
    table = visits_table()
    table.add(mapping("12", 456))
    assert table.find("vsipId", "13") is None  # index built without the row a test is about to seed

    table.rows.append(mapping("13", 457))
    assert table.find("vsipId", "13") == mapping("13", 457)
    assert table.find("nomisId", 457) == mapping("13", 457)
    assert table.add(mapping("13", 1)) is not None
    table.rows.extend([mapping("14", 458), mapping("15", 459)])
    assert table.find("vsipId", "14") == mapping("14", 458)
    assert table.clash(mapping("x", 459)) == mapping("15", 459)


def test_rows_inserted_before_the_last_row_are_found() -> None:
    table = visits_table()
    table.add(mapping("12", 456))
    assert table.find("vsipId", "12") is not None
    table.rows.insert(0, mapping("13", 457))
    assert table.find("vsipId", "13") == mapping("13", 457)
    assert table.find("vsipId", "12") == mapping("12", 456)


def test_rows_replaced_by_a_new_list_are_what_the_table_answers_from() -> None:
    table = visits_table()
    table.add(mapping("12", 456))
    assert table.find("vsipId", "12") is not None

    table.rows = [mapping("20", 500)]
    assert table.find("vsipId", "12") is None
    assert table.find("vsipId", "20") == mapping("20", 500)
    assert table.add(mapping("12", 456)) is None

    table.rows = []
    assert table.find("vsipId", "20") is None
    assert table.add(mapping("20", 500)) is None
    assert table.rows == [mapping("20", 500)]


def test_rows_replaced_twice_between_lookups_are_what_the_table_answers_from() -> None:
    table = visits_table()
    kept = mapping("13", 457)
    table.rows = [mapping("12", 456), kept]
    assert table.find("vsipId", "12") is not None

    table.rows = [mapping("20", 500)]
    table.rows = [mapping("30", 600), kept]  # same length and last row as the indexed list
    assert (table.find("vsipId", "30"), table.find("vsipId", "12")) == (mapping("30", 600), None)


def test_clear_then_adding_again() -> None:
    table = visits_table()
    for index in range(3):
        table.add(mapping(str(index), index))
    assert table.find("vsipId", "2") is not None

    table.clear()
    assert table.rows == []
    assert table.find("vsipId", "2") is None and table.find_all("mappingType", "ONLINE") == []
    assert table.add(mapping("2", 2, label="again")) is None
    assert table.add(mapping("2", 7)) is not None
    assert table.find("vsipId", "2") == mapping("2", 2, label="again")
    table.clear()
    table.rows.append(mapping("2", 9))  # seeded by a test after the wipe
    assert table.find("nomisId", 9) == mapping("2", 9)
    assert table.find("nomisId", 2) is None


def test_remove_drops_every_matching_row() -> None:
    table = visits_table()
    table.add(mapping("12", 456, label="a"))
    table.add(mapping("13", 457, label="a"))
    table.add(mapping("14", 458, label="b"))
    assert table.find_all("label", "a") != []

    assert table.remove("label", "a") == 2
    assert table.find_all("label", "a") == []
    assert table.find("vsipId", "12") is None and table.find("nomisId", "457") is None
    assert table.find("vsipId", "14") == mapping("14", 458, label="b")
    assert table.add(mapping("12", 456)) is None
    assert table.remove("vsipId", "nothing") == 0
    assert table.find("nomisId", 456) == mapping("12", 456)


def test_rows_edited_in_place_are_found_by_their_new_value_after_changed() -> None:
    table = visits_table()
    table.add(mapping("12", 456))
    table.add(mapping("13", 457))
    assert table.find("nomisId", 456) is not None

    table.rows[0]["nomisId"] = 999
    table.changed()
    assert table.find("nomisId", 999) == mapping("12", 999)
    assert table.find("nomisId", 456) is None
    assert table.clash(mapping("x", 999)) == mapping("12", 999)
    assert table.add(mapping("x", 456)) is None

    table.rows[1] = mapping("14", 458)  # a row swapped for another in the middle of the list
    table.changed()
    assert table.find("vsipId", "13") is None and table.find("vsipId", "14") == mapping("14", 458)


def test_a_row_edited_in_place_without_changed_is_not_found_by_its_old_value() -> None:
    table = visits_table()
    table.add(mapping("12", 456))
    table.add(mapping("13", 456 + 1))
    table.add(mapping("14", 458, label="same"))
    table.add(mapping("15", 459, label="same"))
    assert table.find("nomisId", 456) is not None and table.find_all("label", "same") != []

    table.rows[0]["nomisId"] = 999
    assert table.find("nomisId", 456) is None
    assert table.clash(mapping("x", 456)) is None
    assert table.find("nomisId", 999) == mapping("12", 999)  # the rebuild above saw the new value

    table.rows[2]["label"] = "other"
    assert table.find_all("label", "same") == [mapping("15", 459, label="same")]
    assert table.find("label", "same") == mapping("15", 459, label="same")
    assert table.find_all("label", "other") == [mapping("14", 458, label="other")]


def test_thousands_of_rows_answer_as_a_scan_would() -> None:
    table = visits_table()
    for index in range(3000):
        assert table.add(mapping(f"v{index}", 10_000 + index, label=f"l{index % 7}")) is None
    for index in range(3000, 4000):  # seeded directly, as the chaos tests and benchmark do
        table.rows.append(mapping(f"v{index}", 10_000 + index, label=f"l{index % 7}"))
    for index in range(4000, 5000):
        assert table.add(mapping(f"v{index}", 10_000 + index, label=f"l{index % 7}")) is None
    table.remove("vsipId", "v17")
    table.rows[100]["label"] = "edited"
    table.changed()

    for index in (0, 17, 100, 2999, 3000, 3999, 4000, 4999, 5000):
        for key, value in (("vsipId", f"v{index}"), ("nomisId", 10_000 + index)):
            expected = scan(table, key, value)
            assert table.find_all(key, value) == expected
            assert table.find(key, str(value)) == (expected[0] if expected else None)
    for label in ("l0", "l3", "l6", "edited", "l7"):
        assert table.find_all("label", label) == scan(table, "label", label)
    assert len(table.rows) == 4999
    assert table.add(mapping("v4999", 1)) is not None and table.add(mapping("new", 14_000)) is not None
    assert table.add(mapping("v17", 10_017)) is None


# ---- the NOMIS visits fake's duplicate check, over HTTP ---------------------------------------

VISIT = {
    "prisonId": "MDI",
    "startDateTime": "2019-12-02T09:00:00",
    "endTime": "10:00",
    "visitType": "SCON",
    "issueDate": "2019-12-01",
    "room": "Main visits room",
}


class Nomis:
    """The real NOMIS fake (only it is started) and its visits plugin's state."""

    def __init__(self, estate: Estate, session: aiohttp.ClientSession) -> None:
        self.estate = estate
        self.session = session
        self.visits: VisitsFakes = estate.plugins["visits"]

    async def book(self, offender_no: str, comment: Any) -> tuple[int, Any]:
        async with self.session.post(
            f"{self.estate.nomis.url}/prisoners/{offender_no}/visits",
            json={**VISIT, "visitOrderComment": comment},
        ) as response:
            text = await response.text()
            return response.status, json.loads(text) if response.content_type == "application/json" else text

    async def update(self, offender_no: str, visit_id: int, changes: dict[str, Any]) -> int:
        async with self.session.put(
            f"{self.estate.nomis.url}/prisoners/{offender_no}/visits/{visit_id}", json=changes
        ) as response:
            return response.status

    def inject(self, visit_id: int, offender_no: str, comment: str) -> None:
        self.visits.nomis_visits[visit_id] = {
            **VISIT,
            "visitId": visit_id,
            "offenderNo": offender_no,
            "visitOrderComment": comment,
            "status": "SCH",
        }


@pytest.fixture(scope="module")
async def nomis_estate() -> AsyncIterator[Estate]:
    estate = Estate()
    await estate.nomis.start()
    yield estate
    await estate.nomis.stop()


@pytest.fixture
async def nomis(nomis_estate: Estate) -> AsyncIterator[Nomis]:
    nomis_estate.nomis.reset()
    async with aiohttp.ClientSession() as session:
        yield Nomis(nomis_estate, session)


def conflict(visit_id: int) -> tuple[int, dict[str, Any]]:
    return 409, {
        "status": 409,
        "errorCode": None,
        "userMessage": "Visit already exists",
        "developerMessage": "Visit already exists",
        "moreInfo": str(visit_id),
    }


async def test_a_second_booking_with_the_same_comment_is_refused(nomis: Nomis) -> None:
    assert await nomis.book("A1234BC", "DPS booking reference: 12") == (201, {"visitId": 10000})
    assert await nomis.book("A1234BC", "DPS booking reference: 12") == conflict(10000)
    assert await nomis.book("A1234BC", "DPS booking reference: 13") == (201, {"visitId": 10001})
    assert await nomis.book("B9999ZZ", "DPS booking reference: 12") == (201, {"visitId": 10002})
    assert await nomis.book("A1234BC", None) == (201, {"visitId": 10003})
    assert await nomis.book("A1234BC", None) == conflict(10003)
    assert sorted(nomis.visits.nomis_visits) == [10000, 10001, 10002, 10003]


async def test_a_visit_injected_by_a_test_is_a_duplicate(nomis: Nomis) -> None:
    assert await nomis.book("A1234BC", "first") == (201, {"visitId": 10000})  # the index exists
    nomis.inject(456, "A1234BC", "DPS booking reference: 12")

    assert await nomis.book("A1234BC", "DPS booking reference: 12") == conflict(456)
    assert await nomis.book("A1234BC", "DPS booking reference: 99") == (201, {"visitId": 10001})
    assert await nomis.book("A1234BC", "DPS booking reference: 99") == conflict(10001)
    assert await nomis.book("A1234BC", "first") == conflict(10000)


async def test_the_first_of_several_injected_duplicates_is_reported(nomis: Nomis) -> None:
    nomis.inject(500, "A1234BC", "same")
    nomis.inject(400, "A1234BC", "same")
    assert await nomis.book("A1234BC", "same") == conflict(500)


async def test_visits_wiped_by_a_reset_are_no_longer_duplicates(nomis: Nomis) -> None:
    assert await nomis.book("A1234BC", "c") == (201, {"visitId": 10000})
    nomis.estate.nomis.reset()
    assert await nomis.book("A1234BC", "c") == (201, {"visitId": 10000})
    nomis.visits.nomis_visits.clear()  # wiped directly by a test
    assert await nomis.book("A1234BC", "c") == (201, {"visitId": 10001})


async def test_an_updated_comment_is_what_later_bookings_clash_with(nomis: Nomis) -> None:
    assert await nomis.book("A1234BC", "old comment") == (201, {"visitId": 10000})
    assert await nomis.update("A1234BC", 10000, {"visitOrderComment": "new comment"}) == 200

    assert await nomis.book("A1234BC", "new comment") == conflict(10000)
    assert await nomis.book("A1234BC", "old comment") == (201, {"visitId": 10001})
    assert await nomis.update("A1234BC", 10001, {"visitOrderComment": "new comment"}) == 200
    assert await nomis.book("A1234BC", "new comment") == conflict(10000)
    assert await nomis.book("A1234BC", "old comment") == (201, {"visitId": 10002})


async def test_a_visit_whose_comment_a_test_edited_is_not_a_duplicate_of_its_old_comment(
    nomis: Nomis,
) -> None:
    assert await nomis.book("A1234BC", "old comment") == (201, {"visitId": 10000})
    nomis.visits.nomis_visits[10000]["visitOrderComment"] = "new comment"
    assert await nomis.book("A1234BC", "old comment") == (201, {"visitId": 10001})


async def test_a_visit_a_test_replaced_in_place_is_a_duplicate(nomis: Nomis) -> None:
    assert await nomis.book("A1234BC", "old comment") == (201, {"visitId": 10000})
    nomis.inject(10000, "A1234BC", "new comment")
    assert await nomis.book("A1234BC", "new comment") == conflict(10000)


async def test_a_malformed_comment_does_not_crash_the_fake(nomis: Nomis) -> None:
    status, _ = await nomis.book("A1234BC", ["not", "a", "string"])
    assert status != 500
