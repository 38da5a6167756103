"""Small rules files for classifier tests, written as YAML text."""

from __future__ import annotations

HEADER = """
topic:
  sides:
    korea: [$korea]
    japan: [$japan]
lists:
  korea: [South Korea, Seoul, 한국, 韓国]
  japan: [Japan, Tokyo, 일본, 日本]
  kr: [Lee Jae-myung, 이재명, 李在明]
  jp: [Ishiba, 이시바, 石破]
"""


def rules_text(types: str, extra: str = "") -> str:
    """A rules file with the shared gate/lists and the given ``types:`` body."""
    return HEADER + extra + "types:\n" + types
