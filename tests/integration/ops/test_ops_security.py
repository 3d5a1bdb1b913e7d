"""Every protected endpoint, found by walking the app's routes: tokens, roles and malformed values.

Routes other domains add are covered automatically: a route either carries a `require_role`
dependency or is one of the original's open paths (framework.md 7.1).
"""

from __future__ import annotations

import asyncio
import datetime
import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.routing import iter_route_contexts

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness, running_service
from prisoner_to_nomis_update.framework.auth import required_roles
from prisoner_to_nomis_update.web.routes import api_endpoints

OPEN_PATHS = {
    "/health",
    "/health/ping",
    "/health/liveness",
    "/health/readiness",
    "/info",
    "/v3/api-docs",
    "/v3/api-docs/swagger-config",
    "/swagger-ui/index.html",
    "/swagger-ui.html",
}
TYPED = (int, float, datetime.date, datetime.datetime)
# A handler that runs longer than this has evidently got past the role check.
RIGHT_ROLE_PATIENCE_SECONDS = 15.0


def api_routes(harness: ServiceHarness) -> list[Any]:
    return api_endpoints(harness.service.app)


def protected(harness: ServiceHarness) -> list[tuple[str, str, frozenset[str]]]:
    """(method, concrete path, roles) for every route with a role check; path values are `1`."""
    calls = []
    for route in api_routes(harness):
        roles = required_roles(route)
        if roles:
            path = re.sub(r"\{[^}]+\}", "1", route.path_format)
            calls.extend((method, path, roles) for method in sorted(route.methods or ()))
    return calls


@pytest.mark.scenario("framework", 21)
async def test_every_handler_has_a_role_check(clean_estate: Estate) -> None:
    async with running_service(clean_estate, queues=["visit"]) as harness:
        # Every route, API or plain Starlette (the OpenAPI document is one of those).
        everything = list(iter_route_contexts(harness.service.app.routes))
        unprotected = {route.path_format for route in everything if not required_roles(route)}
        assert unprotected <= OPEN_PATHS, f"endpoints without a role check: {unprotected - OPEN_PATHS}"
        assert unprotected == OPEN_PATHS
        # The queue admin and the visits repair are among the protected ones.
        paths = {path for _, path, _ in protected(harness)}
        assert "/queue-admin/retry-all-dlqs" in paths
        assert "/prisoners/1/visits/resynchronise/1" in paths


async def test_protected_endpoints_reject_bad_tokens(clean_estate: Estate) -> None:
    """No token, expired, foreign-signed (same or unknown key id), unsigned, not a JWT: 401, no body."""
    async with running_service(clean_estate, queues=["visit"]) as harness:
        auth = clean_estate.auth
        foreign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        calls = protected(harness)
        assert calls
        for method, path, roles in calls:
            role = sorted(roles)[0]
            bad_tokens: dict[str, str | None] = {
                "none": None,
                "expired": auth.mint_token([role], expires_in=-60),
                "foreign key": auth.mint_token([role], key=foreign_key),
                "foreign key id": auth.mint_token([role], key=foreign_key, kid="someone-else"),
                "alg none": auth.mint_token([role], algorithm="none"),
                "garbage": "not.a.jwt",
            }
            for what, token in bad_tokens.items():
                status, body, headers = await harness.request(method, path, token=token)
                assert (status, body) == (401, None), f"{what}: {method} {path}"
                assert headers["WWW-Authenticate"].startswith("Bearer"), path


async def test_protected_endpoints_check_the_role(clean_estate: Estate) -> None:
    async with running_service(clean_estate, queues=["visit"]) as harness:
        for method, path, roles in protected(harness):
            status, body, _ = await harness.request(method, path, roles=["ROLE_SOMETHING_ELSE"])
            assert status == 403, f"{method} {path}"
            assert body["status"] == 403
            assert body["userMessage"] == "Access Denied"
            for role in sorted(roles):
                # Roles may be written with or without the ROLE_ prefix; the token carries ROLE_x.
                try:
                    status, _, _ = await asyncio.wait_for(
                        harness.request(method, path, roles=[role]), RIGHT_ROLE_PATIENCE_SECONDS
                    )
                except TimeoutError:
                    continue
                assert status not in (401, 403), f"{role}: {method} {path}"


async def test_malformed_path_and_query_values_are_bad_requests(clean_estate: Estate) -> None:
    """A typed path or query value that does not parse is a 400 naming the parameter, never a 500."""
    async with running_service(clean_estate, queues=["visit"]) as harness:
        checked = 0
        for route in api_routes(harness):
            roles = sorted(required_roles(route))
            params = [*route.dependant.path_params, *route.dependant.query_params]
            for param in params:
                if param.field_info.annotation not in TYPED:
                    continue
                values: dict[str, Any] = {p.alias: "1" for p in route.dependant.path_params}
                values[param.alias] = "abc"
                path = route.path_format.format(**values)
                if param in route.dependant.query_params:
                    path += f"?{param.alias}=abc"
                for method in sorted(route.methods or ()):
                    status, body, _ = await harness.request(method, path, roles=roles[:1] or None)
                    assert status == 400, f"{method} {path}: {status} {body}"
                    assert body["userMessage"].startswith("Invalid Argument: "), body
                    assert param.alias in body["userMessage"]
                    checked += 1
        assert checked >= 1  # at least get-dlq-messages?maxMessages
