"""The sandbox base: FakeApi journal/faults/control endpoints, FakeAuth tokens and JWKS, MotoServer."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import jwt
import pytest
from aiobotocore.session import get_session
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from hmpps_sandbox.auth import FakeAuth
from hmpps_sandbox.aws import EventPublisher
from hmpps_sandbox.fake import FakeApi, error_response, json_body, json_response
from hmpps_sandbox.moto_server import MotoServer

ADMIN_ROLE = "ROLE_SYSCON__QUEUE_ADMIN"


def make_visits_fake() -> FakeApi:
    fake = FakeApi("visits")
    fake.state["visits"] = {}

    async def get_visit(request: web.Request) -> web.StreamResponse:
        reference = request.match_info["reference"]
        visit = fake.state["visits"].get(reference)
        if visit is None:
            return error_response(404, f"visit {reference} not found")
        return json_response(visit)

    async def put_visit(request: web.Request) -> web.StreamResponse:
        body = await json_body(request)
        fake.state["visits"][request.match_info["reference"]] = body
        return json_response(body, status=201)

    fake.route("GET", "/visits/{reference}", get_visit)
    fake.route("PUT", "/visits/{reference}", put_visit)
    fake.on_reset(fake.state["visits"].clear)
    return fake


@pytest.fixture
async def fake() -> AsyncIterator[FakeApi]:
    api = make_visits_fake()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def auth() -> AsyncIterator[FakeAuth]:
    api = FakeAuth()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def fetch(http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with http.request(method, url, **kwargs) as response:
        text = await response.text()
        return response.status, (await response.json(content_type=None)) if text else None


# ---------------------------------------------------------------- FakeApi


async def test_routes_answer_and_the_journal_records_requests(
    fake: FakeApi, http: aiohttp.ClientSession
) -> None:
    status, body = await fetch(http, "PUT", f"{fake.url}/visits/ab-cd", json={"prisonerId": "A1234BC"})
    assert (status, body) == (201, {"prisonerId": "A1234BC"})
    status, body = await fetch(http, "GET", f"{fake.url}/visits/ab-cd?x=1")
    assert (status, body) == (200, {"prisonerId": "A1234BC"})
    status, body = await fetch(http, "GET", f"{fake.url}/visits/nope")
    assert status == 404
    assert body["userMessage"] == "visit nope not found"
    assert set(body) == {"status", "errorCode", "userMessage", "developerMessage", "moreInfo"}

    assert [e.method for e in fake.journal] == ["PUT", "GET", "GET"]
    put = fake.requests("PUT")[0]
    assert put.path == "/visits/ab-cd"
    assert put.body == {"prisonerId": "A1234BC"}
    assert put.headers["Content-Type"].startswith("application/json")
    assert put.time <= time.time()
    assert [e.query for e in fake.requests("GET", r"/visits/ab-cd")] == [{"x": "1"}]
    assert len(fake.requests(path_pattern=r"/visits/.*")) == 3
    assert fake.requests(path_pattern=r"/visits") == []


async def test_health_ping_is_not_journalled_but_can_be_faulted(
    fake: FakeApi, http: aiohttp.ClientSession
) -> None:
    assert await fetch(http, "GET", f"{fake.url}/health/ping") == (200, {"status": "UP"})
    fake.inject_fault(path_pattern="/health/ping", status=503, count=None)
    status, _ = await fetch(http, "GET", f"{fake.url}/health/ping")
    assert status == 503
    assert fake.journal == []


async def test_fault_status_applies_count_times_then_is_removed(
    fake: FakeApi, http: aiohttp.ClientSession
) -> None:
    fake.state["visits"]["v1"] = {"id": "v1"}
    fault = fake.inject_fault(path_pattern=r"/visits/.*", method="GET", status=500, count=2)
    assert (await fetch(http, "PUT", f"{fake.url}/visits/v2", json={}))[0] == 201  # method mismatch
    first = await fetch(http, "GET", f"{fake.url}/visits/v1")
    assert first == (500, {"status": 500, "userMessage": "injected fault"})
    assert fault.remaining == 1
    assert (await fetch(http, "GET", f"{fake.url}/visits/v1"))[0] == 500
    assert fake.faults == []
    assert await fetch(http, "GET", f"{fake.url}/visits/v1") == (200, {"id": "v1"})
    assert len(fake.requests("GET")) == 3  # faulted requests are journalled too


async def test_fault_custom_body_delay_only_and_clear(fake: FakeApi, http: aiohttp.ClientSession) -> None:
    fake.inject_fault(path_pattern="/visits/x", status=409, body={"moreInfo": "dup"})
    assert await fetch(http, "GET", f"{fake.url}/visits/x") == (409, {"moreInfo": "dup"})

    fake.inject_fault(path_pattern="/visits/x", status=0, delay_seconds=0.2)
    started = time.monotonic()
    status, _ = await fetch(http, "GET", f"{fake.url}/visits/x")
    assert status == 404  # delay only: the handler still answers
    assert time.monotonic() - started >= 0.2

    fake.inject_fault(path_pattern="/visits/x", status=500, count=None)
    fake.clear_faults()
    assert (await fetch(http, "GET", f"{fake.url}/visits/x"))[0] == 404


async def test_reset_clears_journal_faults_and_plugin_state(
    fake: FakeApi, http: aiohttp.ClientSession
) -> None:
    await fetch(http, "PUT", f"{fake.url}/visits/v1", json={"id": "v1"})
    fake.inject_fault(path_pattern=".*", count=None)
    fake.reset()
    assert fake.journal == []
    assert fake.faults == []
    assert fake.state["visits"] == {}
    assert (await fetch(http, "GET", f"{fake.url}/visits/v1"))[0] == 404


async def test_control_endpoints(fake: FakeApi, http: aiohttp.ClientSession) -> None:
    status, error = await fetch(http, "PUT", f"{fake.url}/visits/v1", data=b"not json")
    assert status == 400  # json_body answers 400 for invalid JSON
    assert error["userMessage"].startswith("Invalid JSON body")
    status, journal = await fetch(http, "GET", f"{fake.url}/__journal")
    assert status == 200
    assert len(journal) == 1
    assert journal[0]["method"] == "PUT"
    assert journal[0]["path"] == "/visits/v1"
    assert journal[0]["body"] == "not json"

    fault_spec = {
        "method": "GET",
        "path_pattern": "/visits/.*",
        "status": 502,
        "delay_seconds": 0,
        "count": 1,
    }
    status, fault = await fetch(http, "POST", f"{fake.url}/__faults", json=fault_spec)
    assert status == 201
    assert fault["remaining"] == 1
    assert len(fake.faults) == 1
    assert (await fetch(http, "POST", f"{fake.url}/__faults", json={"status": 500}))[0] == 400
    assert (await fetch(http, "POST", f"{fake.url}/__faults", json={"path_pattern": "("}))[0] == 400
    assert (await fetch(http, "DELETE", f"{fake.url}/__faults"))[0] == 204
    assert fake.faults == []

    assert (await fetch(http, "DELETE", f"{fake.url}/__journal"))[0] == 204
    assert fake.journal == []
    fake.state["visits"]["v9"] = {}
    await fetch(http, "GET", f"{fake.url}/visits/v9")
    assert (await fetch(http, "POST", f"{fake.url}/__reset"))[0] == 204
    assert fake.journal == []
    assert fake.state["visits"] == {}


async def test_base_path_mounts_routes_and_control_endpoints(http: aiohttp.ClientSession) -> None:
    api = FakeApi("prefixed", base_path="/prefix")

    async def hello(request: web.Request) -> web.StreamResponse:
        return json_response({"hello": "world"})

    api.route("GET", "/hello", hello)
    await api.start()
    try:
        assert api.url.endswith("/prefix")
        assert await fetch(http, "GET", f"{api.url}/hello") == (200, {"hello": "world"})
        assert await fetch(http, "GET", f"{api.url}/health/ping") == (200, {"status": "UP"})
        status, journal = await fetch(http, "GET", f"{api.url}/__journal")
        assert status == 200
        assert [entry["path"] for entry in journal] == ["/prefix/hello"]
    finally:
        await api.stop()


# ---------------------------------------------------------------- FakeAuth


def basic(client_id: str, secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


async def jwks_key(http: aiohttp.ClientSession, auth: FakeAuth) -> jwt.PyJWK:
    status, jwks = await fetch(http, "GET", f"{auth.url}/.well-known/jwks.json")
    assert status == 200
    [key] = jwks["keys"]
    assert (key["kty"], key["kid"], key["alg"], key["use"]) == ("RSA", "sandbox-key", "RS256", "sig")
    return jwt.PyJWK(key)


async def test_client_credentials_token_verifies_against_jwks(
    auth: FakeAuth, http: aiohttp.ClientSession
) -> None:
    status, body = await fetch(
        http,
        "POST",
        f"{auth.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic("prisoner-to-nomis-client", "secret"),
    )
    assert status == 200
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert auth.tokens_issued == 1

    header = jwt.get_unverified_header(body["access_token"])
    assert header["kid"] == "sandbox-key"
    claims = jwt.decode(
        body["access_token"],
        (await jwks_key(http, auth)).key,
        algorithms=["RS256"],
        issuer=f"{auth.url}/issuer",
    )
    assert claims["sub"] == claims["client_id"] == "prisoner-to-nomis-client"
    assert claims["authorities"] == []
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["jti"]
    assert len(auth.requests("POST", "/auth/oauth/token")) == 1


async def test_token_endpoint_rejects_clients_and_bad_requests(
    auth: FakeAuth, http: aiohttp.ClientSession
) -> None:
    url = f"{auth.url}/oauth/token"
    form = {"grant_type": "client_credentials"}
    auth.rejected_clients.add("bad-client")
    assert (await fetch(http, "POST", url, data=form, headers=basic("bad-client", "s")))[0] == 401
    assert (await fetch(http, "POST", url, data=form))[0] == 401
    wrong_grant = {"grant_type": "password"}
    assert (await fetch(http, "POST", url, data=wrong_grant, headers=basic("c", "s")))[0] == 400
    assert auth.tokens_issued == 0

    auth.inject_fault(path_pattern="/auth/oauth/token", status=503)
    assert (await fetch(http, "POST", url, data=form, headers=basic("c", "s")))[0] == 503


async def test_mint_token_roles_expiry_foreign_key_and_alg_none(
    auth: FakeAuth, http: aiohttp.ClientSession
) -> None:
    key = (await jwks_key(http, auth)).key
    token = auth.mint_token([ADMIN_ROLE])
    claims = jwt.decode(token, key, algorithms=["RS256"])
    assert claims["authorities"] == [ADMIN_ROLE]
    assert claims["user_name"] == "sandbox-user"
    assert claims["client_id"] == "sandbox-client"

    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(auth.mint_token([ADMIN_ROLE], expires_in=-60), key, algorithms=["RS256"])

    foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(auth.mint_token([ADMIN_ROLE], key=foreign), key, algorithms=["RS256"])

    unsigned = auth.mint_token([ADMIN_ROLE], algorithm="none")
    assert jwt.get_unverified_header(unsigned)["alg"] == "none"
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(unsigned, key, algorithms=["RS256"])

    status, body = await fetch(
        http, "POST", f"{auth.url}/__mint", json={"roles": [ADMIN_ROLE], "user_name": "admin"}
    )
    assert status == 200
    minted = jwt.decode(body["access_token"], key, algorithms=["RS256"])
    assert (minted["authorities"], minted["user_name"]) == ([ADMIN_ROLE], "admin")


# ---------------------------------------------------------------- MotoServer


async def test_moto_server_start_publish_reset_stop() -> None:
    moto = MotoServer()
    await moto.start()
    try:
        session = get_session()
        async with (
            session.create_client(
                "sqs",
                region_name="eu-west-2",
                endpoint_url=moto.url,
                aws_access_key_id="any",
                aws_secret_access_key="any",
            ) as sqs,
            session.create_client(
                "sns",
                region_name="eu-west-2",
                endpoint_url=moto.url,
                aws_access_key_id="any",
                aws_secret_access_key="any",
            ) as sns,
        ):
            queue_url = (await sqs.create_queue(QueueName="sandbox-test"))["QueueUrl"]
            topic_arn = (await sns.create_topic(Name="domainevents"))["TopicArn"]
            queue_arn = (await sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"]))[
                "Attributes"
            ]["QueueArn"]
            await sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)

            async with EventPublisher(moto.url, "eu-west-2", topic_arn) as publisher:
                message_id = await publisher.publish({"eventType": "prison-visit.booked", "version": 1})
            assert message_id
            received = await sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)
            [message] = received["Messages"]
            assert '"prison-visit.booked"' in message["Body"]
            assert message_id in message["Body"]

            await moto.reset()
            assert "QueueUrls" not in await sqs.list_queues() or (await sqs.list_queues())["QueueUrls"] == []
    finally:
        await moto.stop()
    assert not moto.running


async def test_stop_does_not_wait_out_a_long_injected_delay(http: aiohttp.ClientSession) -> None:
    api = make_visits_fake()
    await api.start()
    api.inject_fault(path_pattern="/visits/slow", status=0, delay_seconds=30)
    request = asyncio.create_task(fetch(http, "GET", f"{api.url}/visits/slow"))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await api.stop()
    assert time.monotonic() - started < 5
    with pytest.raises(aiohttp.ClientError):
        await request
