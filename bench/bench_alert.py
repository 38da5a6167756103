"""Alert rendering cost and channel delivery latency over loopback.

    .venv/bin/python bench/bench_alert.py [--runs 100]

Figures: time to render one email (subject, text, HTML) and one signed webhook
request, then p50/p95 of one full ``send()`` to a real HTTP receiver and to a real
aiosmtpd server on 127.0.0.1 (a new connection per alert, as in production).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

# the test suite's real servers (tests/support) are this benchmark's receivers
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from monitor.alert.channels import EmailSender, WebhookSender
from monitor.alert.render import render_email
from monitor.config.channels import EmailChannel, WebhookChannel
from tests.support.alerts import make_message
from tests.support.smtp import SMTPServer
from tests.support.webhook import WebhookReceiver


def per_call(fn: Callable[[], object], runs: int) -> float:
    start = time.perf_counter()
    for _ in range(runs):
        fn()
    return (time.perf_counter() - start) / runs


def quantiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


async def latencies(send: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        await send()
        out.append(time.perf_counter() - start)
    return out


def report(label: str, samples: list[float]) -> None:
    p50, p95 = quantiles(samples)
    print(f"{label:<34} p50 {p50 * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms")


async def deliver(runs: int, hook: WebhookReceiver, smtp: SMTPServer) -> None:
    msg = make_message()
    webhook = WebhookChannel(type="webhook", url=hook.url, secret="s" * 32)
    report(
        "webhook send (new client each)",
        await latencies(lambda: WebhookSender("b", webhook).send(msg), runs),
    )
    async with httpx.AsyncClient() as client:
        shared = WebhookSender("b", webhook, client=client)
        report("webhook send (shared client)", await latencies(lambda: shared.send(msg), runs))
    mail = EmailChannel.model_validate(
        {
            "type": "email",
            "host": "127.0.0.1",
            "port": smtp.port,
            "security": "none",
            "from": "stmon@example.org",
            "to": ["ops@example.org"],
        }
    )
    sender = EmailSender("b", mail)
    report("email send (plain SMTP)", await latencies(lambda: sender.send(msg), runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    msg = make_message()
    channel = EmailChannel.model_validate(
        {"type": "email", "host": "h", "from": "a@b.org", "to": ["c@d.org"]}
    )
    hook = WebhookChannel(type="webhook", url="http://h/x", secret="s" * 32)
    render_email(msg, channel)  # warm the template cache
    render_us = per_call(lambda: render_email(msg, channel), 1000) * 1e6
    print(f"{'render_email':<34} {render_us:8.1f} us")
    signer = WebhookSender("b", hook)
    sign_us = per_call(lambda: signer.request(msg), 1000) * 1e6
    print(f"{'webhook body + signature':<34} {sign_us:8.1f} us")
    with WebhookReceiver() as receiver, SMTPServer() as smtp:
        asyncio.run(deliver(args.runs, receiver, smtp))


if __name__ == "__main__":
    main()
