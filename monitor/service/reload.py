"""Live reload: on SIGHUP, or when the config or a rules file changes on disk.

The new config is loaded and every watch's rules compiled *before* anything changes;
if any of that fails (with whatever exception: an alias bomb, a file that vanished),
the daemon keeps running on the last good config and the error (``file:line: key:
reason``) is logged and reported (``stmon status``, /healthz, sd_notify STATUS). If it
all compiles, ``apply`` swaps it in: the running service adds and removes scheduler
jobs, retimes feeds, and replaces rules and channels; polls already in flight finish
with what they started with.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import watchfiles

from monitor.config.load import load_config
from monitor.config.schema import Config
from monitor.errors import ConfigError
from monitor.log import log_event

log = logging.getLogger(__name__)


class ConfigReloader:
    def __init__(
        self,
        path: Path,
        config: Config,
        *,
        prepare: Callable[[Config], object],
        apply: Callable[[Config, object], None],
        report: Callable[[str | None], None],
    ) -> None:
        """``prepare`` compiles what a config needs (raises ConfigError); ``apply`` swaps
        it in; ``report`` gets the error text after a failed reload, None after a good one."""
        self.path = path.resolve()
        self.config = config
        self.prepare = prepare
        self.apply = apply
        self.report = report
        self.error: str | None = None

    def watched_files(self) -> set[Path]:
        return {self.path, *(w.rules.resolve() for w in self.config.watches)}

    def reload(self, reason: str) -> bool:
        """Validate and swap in the config on disk; False (and nothing changed) if invalid."""
        log_event(log, logging.INFO, "config_reloading", reason=reason, path=str(self.path))
        try:
            config = load_config(self.path)
            prepared = self.prepare(config)
        except ConfigError as exc:
            return self._rejected(str(exc))
        except Exception as exc:  # whatever the files hold, the daemon keeps its config
            log.exception("config_reload_crashed path=%s", self.path)
            return self._rejected(f"{self.path}: cannot load: {type(exc).__name__}: {exc}")
        try:
            self.apply(config, prepared)
        except Exception as exc:  # e.g. the store did not answer while feeds were synced
            log.exception("config_apply_failed path=%s", self.path)
            return self._rejected(
                f"{self.path}: checked, but applying it failed part-way: "
                f"{type(exc).__name__}: {exc} (save the file or send SIGHUP to try again)"
            )
        self.config, self.error = config, None
        self._report(None)
        log_event(
            log,
            logging.INFO,
            "config_reloaded",
            feeds=len(config.feeds),
            watches=len(config.watches),
            channels=len(config.channels),
        )
        return True

    def _rejected(self, error: str) -> bool:
        self.error = error
        log_event(
            log,
            logging.ERROR,
            "config_rejected",
            error=error,
            hint="still running on the last good config",
        )
        self._report(error)
        return False

    def _report(self, error: str | None) -> None:
        try:
            self.report(error)
        except Exception as exc:  # the log above says it; status catches up at the next reload
            log_event(log, logging.WARNING, "config_report_failed", error=str(exc))

    async def watch(self, stop: asyncio.Event, debounce_ms: int = 300) -> None:
        """Reload whenever a watched file changes (editors that replace files are fine)."""
        while not stop.is_set():
            folders = {p.parent for p in self.watched_files()}
            async for changes in watchfiles.awatch(
                *folders,
                stop_event=stop,
                debounce=debounce_ms,
                recursive=False,
                watch_filter=self._relevant,
            ):
                names = sorted({str(Path(p)) for _change, p in changes})
                before = self.watched_files()
                self.reload("file changed: " + ", ".join(names))
                if self.watched_files() != before:
                    break  # the set of rules files changed: watch the new folders

    def _relevant(self, _change: watchfiles.Change, path: str) -> bool:
        return Path(path).resolve() in self.watched_files()
