"""Types of the compiled MinHash module (_minhash.c)."""

NUM_PERM: int

def signature(hashes: list[int], a: bytes, b: bytes, /) -> bytes: ...
