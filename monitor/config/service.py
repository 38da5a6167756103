"""The ``service:`` section of monitor.yaml: metrics endpoint, health thresholds, source health.

```yaml
service:
  metrics:
    enabled: true            # serve /metrics and /healthz
    listen: 127.0.0.1:9464   # host:port ([::1]:9464 for IPv6); keep it on loopback
  web:
    enabled: true            # serve the desk's web pages from `stmon run` too
    listen: 127.0.0.1:8470   # elsewhere than loopback only with a token
    token: ${STMON_WEB_TOKEN}  # required off loopback: a bearer token or the login form
  healthz:
    no_success_for: 1h       # unhealthy when no feed has succeeded for this long
    outbox_stuck_after: 15m  # unhealthy when a due alert has waited this long
    include_sources: false   # also unhealthy when a feed is failing or quiet
  source_health:
    quiet_factor: 8          # quiet = silent longer than quiet_factor × the usual gap…
    quiet_floor: 2h          # …and never less than this
    alert_channels: [ops]    # send source_health alerts to these channels
```
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor.config.types import Duration, Token


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def split_listen(value: str, example: str = "127.0.0.1:9464") -> tuple[str, int]:
    """``"127.0.0.1:9464"`` → ``("127.0.0.1", 9464)``; ``"[::1]:9464"`` → ``("::1", 9464)``.
    ``example``: the address the error suggests (the setting's default)."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"invalid listen address '{value}' (use host:port, e.g. {example})")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


class MetricsSettings(_Strict):
    # Serve /metrics (Prometheus) and /healthz over HTTP. Off unless asked for.
    enabled: bool = False
    # host:port to listen on; loopback by default (the endpoint has no authentication).
    listen: str = "127.0.0.1:9464"

    @field_validator("listen")
    @classmethod
    def _valid_listen(cls, value: str) -> str:
        split_listen(value)
        return value

    @property
    def address(self) -> tuple[str, int]:
        return split_listen(self.listen)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and the loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


WEB_LISTEN = "127.0.0.1:8470"
WEB_LISTEN_KEY = "service.web.listen"  # where the config gives it (errors name it)


class WebSettings(_Strict):
    # Serve the desk's web pages (events, feeds, alerts, rules playground) from `stmon run`.
    enabled: bool = False
    # host:port to listen on; off loopback only with a token.
    listen: str = WEB_LISTEN
    # The token a browser or client must present (bearer header, or the login form's
    # cookie). Required when listen is not a loopback address; at least 16 characters.
    token: Token | None = None

    @field_validator("listen")
    @classmethod
    def _valid_listen(cls, value: str) -> str:
        split_listen(value, example=WEB_LISTEN)
        return value

    @model_validator(mode="after")
    def _token_off_loopback(self) -> WebSettings:
        host, _ = self.address
        if self.token is None and not is_loopback(host):
            raise ValueError(
                f"listen {self.listen} is not a loopback address: set service.web.token "
                "(e.g. token: ${STMON_WEB_TOKEN}) or listen on 127.0.0.1"
            )
        return self

    @property
    def address(self) -> tuple[str, int]:
        return split_listen(self.listen)


class HealthzSettings(_Strict):
    # /healthz fails when no feed has been fetched successfully for this long.
    no_success_for: Duration = timedelta(hours=1)
    # /healthz fails when an alert due for delivery has waited longer than this.
    outbox_stuck_after: Duration = timedelta(minutes=15)
    # Also fail /healthz while any feed is failing or has gone quiet (see source_health).
    include_sources: bool = False


class SourceHealthSettings(_Strict):
    # A feed is quiet when silent for longer than quiet_factor × its usual gap between items…
    quiet_factor: float = Field(default=8.0, ge=1.0, le=1000.0)
    # …but never before it has been silent this long.
    quiet_floor: Duration = timedelta(hours=2)
    # The rhythm is learned from this many of a feed's most recent items…
    history: int = Field(default=30, ge=3, le=1000)
    # …and only once it has at least this many (until then the feed is "learning").
    min_items: int = Field(default=5, ge=3, le=1000)
    # Channels that get a source_health alert when a feed starts failing or goes quiet.
    alert_channels: tuple[str, ...] = ()


class ServiceSettings(_Strict):
    metrics: MetricsSettings = MetricsSettings()
    web: WebSettings = WebSettings()
    healthz: HealthzSettings = HealthzSettings()
    source_health: SourceHealthSettings = SourceHealthSettings()
