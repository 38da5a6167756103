"""YAML aliases cannot make a config or rules file expand without bound."""

from __future__ import annotations

import pytest

from monitor.config.yamlload import MAX_DEPTH, MAX_VALUES, parse_yaml
from monitor.errors import ConfigError


def laughs(levels: int) -> str:
    """Each level repeats the previous one nine times: 9 ** levels values in all."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_aliases_that_expand_past_the_bound_are_refused() -> None:
    assert 9**7 > MAX_VALUES
    with pytest.raises(ConfigError) as caught:
        parse_yaml(laughs(7), "bomb.yaml")
    assert caught.value.file == "bomb.yaml"
    assert caught.value.line is not None
    assert "expands to more than" in str(caught.value)


def test_aliases_within_the_bound_are_expanded() -> None:
    doc = parse_yaml(laughs(4), "ok.yaml")
    assert len(doc.data["l3"]) == 9
    assert doc.data["l3"][8][8][8] == ["lol"] * 9


def test_an_alias_inside_its_own_anchor_is_an_error_not_a_crash() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml("feeds: &x\n  - name: a\n  - *x\n", "loop.yaml")
    assert "refers to a node that contains it" in str(caught.value)
    assert caught.value.line == 1


def test_nesting_past_the_depth_bound_is_refused() -> None:
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    with pytest.raises(ConfigError, match="nested more than"):
        parse_yaml(f"x: {deep}\n", "deep.yaml")
    shallow = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert parse_yaml(f"x: {shallow}\n", "ok.yaml").data["x"] is not None
