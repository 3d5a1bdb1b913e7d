"""Endpoint security (framework.md 7.1, scenario 54).

The Application Insights export is tested in tests/integration/ops/test_ops_opentelemetry.py.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import running_service

RESYNC = "/prisoners/A1234BC/visits/resynchronise/12"


@pytest.mark.scenario("framework", 54)
async def test_protected_endpoint_needs_a_valid_token_with_the_role(clean_estate: Estate) -> None:
    auth = clean_estate.auth
    foreign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    async with running_service(clean_estate, queues=[]) as harness:
        status, body, headers = await harness.request("POST", RESYNC)
        assert (status, body) == (401, None)
        assert headers["WWW-Authenticate"].startswith("Bearer")
        for bad in (
            "not-a-jwt",
            auth.mint_token(["ROLE_PRISONER_TO_NOMIS__UPDATE__RW"], expires_in=-60),
            auth.mint_token(["ROLE_PRISONER_TO_NOMIS__UPDATE__RW"], key=foreign_key),
            auth.mint_token(["ROLE_PRISONER_TO_NOMIS__UPDATE__RW"], algorithm="none"),
        ):
            status, _, _ = await harness.request("POST", RESYNC, token=bad)
            assert status == 401
        status, body, _ = await harness.request("POST", RESYNC, roles=["ROLE_SOMETHING_ELSE"])
        assert status == 403
        assert body["status"] == 403
        assert body["userMessage"] == "Access Denied"
    # Neither refused request reached a downstream API.
    assert clean_estate.dps["visits"].journal == []
    assert clean_estate.nomis.journal == []
