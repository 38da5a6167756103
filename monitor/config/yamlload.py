"""YAML with line marks: every value remembers the line it came from.

``load_yaml(path)`` returns a :class:`Document`: plain Python data (dicts, lists,
scalars) plus a map from key path to line number, so any later validation error
can be reported as ``file:line: key.path: reason``. ``${VAR}`` references in
string values are replaced from the environment (``${VAR:-default}`` gives a
default); a missing variable is a :class:`ConfigError` naming it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from monitor.errors import ConfigError, ConfigErrors

KeyPath = tuple[str | int, ...]

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

# Aliases (*name) repeat a node wherever they appear, so a few lines can stand for an
# exponential number of values (a "billion laughs"), and an alias inside its own anchor
# for an endless one. A document is refused past these bounds, far above what a config
# or rules file needs (the shipped rules file expands to about 3,000 values).
MAX_VALUES = 200_000
MAX_DEPTH = 50


def format_path(path: Sequence[str | int]) -> str:
    """Render ``("feeds", 2, "interval")`` as ``feeds[2].interval``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class Document:
    """Parsed YAML data and the line of every key path in it."""

    file: str
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), None)

    def error(self, path: Sequence[str | int], reason: str, hint: str | None = None) -> ConfigError:
        return ConfigError(
            reason,
            file=self.file,
            line=self.line_of(path),
            key=format_path(path) or None,
            hint=hint,
        )


class _Builder:
    def __init__(self, file: str, env: Mapping[str, str]) -> None:
        self.file = file
        self.env = env
        self.lines: dict[KeyPath, int] = {}
        self.errors: list[ConfigError] = []
        self._loader = yaml.SafeLoader("")
        self._values = 0
        self._open: list[yaml.Node] = []  # the collections being built, outermost first

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.lines[path] = node.start_mark.line + 1
        self._values += 1
        if self._values > MAX_VALUES:
            raise self._refuse(
                node,
                path,
                f"the document expands to more than {MAX_VALUES:,} "
                "values (aliases repeating aliases?)",
            )
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            if any(node is open_node for open_node in self._open):
                raise self._refuse(node, path, "an alias refers to a node that contains it")
            if len(self._open) >= MAX_DEPTH:
                raise self._refuse(node, path, f"nested more than {MAX_DEPTH} levels deep")
            self._open.append(node)
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node, path)
                return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
            finally:
                self._open.pop()
        assert isinstance(node, yaml.ScalarNode)
        scalar = self._loader.construct_object(node)
        if isinstance(scalar, str):
            scalar = self._substitute(scalar, path, node.start_mark.line + 1)
        return scalar

    def _refuse(self, node: yaml.Node, path: KeyPath, reason: str) -> ConfigError:
        line = node.start_mark.line + 1
        return ConfigError(reason, file=self.file, line=line, key=format_path(path) or None)

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.errors.append(
                    ConfigError(
                        "YAML merge keys (<<) are not supported",
                        file=self.file,
                        line=key_node.start_mark.line + 1,
                        key=format_path(path) or None,
                    )
                )
                continue
            key = str(self._loader.construct_object(key_node))
            child = (*path, key)
            if key in out:
                self.errors.append(
                    ConfigError(
                        f"duplicate key '{key}'",
                        file=self.file,
                        line=key_node.start_mark.line + 1,
                        key=format_path(child),
                    )
                )
            out[key] = self.build(value_node, child)
            self.lines[child] = key_node.start_mark.line + 1
        return out

    def _substitute(self, text: str, path: KeyPath, line: int) -> str:
        if "${" not in text:  # (most values: no reference to look for)
            return text

        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in self.env:
                return self.env[name]
            if default is not None:
                return default
            self.errors.append(
                ConfigError(
                    f"environment variable '{name}' is not set",
                    file=self.file,
                    line=line,
                    key=format_path(path) or None,
                    hint=f"export {name}=… (under systemd: put it in the EnvironmentFile)",
                )
            )
            return ""

        return _ENV_REF.sub(replace, text)


# libyaml's parser when PyYAML was built with it (the wheels are): the same nodes and
# marks, several times faster on a large rules file.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, file: str, env: Mapping[str, str] | None = None) -> Document:
    """Parse YAML text into a :class:`Document`; syntax errors name the line."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = (
            "YAML syntax error: " + " ".join(p for p in (exc.context, exc.problem) if p).strip()
        )
        raise ConfigError(reason, file=file, line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", file=file) from None
    if node is None:
        return Document(file=file, data={}, lines={(): 1})
    builder = _Builder(file, os.environ if env is None else env)
    data = builder.build(node, ())
    if builder.errors:
        raise ConfigErrors(builder.errors)
    return Document(file=file, data=data, lines=builder.lines)


def load_yaml(path: str | Path, env: Mapping[str, str] | None = None) -> Document:
    """Read and parse a YAML file; an unreadable file is a ConfigError naming it."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", file=name, hint="check the file's path") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason})", file=name) from None
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror}", file=name) from None
    return parse_yaml(text, name, env)


def validation_errors(doc: Document, exc: Any) -> ConfigErrors:
    """Turn a pydantic ValidationError into ConfigErrors with file:line per problem.

    A value that may take one of several forms (a union: a string or a mapping, say) gets
    an error from each form it failed; those of a form of another kind than the value
    written (a string expected where a mapping was given) are left out when an error of
    a form of the value's own kind says what is wrong."""
    found: list[tuple[list[str | int], str, tuple[str | int, ...] | None]] = []
    unions: set[tuple[str | int, ...]] = set()  # where an error of a fitting form was
    for err in exc.errors(include_url=False):
        path, other, seen = _data_path(doc.data, err["loc"])
        reason = _reason(err)
        located = (err.get("ctx") or {}).get("error")
        if located is not None and hasattr(located, "path"):
            # a model validator that knows which key its error belongs to
            path = [*path, *located.path]
            reason = str(located)
        found.append((path, reason, other))
        if other is None:
            unions |= seen
    errors = [doc.error(path, reason) for path, reason, other in found if other not in unions]
    return ConfigErrors(errors)


# the tags pydantic gives the plain-type members of a union, and the YAML values they take
_PLAIN_TAGS: dict[str, type | tuple[type, ...]] = {
    "str": str, "int": int, "float": (int, float), "bool": bool, "list": list,
    "tuple": list, "dict": dict, "none": type(None),
}  # fmt: skip


def _data_path(
    data: Any, loc: Sequence[Any]
) -> tuple[list[str | int], tuple[str | int, ...] | None, set[tuple[str | int, ...]]]:
    """The key path of a pydantic error location in the data, without the tags pydantic
    adds for unions (``function-after[...]``, a model's name, ``str``, a discriminator
    value such as ``webhook``); where the error is that of a union member of a plain type
    the value written is not of (else None); and where it passed union tags."""
    path: list[str | int] = []
    node = data
    other: tuple[str | int, ...] | None = None
    seen: set[tuple[str | int, ...]] = set()
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif _is_union_tag(node, part):
            seen.add(tuple(path))
            kind = _PLAIN_TAGS.get(part, dict if str(part)[:1].isupper() else object)
            if other is None and not isinstance(node, kind):  # (a model takes a mapping)
                other = tuple(path)
            continue  # a union tag or discriminator value, not a key of the document
        else:
            node = None  # a key the document lacks (a missing required key)
        path.append(part)
    return path, other, seen


def _is_union_tag(node: Any, part: Any) -> bool:
    if not isinstance(part, str | int):
        return True
    if isinstance(part, str) and (
        "[" in part
        or (isinstance(node, dict) and node.get("type") == part)
        or part in _PLAIN_TAGS
        or part[:1].isupper()  # a model's name (the document's keys are lower-case)
    ):
        return True
    return isinstance(node, list)


def _reason(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "model_type":  # "a valid dictionary or instance of NoneNear": no class names
        return "Input should be a mapping (key: value)"
    msg = str(err.get("msg", "invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return msg
