"""The webhook channel: an HTTP POST of the alert as JSON, optionally signed.

Headers sent with every request:

    Content-Type        application/json
    Idempotency-Key     the alert's idempotency key (the same on every retry)
    X-Stmon-Timestamp   Unix seconds when the request was signed (only with a secret)
    X-Stmon-Signature   ``sha256=<hex>``: HMAC-SHA256 with the shared secret over
                        ``f"{timestamp}.{body}"`` (only with a secret)

Receivers check both with :func:`verify_signature`, which also rejects stale
timestamps so a captured request cannot be replayed later (docs/webhooks.md).
A 2xx answer means sent; 429 and 5xx are retried (honouring Retry-After); other
answers are permanent failures.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import ssl
from collections.abc import Callable
from datetime import datetime
from functools import cache

import httpx

from monitor import __version__
from monitor.alert.channels.base import DeliveryReceipt
from monitor.alert.message import AlertMessage
from monitor.alert.render import webhook_body
from monitor.clock import utcnow
from monitor.config.channels import WebhookChannel
from monitor.errors import DeliveryError
from monitor.retry import retry_after_seconds

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Stmon-Signature"
TIMESTAMP_HEADER = "X-Stmon-Timestamp"
DEFAULT_TOLERANCE = 300  # seconds a signed request stays acceptable
_ANSWER_MAX = 300


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``f"{timestamp}.{body}"`` with ``secret``."""
    digest = hmac.new(_key(secret), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_signature(
    secret: str | bytes,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: datetime | float,
    tolerance: float = DEFAULT_TOLERANCE,
) -> bool:
    """True if ``signature`` is stmon's signature of ``body`` at a fresh ``timestamp``.

    ``timestamp`` and ``signature`` are the X-Stmon-Timestamp and X-Stmon-Signature
    headers, ``body`` the raw request body (before any JSON parsing), ``now`` the
    receiver's clock (datetime or Unix seconds). A timestamp more than
    ``tolerance`` seconds away from ``now`` is rejected, which stops replays.
    """
    stamp = timestamp.strip()
    if not (stamp.isascii() and stamp.isdigit()):
        return False
    sent = int(stamp)
    current = now.timestamp() if isinstance(now, datetime) else float(now)
    if abs(current - sent) > tolerance:
        return False
    expected = sign(secret, stamp, body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


@cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for all one-off clients: building it costs ~50 ms."""
    return httpx.create_ssl_context()


def _answer(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    if len(text) > _ANSWER_MAX:
        text = text[: _ANSWER_MAX - 1] + "…"
    head = f"{response.status_code} {response.reason_phrase}".strip()
    return f"{head}: {text}" if text else head


class WebhookSender:
    """POSTs alerts to one URL; uses the shared ``client`` if one is given."""

    def __init__(
        self,
        name: str,
        config: WebhookChannel,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self._client = client
        self._clock = clock or utcnow

    def request(self, msg: AlertMessage) -> tuple[bytes, dict[str, str]]:
        """The body and headers for ``msg``, signed when the channel has a secret."""
        body = json.dumps(webhook_body(msg, self.config), ensure_ascii=False).encode("utf-8")
        headers = {
            **self.config.headers,
            "Content-Type": "application/json",
            "User-Agent": f"stmon/{__version__}",
            "Idempotency-Key": msg.idempotency_key,
        }
        if self.config.secret is not None:
            stamp = str(int(self._clock().timestamp()))
            headers[TIMESTAMP_HEADER] = stamp
            headers[SIGNATURE_HEADER] = sign(self.config.secret.get_secret_value(), stamp, body)
        return body, headers

    async def send(self, msg: AlertMessage) -> DeliveryReceipt:
        body, headers = self.request(msg)
        try:
            response = await self._post(body, headers)
        except httpx.TimeoutException as exc:
            raise self._fail(msg, DeliveryError(f"webhook timed out: {exc!r}")) from exc
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise self._fail(msg, DeliveryError(f"webhook unreachable: {reason}")) from exc
        if response.is_success:
            return DeliveryReceipt(detail=_answer(response))
        raise self._fail(msg, self._status_error(response))

    async def _post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        timeout = self.config.timeout.total_seconds()
        if self._client is not None:
            return await self._client.post(
                self.config.url, content=body, headers=headers, timeout=timeout
            )
        async with httpx.AsyncClient(timeout=timeout, verify=_tls_context()) as client:
            return await client.post(self.config.url, content=body, headers=headers)

    def _status_error(self, response: httpx.Response) -> DeliveryError:
        status = response.status_code
        answer = f"webhook answered {_answer(response)}"
        if status == 429 or status >= 500:
            wait = retry_after_seconds(response.headers.get("Retry-After"), now=self._clock())
            return DeliveryError(answer, retry_after=wait, permanent=False)
        return DeliveryError(answer, permanent=True)

    def _fail(self, msg: AlertMessage, error: DeliveryError) -> DeliveryError:
        log.warning(
            "webhook_failed channel=%s alert=%s permanent=%s retry_after=%s reason=%s",
            self.name,
            msg.alert_id,
            error.permanent,
            error.retry_after,
            error.message,
        )
        return error
