"""The operator console (issue 14 part 2), in a real headless Chromium against the real service.

The page is driven as an operator would: sign in with a token, read what failed and why, press the
buttons, and see the effect in NOMIS, on the queues and on the page.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from browser_support import chromium, screenshot_path
from ops_support import ADMIN_ROLE, REPAIR_ROLE, raise_visit_duplicate

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness, running_service, wait_until
from prisoner_to_nomis_update.domains import incentives, visits
from prisoner_to_nomis_update.framework.background import RunStatus

DLQ_AFTER_3 = {"HMPPS_SQS_QUEUES_VISIT_DLQ_MAX_RECEIVE_COUNT": "3"}
REPORT = "incentives reconciliation"


async def park_failing_visit_on_the_dlq(estate: Estate, harness: ServiceHarness, reference: str) -> None:
    """A booked event for a visit DPS does not have: 404 on every delivery, then the DLQ."""
    await estate.publish(
        {
            "eventType": "prison-visit.booked",
            "prisonerId": "A1234BC",
            "occurredAt": "2024-03-01T10:00:00Z",
            "additionalInformation": {"reference": reference},
        }
    )
    await harness.wait_for_event("prison-visit.booked-sent-to-dlq")
    await harness.wait_for_depth("visit", 1, dlq=True)


async def sign_in(page: Any, harness: ServiceHarness, *roles: str) -> None:
    response = await page.goto(f"{harness.url}/console")
    assert response.status == 401
    assert await page.get_by_role("heading", name="Sign in").is_visible()
    await page.get_by_label("Access token (JWT)").fill(harness.token(*roles))
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{harness.url}/console")


async def test_console_shows_what_failed_and_why_and_its_buttons_work(
    clean_estate: Estate, tmp_path: Path
) -> None:
    async with running_service(
        clean_estate, domains=[visits.build, incentives.build], queues=["visit"], env=DLQ_AFTER_3
    ) as harness:
        await park_failing_visit_on_the_dlq(clean_estate, harness, "VSIP-404")
        await raise_visit_duplicate(clean_estate, harness, "VSIP-12")
        [duplicate] = harness.service.duplicates.log.recent()
        dlq = harness.service.queues.by_id("visit").dlq_name

        async with chromium() as browser:
            page = await browser.new_page()
            await sign_in(page, harness, ADMIN_ROLE, REPAIR_ROLE)

            # What failed, and why: the event type and the reason the listener last logged.
            dlq_table = page.get_by_role("table").filter(has_text="prison-visit.booked")
            await dlq_table.wait_for()
            text = await dlq_table.inner_text()
            assert "prison-visit.booked" in text
            assert re.search(r"404 Not Found from GET http://127\.0\.0\.1:\d+/visits/VSIP-404", text)
            assert "after 3 deliveries" in text
            assert '{"reference":"VSIP-404"}' in text
            queues = await page.get_by_role("table").filter(has_text="Every queue").inner_text()
            assert dlq in queues
            # The duplicate, what it is, and its resolve button.
            duplicates = page.get_by_role("table").filter(has_text="duplicate alerts")
            row = duplicates.get_by_role("row").filter(has_text=duplicate.id)
            assert "visit" in await row.inner_text()
            assert "10000" in await row.inner_text() and "456" in await row.inner_text()
            resolve = row.get_by_role("button", name=f"Resolve duplicate {duplicate.id}")
            assert await resolve.is_enabled()
            start = page.get_by_role("button", name=f"Start the {REPORT}")
            assert await start.is_enabled()
            await page.screenshot(path=str(screenshot_path(tmp_path, "console.png")), full_page=True)

            # Retry: DPS now has the visit, so the retried message goes through.
            await clean_estate.plugins["visits"].act(
                "VSIP-404", "book", {"prisonerId": "A1234BC"}, publish=False
            )
            await page.get_by_role("button", name=f"Retry the messages on {dlq}").click()
            await page.wait_for_url(re.compile(r"/console\?notice=retried"))
            notice = await page.get_by_role("status").inner_text()
            assert (
                notice
                == f"Moved 1 message(s) from {dlq} back to {harness.service.queues.by_id('visit').name}."
            )
            await harness.wait_for_depth("visit", 0, dlq=True)
            [created] = await harness.wait_for_event("visit-create-success")
            assert created["visitId"] == "VSIP-404"

            # Resolve: the duplicate NOMIS visit is cancelled, the mapped one kept.
            await resolve.click()
            await page.wait_for_url(re.compile(r"/console\?notice=resolved"))
            assert (await page.get_by_role("status").inner_text()).startswith(
                f"Duplicate {duplicate.id} resolved: Cancelled NOMIS visit 10000"
            )
            nomis_visits = clean_estate.plugins["visits"].nomis_visits
            assert (nomis_visits[10000]["status"], nomis_visits[10000]["outcome"]) == ("CANC", "ADMIN")
            assert nomis_visits[456]["status"] == "SCH"
            row = page.get_by_role("table").filter(has_text="duplicate alerts").get_by_role("row")
            assert "RESOLVED" in await row.filter(has_text=duplicate.id).inner_text()

            # Start a reconciliation; its result is shown once it has run.
            await page.get_by_role("button", name=f"Start the {REPORT}").click()
            await page.wait_for_url(re.compile(r"/console\?notice=started"))
            reports = harness.service.context.reports
            await wait_until(lambda: reports.last[REPORT].status is not RunStatus.RUNNING, 15, "the report")
            await page.goto(f"{harness.url}/console")
            report_row = page.get_by_role("row").filter(has_text=REPORT)
            report_text = await report_row.inner_text()
            assert "SUCCEEDED" in report_text
            assert "incentives-reports-reconciliation-report" in report_text
            assert "No messages on any DLQ." in await page.inner_text("main")
            await page.screenshot(path=str(screenshot_path(tmp_path, "console-after.png")), full_page=True)


async def test_console_sign_in_cookie_and_csrf(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=[visits.build], queues=["visit"]) as harness:
        await raise_visit_duplicate(clean_estate, harness)
        [duplicate] = harness.service.duplicates.log.recent()
        async with chromium() as browser:
            page = await browser.new_page()
            # A token without the role, then a broken one: refused, and the form says why.
            await page.goto(f"{harness.url}/console")
            await page.get_by_label("Access token (JWT)").fill(harness.token(REPAIR_ROLE))
            await page.get_by_role("button", name="Sign in").click()
            assert (
                await page.get_by_role("alert").inner_text()
                == f"That token does not have the role {ADMIN_ROLE}."
            )
            await page.get_by_label("Access token (JWT)").fill("not.a.jwt")
            await page.get_by_role("button", name="Sign in").click()
            assert (await page.get_by_role("alert").inner_text()).startswith("That token was not accepted")
            assert await browser.cookies() == []

            # The queue-admin role alone: the console, but resolving (a NOMIS write) needs the repair role.
            await sign_in(page, harness, ADMIN_ROLE)
            [cookie] = await browser.cookies()
            assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (
                "p2n-console",
                True,
                "Strict",
                "/console",
            )
            resolve = page.get_by_role("button", name=f"Resolve duplicate {duplicate.id}")
            assert await resolve.is_disabled()
            assert f"Resolving needs the role {REPAIR_ROLE} as well." in await page.inner_text("main")

            # The cookie is the console's only: no other endpoint accepts it.
            status, _, _ = await harness.request("GET", "/duplicates", token=None)
            assert status == 401
            async with harness.client.get(  # type: ignore[union-attr]
                f"{harness.url}/duplicates", headers={"Cookie": f"p2n-console={cookie['value']}"}
            ) as response:
                assert response.status == 401

            # A form post carrying the cookie but not the page's CSRF token, or from another site: refused.
            action = f"{harness.url}/console/duplicates/{duplicate.id}/resolve"
            forged = await page.request.post(action, form={"csrf": "guess"})
            assert forged.status == 403
            assert "did not come from this console" in await forged.text()
            cross_site = await page.request.post(
                f"{harness.url}/console/queues/visit/retry-dlq",
                form={"csrf": await page.locator("input[name=csrf]").first.input_value()},
                headers={"Origin": "https://attacker.example"},
            )
            assert cross_site.status == 403
            # With the token: refused for the missing role, server side too.
            csrf = await page.locator("input[name=csrf]").first.input_value()
            refused = await page.request.post(action, form={"csrf": csrf})
            assert refused.status == 403
            assert f"needs the role {REPAIR_ROLE}" in await refused.text()
            assert clean_estate.nomis.requests("PUT", r"/prisoners/.*/cancel") == []

            await page.get_by_role("button", name="Sign out").click()
            await page.wait_for_url(f"{harness.url}/console")
            assert await page.get_by_role("heading", name="Sign in").is_visible()
            assert await browser.cookies() == []


async def test_console_refusals_answer_their_status(clean_estate: Estate) -> None:
    """Posted by a script with a bearer token (no cookie, so no CSRF token is needed). Every domain runs."""
    async with running_service(clean_estate, queues=["visit"]) as harness:
        token = harness.token(ADMIN_ROLE, REPAIR_ROLE)
        async with harness.client.get(  # type: ignore[union-attr]
            f"{harness.url}/console", headers={"Authorization": f"Bearer {token}"}
        ) as response:
            assert response.status == 200
            page = await response.text()
        for report in (
            "incentives reconciliation",
            "activity allocation reconciliation",
            "activity suspended-allocation reconciliation",
            "activity attendance reconciliation",
        ):
            assert f'aria-label="Start the {report}"' in page

        async def post(path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
            async with harness.client.post(  # type: ignore[union-attr]
                harness.url + path,
                data=form or {},
                headers={"Authorization": f"Bearer {token}"},
                allow_redirects=False,
            ) as response:
                return response.status, await response.text(), response.headers.get("Location", "")

        status, page, _ = await post("/console/queues/nosuch/retry-dlq")
        assert status == 404 and "no queue nosuch with a DLQ" in page
        status, page, _ = await post("/console/queues/visit/purge-dlq")
        assert status == 400 and "tick &#39;not wanted&#39; to confirm" in page
        status, _, location = await post("/console/queues/visit/purge-dlq", {"confirm": "yes"})
        assert (status, location) == (303, "/console?notice=purged&queue=visit&count=0")
        status, page, _ = await post("/console/duplicates/NOT-AN-ID/resolve")
        assert status == 400
        status, page, _ = await post("/console/duplicates/0123456789abcdef/resolve")
        assert status == 404 and "duplicate 0123456789abcdef not found" in page
        status, page, _ = await post("/console/reports/start", {"report": "no such report"})
        assert status == 404 and "no report called &#39;no such report&#39;" in page
        reports = harness.service.context.reports
        reports.start(REPORT, asyncio.Event().wait)  # one that runs until the service stops
        status, page, _ = await post("/console/reports/start", {"report": REPORT})
        assert status == 409 and f"The {REPORT} report is already running" in page
        # A notice is only ever built from known names: a crafted link shows none.
        async with harness.client.get(  # type: ignore[union-attr]
            f"{harness.url}/console?notice=started&report=Everything+was+deleted",
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            assert response.status == 200
            assert "Everything was deleted" not in await response.text()
