"""Small statistics shared by the ratings' report (`parley prefs stats`) and the training evals.

Kept free of imports from the rest of Parley, so both `assistant` and `rlhf` can use it.
"""

from __future__ import annotations

import math


def wilson(k: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion k/n (k may hold halves: a tie counts half).

    >>> [round(x, 3) for x in wilson(50, 100)]
    [0.404, 0.596]
    >>> [round(x, 3) for x in wilson(15, 20)]
    [0.531, 0.888]
    >>> wilson(0, 0)
    (0.0, 1.0)
    """
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))
