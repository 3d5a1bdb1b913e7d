"""The moto patches in hmpps_sandbox.moto_main keep moto's observable SQS/SNS behaviour.

Every test talks to a real moto server subprocess over HTTP with aiobotocore clients, as the service
does: `moto` is the server exactly as the estate runs it (MotoServer, account 000000000000); `served`
and `fresh_served` run the same patched entry point in moto's default account, the only configuration
in which moto answers the SigningCertURL (it stores the PEM under its default account but looks it
up under MOTO_ACCOUNT_ID), so signatures can be checked against the certificate moto publishes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from aiobotocore.session import get_session
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from types_aiobotocore_sns.client import SNSClient
from types_aiobotocore_sqs.client import SQSClient
from types_aiobotocore_sqs.literals import QueueAttributeNameType

from hmpps_sandbox.moto_server import MotoServer
from hmpps_sandbox.ports import free_port

REGION = "eu-west-2"
CERT_URL = re.compile(rf"^https://sns\.{REGION}\.amazonaws\.com/(SimpleNotificationService-[0-9a-f]+\.pem)$")
# moto's server picks the service from a SigV4 credential scope; the PEM route needs no valid signature.
SNS_SCOPED = {
    "Authorization": f"AWS4-HMAC-SHA256 Credential=any/20240101/{REGION}/sns/aws4_request, "
    "SignedHeaders=host, Signature=0"
}
COUNTS: tuple[QueueAttributeNameType, ...] = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


class DefaultAccountMoto:
    """`python -m hmpps_sandbox.moto_main` without MOTO_ACCOUNT_ID, so moto serves the SigningCertURL."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> DefaultAccountMoto:
        env = {name: value for name, value in os.environ.items() if name != "MOTO_ACCOUNT_ID"}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "hmpps_sandbox.moto_main", "-H", "127.0.0.1", "-p", str(self.port)),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while True:
                with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                    async with session.get(f"{self.url}/moto-api/") as response:
                        if response.status < 500:
                            return self
                if self.process.returncode is not None or time.monotonic() > deadline:
                    await self.__aexit__()
                    raise RuntimeError(f"moto_main did not start on {self.url}")
                await asyncio.sleep(0.05)

    async def __aexit__(self, *exc_info: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


@pytest.fixture(scope="module")
async def moto() -> AsyncIterator[MotoServer]:
    async with MotoServer() as server:
        yield server


@pytest.fixture(scope="module")
async def served() -> AsyncIterator[DefaultAccountMoto]:
    async with DefaultAccountMoto() as server:
        yield server


@pytest.fixture
async def fresh_served() -> AsyncIterator[DefaultAccountMoto]:
    """A server that has delivered nothing yet (the signing key and certificate are not made yet)."""
    async with DefaultAccountMoto() as server:
        yield server


@contextlib.asynccontextmanager
async def clients(url: str) -> AsyncIterator[tuple[SQSClient, SNSClient]]:
    session = get_session()
    options: dict[str, Any] = {
        "region_name": REGION,
        "endpoint_url": url,
        "aws_access_key_id": "any",
        "aws_secret_access_key": "any",
    }
    async with (
        session.create_client("sqs", **options) as sqs,
        session.create_client("sns", **options) as sns,
    ):
        yield sqs, sns


async def new_queue(sqs: SQSClient, attributes: dict[QueueAttributeNameType, str] | None = None) -> str:
    created = await sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex}", Attributes=attributes or {})
    return created["QueueUrl"]


async def receive(sqs: SQSClient, url: str, **options: Any) -> list[dict[str, Any]]:
    response = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, **options)
    return [dict(message) for message in response.get("Messages", [])]


async def receive_within(sqs: SQSClient, url: str, seconds: float) -> list[dict[str, Any]]:
    """Poll (without long polling, which would hide the moment) until something is received."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        messages = await receive(sqs, url)
        if messages:
            return messages
        await asyncio.sleep(0.05)
    return []


async def counts(sqs: SQSClient, url: str) -> tuple[int, int, int]:
    """(visible, in flight, delayed) as moto reports them."""
    attributes = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(COUNTS)))["Attributes"]
    visible, not_visible, delayed = (int(attributes[name]) for name in COUNTS)
    return visible, not_visible, delayed


async def subscribed_queue(
    sqs: SQSClient, sns: SNSClient, filter_policy: dict[str, Any] | None = None
) -> tuple[str, str, str]:
    """(topic ARN, queue URL, subscription ARN) for a new topic delivering to a new queue."""
    topic_arn = (await sns.create_topic(Name=f"t-{uuid.uuid4().hex}"))["TopicArn"]
    url = await new_queue(sqs)
    queue_arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"][
        "QueueArn"
    ]
    attributes = {"FilterPolicy": json.dumps(filter_policy)} if filter_policy else {}
    subscription = await sns.subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes
    )
    return topic_arn, url, subscription["SubscriptionArn"]


async def envelopes(sqs: SQSClient, url: str, expected: int) -> list[dict[str, Any]]:
    """The SNS envelopes of `expected` deliveries (moto delivers before Publish returns)."""
    found: list[dict[str, Any]] = []
    while len(found) < expected:
        batch = await receive(sqs, url)
        assert batch, f"only {len(found)} of {expected} deliveries arrived"
        found += [json.loads(message["Body"]) for message in batch]
    return found


def string_to_sign(envelope: dict[str, Any]) -> bytes:
    """The canonical Notification string AWS documents for SignatureVersion 2 (Subject only if present)."""
    names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    return "".join(f"{name}\n{envelope[name]}\n" for name in names if name in envelope).encode()


async def served_certificate(server: DefaultAccountMoto, cert_url: str) -> tuple[int, bytes]:
    match = CERT_URL.match(cert_url)
    assert match, cert_url
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{server.url}/{match.group(1)}", headers=SNS_SCOPED) as response,
    ):
        return response.status, await response.read()


def verifies(pem: bytes, envelope: dict[str, Any]) -> bool:
    key = x509.load_pem_x509_certificate(pem).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(
            base64.b64decode(envelope["Signature"]),
            string_to_sign(envelope),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        return False
    return True


# ---- SQS: visibility, delay and the counts built on them (Message.visible / Message.delayed) ----


async def test_a_received_message_is_hidden_for_its_visibility_timeout_then_visible_again(
    moto: MotoServer,
) -> None:
    async with clients(moto.url) as (sqs, _):
        url = await new_queue(sqs)
        await sqs.send_message(QueueUrl=url, MessageBody="one")
        assert await counts(sqs, url) == (1, 0, 0)

        [first] = await receive(sqs, url, VisibilityTimeout=1)
        received_at = time.monotonic()
        assert first["Body"] == "one"
        assert await receive(sqs, url) == []
        assert await counts(sqs, url) == (0, 1, 0)

        [again] = await receive_within(sqs, url, 2.5)
        assert time.monotonic() - received_at >= 0.9
        assert again["Body"] == "one" and again["ReceiptHandle"] != first["ReceiptHandle"]


async def test_change_message_visibility_shows_and_hides_an_in_flight_message(moto: MotoServer) -> None:
    async with clients(moto.url) as (sqs, _):
        url = await new_queue(sqs)  # default visibility timeout: 30 s
        await sqs.send_message(QueueUrl=url, MessageBody="one")
        [message] = await receive(sqs, url)
        assert await receive(sqs, url) == []

        await sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
        assert await counts(sqs, url) == (1, 0, 0)
        [message] = await receive(sqs, url)

        await sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=1
        )
        hidden_at = time.monotonic()
        assert await receive(sqs, url) == []
        assert await counts(sqs, url) == (0, 1, 0)
        [message] = await receive_within(sqs, url, 2.5)
        assert time.monotonic() - hidden_at >= 0.9
        assert message["Body"] == "one"


async def test_a_delayed_message_is_not_received_before_its_delay_and_is_after(moto: MotoServer) -> None:
    async with clients(moto.url) as (sqs, _):
        url = await new_queue(sqs)
        await sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
        sent_at = time.monotonic()
        await sqs.send_message(QueueUrl=url, MessageBody="now")
        assert await counts(sqs, url) == (1, 0, 1)

        assert [message["Body"] for message in await receive(sqs, url)] == ["now"]
        assert await counts(sqs, url) == (0, 1, 1)

        [message] = await receive_within(sqs, url, 2.5)
        assert time.monotonic() - sent_at >= 0.9
        assert message["Body"] == "later"
        assert await counts(sqs, url) == (0, 2, 0)


async def test_the_retention_period_keeps_valid_messages_and_drops_expired_ones(moto: MotoServer) -> None:
    """Read live from the queue: a shortened retention period applies to messages already queued."""
    async with clients(moto.url) as (sqs, _):
        kept = await new_queue(sqs, {"MessageRetentionPeriod": "60"})
        expiring = await new_queue(sqs)
        await sqs.send_message(QueueUrl=kept, MessageBody="kept")
        await sqs.send_message(QueueUrl=expiring, MessageBody="expired")
        await asyncio.sleep(1.1)
        await sqs.set_queue_attributes(QueueUrl=expiring, Attributes={"MessageRetentionPeriod": "1"})

        assert [message["Body"] for message in await receive(sqs, kept)] == ["kept"]
        assert await receive(sqs, expiring) == []


# ---- SNS -> SQS: the signed envelope (Subscription.get_post_data) ----


async def test_an_sns_delivery_is_the_documented_notification_envelope(moto: MotoServer) -> None:
    async with clients(moto.url) as (sqs, sns):
        topic_arn, url, subscription_arn = await subscribed_queue(sqs, sns)
        published = await sns.publish(
            TopicArn=topic_arn,
            Message='{"eventType":"prison-visit.booked"}',
            Subject="a subject",
            MessageAttributes={"eventType": {"DataType": "String", "StringValue": "prison-visit.booked"}},
        )
        [envelope] = await envelopes(sqs, url, 1)

    assert set(envelope) == {
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
        "MessageAttributes",
    }
    assert envelope["Type"] == "Notification"
    assert envelope["MessageId"] == published["MessageId"]
    assert envelope["TopicArn"] == topic_arn
    assert envelope["Message"] == '{"eventType":"prison-visit.booked"}'
    assert envelope["Subject"] == "a subject"
    assert envelope["MessageAttributes"] == {"eventType": {"Type": "String", "Value": "prison-visit.booked"}}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", envelope["Timestamp"])
    assert abs(datetime.fromisoformat(envelope["Timestamp"]).timestamp() - time.time()) < 60
    assert envelope["SignatureVersion"] == "2"
    assert len(base64.b64decode(envelope["Signature"], validate=True)) == 256  # RSA 2048
    assert CERT_URL.match(envelope["SigningCertURL"])
    assert envelope["UnsubscribeURL"].startswith(f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe&")
    assert envelope["UnsubscribeURL"].endswith(f"SubscriptionArn={subscription_arn}")


async def test_every_delivery_is_signed_with_one_long_lived_certificate(moto: MotoServer) -> None:
    async with clients(moto.url) as (sqs, sns):
        topic_arn, url, _ = await subscribed_queue(sqs, sns)
        other_topic, other_url, _ = await subscribed_queue(sqs, sns)
        await sns.publish(TopicArn=topic_arn, Message="first")
        await sns.publish(TopicArn=topic_arn, Message="second")
        await sns.publish(TopicArn=other_topic, Message="third")
        delivered = await envelopes(sqs, url, 2) + await envelopes(sqs, other_url, 1)

    assert {envelope["Message"] for envelope in delivered} == {"first", "second", "third"}
    assert len({envelope["SigningCertURL"] for envelope in delivered}) == 1
    assert len({envelope["Signature"] for envelope in delivered}) == 3  # still one signature per message
    assert all("Subject" not in envelope and "MessageAttributes" not in envelope for envelope in delivered)


async def test_a_filter_policy_on_event_type_still_filters(moto: MotoServer) -> None:
    async with clients(moto.url) as (sqs, sns):
        topic_arn, url, _ = await subscribed_queue(sqs, sns, {"eventType": ["prison-visit.booked"]})
        for event_type in ("prison-visit.changed", "prison-visit.booked", "incentives.iep-review.inserted"):
            await sns.publish(
                TopicArn=topic_arn,
                Message=event_type,
                MessageAttributes={"eventType": {"DataType": "String", "StringValue": event_type}},
            )
        await sns.publish(TopicArn=topic_arn, Message="no attributes")
        delivered = await envelopes(sqs, url, 1)
        assert await receive(sqs, url) == []

    assert [envelope["Message"] for envelope in delivered] == ["prison-visit.booked"]


async def test_signatures_verify_with_the_certificate_moto_serves(served: DefaultAccountMoto) -> None:
    async with clients(served.url) as (sqs, sns):
        topic_arn, url, _ = await subscribed_queue(sqs, sns)
        await sns.publish(TopicArn=topic_arn, Message="with subject", Subject="the subject")
        await sns.publish(
            TopicArn=topic_arn,
            Message="without subject",
            MessageAttributes={"eventType": {"DataType": "String", "StringValue": "x"}},
        )
        delivered = await envelopes(sqs, url, 2)

    [cert_url] = {envelope["SigningCertURL"] for envelope in delivered}
    status, pem = await served_certificate(served, cert_url)
    assert status == 200
    certificate = x509.load_pem_x509_certificate(pem)
    assert certificate.subject.rfc4514_string() == "CN=sns.amazonaws.com"
    for envelope in delivered:
        assert verifies(pem, envelope), envelope["Message"]
        assert not verifies(pem, {**envelope, "Message": envelope["Message"] + "!"})
    # The Subject is part of the signed string (as AWS documents), not just carried alongside.
    [with_subject] = (envelope for envelope in delivered if "Subject" in envelope)
    assert not verifies(pem, {**with_subject, "Subject": "another subject"})


async def test_concurrent_first_deliveries_are_all_signed_with_the_served_certificate(
    fresh_served: DefaultAccountMoto,
) -> None:
    async with clients(fresh_served.url) as (sqs, sns):
        topic_arn, url, _ = await subscribed_queue(sqs, sns)
        await asyncio.gather(*(sns.publish(TopicArn=topic_arn, Message=f"m{index}") for index in range(6)))
        delivered = await envelopes(sqs, url, 6)

    served_pems = {
        cert_url: await served_certificate(fresh_served, cert_url)
        for cert_url in {envelope["SigningCertURL"] for envelope in delivered}
    }
    unverified = [
        envelope["Message"]
        for envelope in delivered
        if not verifies(served_pems[envelope["SigningCertURL"]][1], envelope)
    ]
    assert (len(served_pems), unverified) == (1, [])


async def test_the_signing_certificate_is_still_served_after_a_moto_reset(
    fresh_served: DefaultAccountMoto,
) -> None:
    cert_urls: list[str] = []
    for _ in range(2):
        async with clients(fresh_served.url) as (sqs, sns):
            topic_arn, url, _ = await subscribed_queue(sqs, sns)
            await sns.publish(TopicArn=topic_arn, Message="hello")
            [envelope] = await envelopes(sqs, url, 1)
        status, pem = await served_certificate(fresh_served, envelope["SigningCertURL"])
        assert status == 200, f"{status} for the certificate after {len(cert_urls)} reset(s)"
        assert verifies(pem, envelope)
        cert_urls.append(envelope["SigningCertURL"])
        async with aiohttp.ClientSession() as session, session.post(f"{fresh_served.url}/moto-api/reset"):
            pass


async def test_the_estates_moto_serves_its_signing_certificate(moto: MotoServer) -> None:
    async with clients(moto.url) as (sqs, sns):
        topic_arn, url, _ = await subscribed_queue(sqs, sns)
        await sns.publish(TopicArn=topic_arn, Message="hello")
        [envelope] = await envelopes(sqs, url, 1)
    match = CERT_URL.match(envelope["SigningCertURL"])
    assert match
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{moto.url}/{match.group(1)}", headers=SNS_SCOPED) as response,
    ):
        assert response.status == 200
        assert verifies(await response.read(), envelope)
