"""Pseudonyms for households (``松园-0427``): safe to show on maps and screens,
meaningless outside gridmap. The demo, imports and the store (a household registered
from a case) all take theirs from here."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

ALIAS_WORDS = list("松柏竹梅兰菊荷桂杉桐槐柳枫榆樟桃李杏梨枣橙橘柚")
ALIAS_WORDS2 = list("园苑庭轩阁舍居坊巷里")


def aliases(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` unique pseudonyms like ``松园-0427``."""
    words = np.char.add(np.array(ALIAS_WORDS)[rng.integers(0, len(ALIAS_WORDS), n)],
                        np.array(ALIAS_WORDS2)[rng.integers(0, len(ALIAS_WORDS2), n)])
    numbers = rng.permutation(max(n, 10_000))[:n] if n <= 10_000 else np.arange(n)
    width = max(4, len(str(n)))
    return (pd.Series(words) + "-" + pd.Series(numbers).astype(str).str.zfill(width)
            ).to_numpy(dtype=object)


def new_aliases(taken: Iterable[str], n: int,
                rng: np.random.Generator | None = None) -> list[str]:
    """``n`` pseudonyms none of which is in ``taken`` nor repeated."""
    used = set(taken)
    rng = rng or np.random.default_rng()
    out: list[str] = []
    while len(out) < n:
        out += [a for a in aliases(rng, 2 * (n - len(out)) + 10) if a not in used
                and a not in out]
    return out[:n]
