"""Support for the framework tests: scriptable fakes and `widgets`, a small test domain.

The estate's NOMIS and mapping fakes cannot take new routes once started (aiohttp freezes the router),
so the framework tests run their own three fakes (NOMIS, mapping, a DPS API) whose answers each test
scripts. The `widgets` domain uses the real framework helpers (`synchronise`, `create_mapping`,
`try_fetch_parent`, `try_update`, `track`, the retry queue and batch jobs) against those fakes, so the
framework mechanisms of the court-charge / property / alert scenarios are proven without those domains.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from hmpps_sandbox.fake import FakeApi, error_response, json_body, json_response
from hmpps_sandbox.stores import MappingTable, Sequence
from prisoner_to_nomis_update.framework.batch import purge_dlq_job
from prisoner_to_nomis_update.framework.domain import Domain, DomainContext
from prisoner_to_nomis_update.framework.messages import RetryMessage
from prisoner_to_nomis_update.framework.synchronise import (
    synchronise,
    track,
    try_fetch_parent,
    try_update,
)

ScriptHandler = Callable[[web.Request, "re.Match[str]"], Awaitable[web.StreamResponse]]


class ScriptedApi(FakeApi):
    """A fake whose routes each test sets with `on(method, path_regex, handler)`; wiped on reset."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.scripts: list[tuple[str, re.Pattern[str], ScriptHandler]] = []
        self.route("*", "/{tail:.*}", self._dispatch)
        self.on_reset(self.scripts.clear)

    def on(self, method: str, pattern: str, handler: ScriptHandler) -> None:
        self.scripts.append((method.upper(), re.compile(pattern), handler))

    def answer(self, method: str, pattern: str, body: Any, status: int = 200) -> None:
        async def handler(request: web.Request, match: re.Match[str]) -> web.StreamResponse:
            return json_response(body, status=status)

        self.on(method, pattern, handler)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        for method, pattern, handler in self.scripts:
            match = pattern.fullmatch(request.path)
            if method == request.method and match is not None:
                return await handler(request, match)
        return error_response(404, f"{self.name}: nothing scripted for {request.method} {request.path}")


@dataclass
class ScriptedFakes:
    nomis: ScriptedApi
    mapping: ScriptedApi
    dps: ScriptedApi

    @property
    def env(self) -> dict[str, str]:
        """Points the service's NOMIS, mapping and (as the `visits` slot) DPS clients at these fakes."""
        return {
            "API_BASE_URL_NOMIS": self.nomis.url,
            "API_BASE_URL_MAPPING": self.mapping.url,
            "API_BASE_URL_VISITS": self.dps.url,
        }

    def all(self) -> list[ScriptedApi]:
        return [self.nomis, self.mapping, self.dps]


WIDGET_QUEUE = "widget"
WIDGET_DOMAIN = "widgets"
log = logging.getLogger("fwtest.widgets")


@dataclass
class Widgets:
    """The test domain and the fake records behind it (DPS widgets, NOMIS widgets, two mapping tables)."""

    fakes: ScriptedFakes
    dps_widgets: dict[str, dict[str, Any]] = field(default_factory=dict)
    nomis_widgets: dict[int, dict[str, Any]] = field(default_factory=dict)
    nomis_ids: Sequence = field(default_factory=lambda: Sequence(start=500))
    mappings: MappingTable = field(
        default_factory=lambda: MappingTable("Widget", ["dpsWidgetId", "nomisWidgetId"])
    )
    gadgets: MappingTable = field(default_factory=lambda: MappingTable("Gadget", ["dpsGadgetId"]))
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    retries: list[RetryMessage] = field(default_factory=list)
    batch_runs: list[str] = field(default_factory=list)
    depth_during_batch: list[int] = field(default_factory=list)
    context: DomainContext | None = None

    def __post_init__(self) -> None:
        self._script()

    # ---- fakes ---------------------------------------------------------------------------------

    def _script(self) -> None:
        async def dps_get(request: web.Request, match: re.Match[str]) -> web.StreamResponse:
            widget = self.dps_widgets.get(match["id"])
            return json_response(widget) if widget else error_response(404, "Widget not found")

        async def nomis_create(request: web.Request, match: re.Match[str]) -> web.StreamResponse:
            nomis_id = self.nomis_ids.next()
            self.nomis_widgets[nomis_id] = {**(await json_body(request)), "offenderNo": match["offender"]}
            return json_response({"nomisWidgetId": nomis_id}, status=201)

        async def nomis_update(request: web.Request, match: re.Match[str]) -> web.StreamResponse:
            widget = self.nomis_widgets.get(int(match["id"]))
            if widget is None:
                return error_response(404, "NOMIS widget not found")
            widget.update(await json_body(request) or {})
            return web.Response(status=200)

        def mapping_get(table: MappingTable, key: str) -> ScriptHandler:
            async def get(request: web.Request, match: re.Match[str]) -> web.StreamResponse:
                row = table.find(key, match["id"])
                return json_response(row) if row else error_response(404, f"{table.entity} mapping not found")

            return get

        async def mapping_create(request: web.Request, match: re.Match[str]) -> web.StreamResponse:
            conflict = self.mappings.add(await json_body(request))
            return conflict if conflict is not None else web.Response(status=201)

        self.fakes.dps.on("GET", r"/widgets/(?P<id>[^/]+)", dps_get)
        self.fakes.nomis.on("POST", r"/prisoners/(?P<offender>[^/]+)/widgets", nomis_create)
        self.fakes.nomis.on("PUT", r"/prisoners/(?P<offender>[^/]+)/widgets/(?P<id>\d+)", nomis_update)
        self.fakes.mapping.on(
            "GET", r"/mapping/widgets/dps-widget-id/(?P<id>[^/]+)", mapping_get(self.mappings, "dpsWidgetId")
        )
        self.fakes.mapping.on(
            "GET", r"/mapping/gadgets/dps-gadget-id/(?P<id>[^/]+)", mapping_get(self.gadgets, "dpsGadgetId")
        )
        self.fakes.mapping.on("POST", r"/mapping/widgets", mapping_create)

    # ---- events --------------------------------------------------------------------------------

    @staticmethod
    def event(event_type: str, widget_id: str = "W1", offender_no: str = "A1234BC") -> dict[str, Any]:
        return {
            "eventType": event_type,
            "version": 1,
            "occurredAt": "2021-03-08T11:23:56.031Z",
            "additionalInformation": {"widgetId": widget_id, "offenderNo": offender_no},
        }

    # ---- the domain ----------------------------------------------------------------------------

    def factory(self, context: DomainContext) -> Domain:
        self.context = context
        telemetry = context.telemetry
        nomis = context.apis.get("nomis")
        mapping = context.apis.get("mapping")
        dps = context.apis.get("visits")
        retry_queue = context.retry_queue(WIDGET_QUEUE)

        async def created(event: dict[str, Any]) -> None:
            info = event["additionalInformation"]
            dps_id, offender_no = str(info["widgetId"]), str(info["offenderNo"])
            event_telemetry: dict[str, Any] = {"dpsWidgetId": dps_id, "offenderNo": offender_no}

            async def transform() -> dict[str, Any] | None:
                widget = await dps.get_json(f"/widgets/{dps_id}")
                event_telemetry["widgetType"] = widget["type"]
                if widget.get("ignore"):
                    return None
                if "explode" in widget:
                    raise RuntimeError(*([widget["explode"]] if widget["explode"] else []))
                gadget_id = widget.get("gadgetId")
                if gadget_id is not None:
                    gadget = await try_fetch_parent(
                        lambda: mapping.get_json_or_none(f"/mapping/gadgets/dps-gadget-id/{gadget_id}"),
                        f"Missing DPS gadget: {gadget_id}",
                    )
                    event_telemetry["nomisGadgetId"] = gadget["nomisGadgetId"]
                created = await try_update(
                    lambda: nomis.post_json(f"/prisoners/{offender_no}/widgets", {"type": widget["type"]})
                )
                return {
                    "dpsWidgetId": dps_id,
                    "nomisWidgetId": created["nomisWidgetId"],
                    "mappingType": "DPS_CREATED",
                }

            await synchronise(
                name="widget",
                telemetry=telemetry,
                event_telemetry=event_telemetry,
                check_mapping_exists=lambda: mapping.get_json_or_none(
                    f"/mapping/widgets/dps-widget-id/{dps_id}"
                ),
                transform=transform,
                save_mapping=lambda row: mapping.post_json("/mapping/widgets", row),
                retry_queue=retry_queue,
            )

        async def updated(event: dict[str, Any]) -> None:
            dps_id = str(event["additionalInformation"]["widgetId"])
            properties: dict[str, Any] = {"dpsWidgetId": dps_id}

            async def update() -> None:
                row = await try_fetch_parent(
                    lambda: mapping.get_json_or_none(f"/mapping/widgets/dps-widget-id/{dps_id}")
                )
                properties["nomisWidgetId"] = row["nomisWidgetId"]
                offender_no = event["additionalInformation"]["offenderNo"]
                await try_update(
                    lambda: nomis.put_json(
                        f"/prisoners/{offender_no}/widgets/{row['nomisWidgetId']}", {"updated": True}
                    )
                )

            await track("widget-update", telemetry, properties, update)

        async def recorded(event: dict[str, Any]) -> None:
            self.received.append((event["eventType"], event))
            log.info("Recording widget %s", event["additionalInformation"]["widgetId"])
            telemetry.track_event(
                "widget-recorded", {"dpsWidgetId": event["additionalInformation"]["widgetId"]}
            )

        async def broken(event: dict[str, Any]) -> None:
            self.received.append((event["eventType"], event))
            raise RuntimeError(f"{event['eventType']} always fails")

        async def retry_create_mapping(message: RetryMessage) -> None:
            self.retries.append(message)
            await mapping.post_json("/mapping/widgets", message.mapping)
            telemetry.track_event("widget-mapping-create-success", message.telemetry_attributes)

        async def recon() -> None:
            self.batch_runs.append("WIDGET_RECON")
            queue = context.queues.by_id(WIDGET_QUEUE)
            self.depth_during_batch.append(await context.queues.count_messages(queue.url))

        async def explodes() -> None:
            self.batch_runs.append("WIDGET_EXPLODES")
            raise RuntimeError("the widget report failed")

        return Domain(
            name=WIDGET_DOMAIN,
            queue_id=WIDGET_QUEUE,
            handlers={
                "widget.created": created,
                "widget.updated": updated,
                "widget.recorded": recorded,
                "widget.broken": broken,
                "widget.broken.fast-lane": broken,
            },
            retry_create_mapping=retry_create_mapping,
            batch_jobs={
                "WIDGET_RECON": recon,
                "WIDGET_EXPLODES": explodes,
                "PURGE_WIDGET_DLQ": purge_dlq_job(context.queues, context.settings, WIDGET_QUEUE),
            },
            apis=["visits"],
        )
