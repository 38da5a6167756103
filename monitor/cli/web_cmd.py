"""`stmon web`: serve the desk's web pages (events, feeds, alerts, rules playground)."""

from __future__ import annotations

import argparse

from pydantic import ValidationError

from monitor.app import open_database, web_server
from monitor.cli.common import add_db_option, config_of, option_problems
from monitor.cli.exits import EXIT_OK
from monitor.config.service import WEB_LISTEN_KEY, WebSettings
from monitor.errors import ConfigError
from monitor.log import setup_logging


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    web = sub.add_parser("web", help="serve the web pages for the desk (read-only but re-send)")
    web.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help="where to listen (default: service.web.listen, 127.0.0.1:8470); off loopback "
        "only with service.web.token",
    )
    add_db_option(web)
    web.set_defaults(func=cmd_web)


def web_settings(configured: WebSettings, listen: str | None) -> WebSettings:
    """The config's ``service.web`` with ``--listen`` applied, checked again (a
    non-loopback address needs ``service.web.token``)."""
    if listen is None:
        return configured
    try:
        return WebSettings.model_validate({**configured.model_dump(), "listen": listen})
    except ValidationError as exc:
        raise ConfigError(
            f"--listen {listen}: {option_problems(exc)}", hint="see `stmon web --help`"
        ) from None


def cmd_web(args: argparse.Namespace) -> int:
    config = config_of(args)
    setup_logging(config.logging.level, config.logging.format)
    settings = web_settings(config.service.web, args.listen)
    db = open_database(args.db or config.storage.url)
    try:
        source = "--listen" if args.listen else WEB_LISTEN_KEY
        web_server(db, lambda: config, settings, source).serve()
    finally:
        db.dispose()
    return EXIT_OK
