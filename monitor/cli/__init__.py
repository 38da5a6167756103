"""The `stmon` command line: one subcommand per task, each with --help.

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or config.

A command's module is imported only when that command runs (``COMMANDS`` says which
module registers which command), so `stmon poll --once` does not pay for the imports
of `stmon classify` or `stmon alerts`. Without a known command (``--help``, a typo) every
module is registered, and argparse lists or rejects as usual.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from monitor import __version__
from monitor.cli.exits import EXIT_CONFIG, EXIT_FAILURE
from monitor.errors import ConfigError, MonitorError

# command -> the module (in monitor.cli) whose ``register`` adds it; in --help order
COMMANDS = {
    "check": "basic",
    "version": "basic",
    "schema": "basic",
    "db": "basic",
    "run": "daemon",
    "poll": "daemon",
    "status": "daemon",
    "items": "items",
    "events": "events_cmd",
    "calendar": "calendar_cmd",
    "classify": "classify_cmd",
    "eval": "classify_cmd",
    "rules": "classify_cmd",
    "alerts": "alerts_cmd",
    "web": "web_cmd",
    "prune": "data_cmd",
    "export": "data_cmd",
    "backup": "data_cmd",
}
_VALUED = frozenset({"-c", "--config"})  # global options that take a value


def command_module(name: str) -> ModuleType:
    return importlib.import_module(f"monitor.cli.{name}")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command, or only those of ``command``'s module."""
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
    modules = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for module in modules:
        command_module(module).register(sub)
    return parser


def find_command(argv: Sequence[str]) -> str | None:
    """The command named in ``argv`` (the first word that is not a global option)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _VALUED:
            skip = True
        elif arg == "--" or not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    # The command's imports make objects that live as long as the process: the cyclic
    # garbage collector neither runs while they are made nor walks them afterwards
    # (a warm `stmon poll --once` of 500 feeds took a fifth less time).
    gc.disable()
    try:
        parser = build_parser(find_command(args_list))
    finally:
        gc.freeze()
        gc.enable()
    args = parser.parse_args(args_list)
    from monitor.cli.common import report_error
    from monitor.log import setup_logging

    # warnings of every command reach stderr whole (event and fields); the daemon's
    # commands set the config's logging up instead; a host that set logging up keeps it
    if not logging.getLogger().handlers:
        setup_logging("debug" if args.verbose else "warning")
    elif args.verbose:
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
