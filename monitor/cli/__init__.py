"""The `stmon` command line: one subcommand per task, each with --help.

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or config.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from monitor import __version__
from monitor.cli import alerts_cmd, basic, classify_cmd, daemon, data_cmd, events_cmd, items
from monitor.cli.common import EXIT_CONFIG, EXIT_FAILURE, report_error
from monitor.errors import ConfigError, MonitorError

COMMAND_MODULES = [basic, daemon, items, events_cmd, classify_cmd, alerts_cmd, data_cmd]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stmon",
        description="Monitor news feeds for new events in Seoul–Tokyo relations.",
        epilog="Run `stmon COMMAND --help` for the options of a command.",
    )
    parser.add_argument(
        "-c",
        "--config",
        metavar="PATH",
        help="config file (default: $STMON_CONFIG, else config/monitor.yaml)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"stmon {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verbose:
        logging.getLogger().setLevel(logging.DEBUG)
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        report_error(exc)
        return EXIT_CONFIG
    except MonitorError as exc:
        report_error(exc)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_FAILURE
    return code
