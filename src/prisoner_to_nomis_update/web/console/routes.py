"""The operator console: one server-rendered page and the form posts behind its buttons.

Every route needs the queue-admin role (`HMPPS_SQS_QUEUE_ADMIN_ROLE`), the role of the queue-admin
endpoints whose operations the buttons reuse. Resolving a duplicate writes to NOMIS, so it also needs
the repair role, as `POST /duplicates/{id}/resolve` does. A change answers 303 back to the page with a
notice naming what was done (post/redirect/get, so reloading never repeats it); a refused change
answers its status (400, 403, 404, 409, 502) with the page and the reason.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from prisoner_to_nomis_update.framework.auth import Forbidden
from prisoner_to_nomis_update.framework.duplicate_resolution import ResolutionFailed
from prisoner_to_nomis_update.framework.duplicates import DUPLICATE_ID
from prisoner_to_nomis_update.framework.errors import BadRequest, Conflict, NotFound, ValidationFailure
from prisoner_to_nomis_update.web.console.page import ConsoleSources, gather
from prisoner_to_nomis_update.web.console.render import render
from prisoner_to_nomis_update.web.console.session import (
    COOKIE,
    COOKIE_PATH,
    ConsoleSession,
    check_form,
    console_session,
    console_sign_in,
    is_https,
    read_form,
)
from prisoner_to_nomis_update.web.duplicates import REPAIR_ROLE

PAGE = "/console"
Notice = dict[str, str]


def _status_of(error: Exception) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Conflict):
        return 409
    if isinstance(error, Forbidden):
        return 403
    if isinstance(error, ResolutionFailed):
        return 502
    return 400


def build_router(role: str, sources: ConsoleSources) -> APIRouter:
    router = APIRouter(prefix=PAGE, include_in_schema=False)
    signed_in = Depends(console_session(role))
    pod = socket.gethostname()

    def notice_text(query: dict[str, str]) -> str | None:
        """The notice a redirect asked for, built here from known names so a link cannot inject text."""
        kind, count = query.get("notice"), query.get("count", "")
        queue = sources.queues.queues.get(query.get("queue", ""))
        if kind in ("retried", "purged") and queue is not None and count.isdigit():
            if kind == "retried":
                return f"Moved {count} message(s) from {queue.dlq_name} back to {queue.name}."
            return f"Purged {count} message(s) from {queue.dlq_name}."
        if kind == "resolved":
            duplicate = sources.duplicates.log.get(query.get("duplicate", ""))
            if duplicate is not None and duplicate.outcome:
                return f"Duplicate {duplicate.id} resolved: {duplicate.outcome}"
        if kind == "started" and query.get("report") in sources.startable_reports:
            return f"Started the {query['report']}; its result appears below when it finishes."
        return None

    async def page(
        request: Request, session: ConsoleSession, error: str | None = None, status: int = 200
    ) -> HTMLResponse:
        html = render(
            "console.html",
            page=await gather(sources),
            user=session.principal.name,
            csrf=session.csrf_token,
            can_resolve=session.has_role(REPAIR_ROLE),
            repair_role=REPAIR_ROLE,
            notice=None if error else notice_text(dict(request.query_params)),
            error=error,
            pod=pod,
        )
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    async def change(
        request: Request, session: ConsoleSession, action: Callable[[dict[str, str]], Awaitable[Notice]]
    ) -> Response:
        """Run one button's action (after the CSRF checks): 303 to the page with a notice, or the
        page with the refusal and its status."""
        try:
            form = await read_form(request)
            check_form(request, session, form)
            notice = await action(form)
        except (BadRequest, ValidationFailure, NotFound, Conflict, Forbidden, ResolutionFailed) as error:
            status = _status_of(error)
            return await page(request, session, error=f"Not done ({status}): {error}", status=status)
        return RedirectResponse(f"{PAGE}?{urlencode(notice)}" if notice else PAGE, status_code=303)

    def queue_with_dlq(queue_id: str) -> tuple[str, str]:
        queue = sources.queues.queues.get(queue_id)
        if queue is None or not queue.dlq_name:
            raise NotFound(f"no queue {queue_id} with a DLQ")
        return queue.queue_id, queue.dlq_name

    @router.get("", response_class=HTMLResponse)
    async def console(request: Request, session: ConsoleSession = signed_in) -> HTMLResponse:
        return await page(request, session)

    @router.post("/login")
    async def sign_in(request: Request, session: ConsoleSession = Depends(console_sign_in(role))) -> Response:
        response = RedirectResponse(PAGE, status_code=303)
        response.set_cookie(
            COOKIE,
            session.token,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=is_https(request),
        )
        return response

    @router.post("/logout")
    async def sign_out(request: Request, session: ConsoleSession = signed_in) -> Response:
        async def forget(_: dict[str, str]) -> Notice:
            return {}

        response = await change(request, session, forget)
        if response.status_code == 303:
            response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
        return response

    @router.post("/queues/{queueId}/retry-dlq")
    async def retry_dlq(request: Request, queueId: str, session: ConsoleSession = signed_in) -> Response:
        async def retry(_: dict[str, str]) -> Notice:
            queue_id, _dlq = queue_with_dlq(queueId)
            moved = await sources.queues.retry_dlq(sources.queues.by_id(queue_id))
            return {"notice": "retried", "queue": queue_id, "count": str(moved)}

        return await change(request, session, retry)

    @router.post("/queues/{queueId}/purge-dlq")
    async def purge_dlq(request: Request, queueId: str, session: ConsoleSession = signed_in) -> Response:
        async def purge(form: dict[str, str]) -> Notice:
            queue_id, dlq_name = queue_with_dlq(queueId)
            if form.get("confirm") != "yes":
                raise BadRequest("tick 'not wanted' to confirm the messages can be deleted")
            found = sources.queues.find_queue_to_purge(dlq_name)
            if found is None:
                raise NotFound(f"{dlq_name} not found")
            purged = await sources.queues.purge(dlq_name, found[1])
            return {"notice": "purged", "queue": queue_id, "count": str(purged)}

        return await change(request, session, purge)

    @router.post("/duplicates/{duplicateId}/resolve")
    async def resolve_duplicate(
        request: Request,
        duplicateId: str = Path(pattern=DUPLICATE_ID),
        session: ConsoleSession = signed_in,
    ) -> Response:
        async def resolve(_: dict[str, str]) -> Notice:
            if not session.has_role(REPAIR_ROLE):
                raise Forbidden(f"resolving a duplicate writes to NOMIS and needs the role {REPAIR_ROLE}")
            await sources.duplicates.resolve(duplicateId, session.principal.name)
            return {"notice": "resolved", "duplicate": duplicateId}

        return await change(request, session, resolve)

    @router.post("/reports/start")
    async def start_report(request: Request, session: ConsoleSession = signed_in) -> Response:
        async def start(form: dict[str, str]) -> Notice:
            name = form.get("report", "")
            starter = sources.startable_reports.get(name)
            if starter is None:
                raise NotFound(f"no report called {name!r} can be started here")
            await starter()
            return {"notice": "started", "report": name}

        return await change(request, session, start)

    return router
