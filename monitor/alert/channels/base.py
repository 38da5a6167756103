"""The Channel protocol every alert channel implements, and its receipt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from monitor.alert.message import AlertMessage


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """Proof of delivery: ``detail`` is exactly what the server answered."""

    detail: str


class Channel(Protocol):
    """Sends one alert; raises ``monitor.errors.DeliveryError`` when it could not.

    ``DeliveryError.permanent`` says whether a retry can help; ``retry_after``
    carries the server's requested delay in seconds, when it gave one.
    """

    name: str

    async def send(self, msg: AlertMessage) -> DeliveryReceipt: ...
