"""`python -m hmpps_sandbox.moto_main`: moto's server, with one race and two depth-bound costs removed.

- **The race.** moto serves requests on threads, and `Queue.delete_message` rebuilds the queue's message
  list without taking the lock `add_message` appends under, so a message published while another is
  being deleted can vanish. Under load (the benchmark, the chaos tests) that lost real events and looked
  like a service bug. Deleting under the same lock closes it.
- **Cost per message grows with queue depth.** moto checks each received message's retention period
  by building the queue's full attribute map (three passes counting visible, in-flight and delayed
  messages) three times over, and every visibility test builds two datetimes. A receive therefore cost
  O(depth) per message: about 24 ms of moto CPU per event at a backlog of 100, so moto, not the
  consumer under test, set every rate. Real SQS does not slow with depth; reading the retention period
  directly and the clock once per test gives the same answers at a cost that does not grow with depth.
- **A new X.509 certificate per SNS delivery.** moto builds and signs a fresh signing certificate for
  every message it delivers to a queue (about 1.5 ms of CPU each, beside the message signature
  itself). Real SNS signs every message with a long-lived certificate; the sandbox now does the same,
  one certificate per region, and still signs each message.

Every patch keeps what a client of moto can observe, except that the envelope is now signed as AWS
documents it (Subject included) and its UnsubscribeURL names the real region and subscription;
tests/integration/sandbox/test_moto_patches.py holds them to it.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.utils import iso_8601_datetime_with_milliseconds, utcnow
from moto.server import main
from moto.sns.models import Subscription, sns_backends
from moto.sqs.models import Message, Queue, SQSBackend

_unlocked_delete = Queue.delete_message


def _delete_message(self: Any, receipt_handle: str) -> None:
    with self._messages_lock:
        _unlocked_delete(self, receipt_handle)


def _now_millis() -> float:
    # The same epoch milliseconds moto's unix_time_millis() derives through two datetimes.
    return time.time() * 1000.0


def _visible(self: Message) -> bool:
    return _now_millis() > self.visible_at


def _delayed(self: Message) -> bool:
    return _now_millis() < self.delayed_until


def _within_retention_period(self: SQSBackend, queue_name: str, message: Message) -> bool:
    retention_seconds = int(self.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
    return retention_seconds + message.sent_timestamp / 1000 > time.time()  # type: ignore[operator]


class _Signer:
    """One RSA key and one certificate per region, made once (under a lock: moto serves on threads)."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.lock = threading.Lock()
        self.certificates: dict[str, tuple[str, bytes]] = {}  # region -> (file name, PEM)

    def certificate_url(self, account_id: str, region: str) -> str:
        with self.lock:
            if region not in self.certificates:
                name = f"SimpleNotificationService-{uuid.uuid4().hex}.pem"
                self.certificates[region] = (name, self._certificate())
            name, pem = self.certificates[region]
        # moto answers the URL from the backend of the requesting account (and its own default one);
        # a reset of the sandbox empties them, so register again whenever it is missing.
        for account in {account_id, DEFAULT_ACCOUNT_ID}:
            sns_backends[account][region]._message_public_keys.setdefault(name, pem)
        return f"https://sns.{region}.amazonaws.com/{name}"

    def _certificate(self) -> bytes:
        now = utcnow()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Amazon")]))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=365))
            .sign(self.key, hashes.SHA256())
        )
        return certificate.public_bytes(serialization.Encoding.PEM)


_signer: _Signer | None = None


def _notification(
    self: Subscription,
    message: str,
    message_id: str,
    subject: str | None,
    message_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The SNS envelope a queue subscriber receives, signed (SignatureVersion 2) as AWS documents."""
    region = self.topic.sns_backend.region_name
    timestamp = iso_8601_datetime_with_milliseconds()
    signed = [("Message", message), ("MessageId", message_id)]
    if subject:
        signed.append(("Subject", subject))
    signed += [("Timestamp", timestamp), ("TopicArn", self.topic.arn), ("Type", "Notification")]
    string_to_sign = "".join(f"{name}\n{value}\n" for name, value in signed)
    assert _signer is not None, "apply() makes the signer before moto serves"
    signature = _signer.key.sign(string_to_sign.encode(), padding.PKCS1v15(), hashes.SHA256())
    envelope: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": self.topic.arn,
        "Message": message,
        "Timestamp": timestamp,
        "SignatureVersion": "2",
        "Signature": base64.b64encode(signature).decode(),
        "SigningCertURL": _signer.certificate_url(self.account_id, region),
        "UnsubscribeURL": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={self.arn}",
    }
    if subject:
        envelope["Subject"] = subject
    if message_attributes:
        envelope["MessageAttributes"] = message_attributes
    return envelope


def apply() -> None:
    global _signer
    _signer = _Signer()
    Queue.delete_message = _delete_message  # type: ignore[method-assign]
    Message.visible = property(_visible)  # type: ignore[assignment, method-assign]
    Message.delayed = property(_delayed)  # type: ignore[assignment, method-assign]
    SQSBackend.is_message_valid_based_on_retention_period = _within_retention_period  # type: ignore[method-assign]
    Subscription.get_post_data = _notification  # type: ignore[method-assign]


if __name__ == "__main__":
    apply()
    main()
