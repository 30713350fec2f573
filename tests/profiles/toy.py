"""Toy data with a known answer for the profile tests: two well-separated groups."""

from __future__ import annotations

import numpy as np
import pandas as pd


def toy(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Two well-separated groups on three categorical indicators and one continuous one."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n)
    flip = lambda p: np.where(rng.random(n) < p, "yes", "no")  # noqa: E731
    frame = pd.DataFrame(
        {
            "a": np.where(group == 1, flip(0.9), flip(0.1)),
            "b": np.where(group == 1, flip(0.85), flip(0.1)),
            "c": np.where(group == 1, flip(0.2), flip(0.8)),
            "x": rng.normal(group * 3.0, 1.0),
        }
    )
    return frame, group
