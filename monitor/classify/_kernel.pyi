"""Types of the compiled kernel (_kernel.c)."""

from collections.abc import Callable, Sequence

from monitor.model import Classification, Evidence, Label

Within = tuple[int, int]
Filter = tuple[int, int]

class Kernel:
    states: tuple[int, int]
    def __init__(
        self,
        forms: Sequence[tuple[int, int, int, tuple[int, ...], tuple[int, ...]]],
        ascii_words: Sequence[tuple[str, int]],
        wide_words: Sequence[tuple[str, int]],
        term_groups: Sequence[Sequence[int]],
        n_groups: int,
        topic: tuple[tuple[int, ...], int, Within | None, tuple[Filter, ...]],
        tense: tuple[int, int, Within] | None,
        clues: Sequence[tuple[int, int, tuple[int, ...], float, int, int, Within, int]],
        types: Sequence[tuple[tuple[int, ...], tuple[Filter, ...], int, tuple[int, ...]]],
        title_weight: float,
        output: tuple[
            type[Classification],
            type[Label],
            type[Evidence],
            tuple[str, ...],
            tuple[str, ...],
            tuple[str, ...],
            tuple[float, ...],
            tuple[tuple[str, ...], ...],
            int,
        ],
        /,
    ) -> None: ...
    def classify(
        self, title: str, text: str, regex: Callable[[int, str, int], list[tuple[int, str]]], /
    ) -> Classification: ...

def clean(text: str, /) -> str: ...
def nfkc(text: str, /) -> str | None: ...
def set_tables(flags: bytes, mapped: dict[int, str], lower: bytes, /) -> None: ...
def prepare(text: str, /) -> str: ...
