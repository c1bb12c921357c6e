"""Drawing long series small: max-pooled downsampling (peaks are never drawn lower) and sparklines."""

from __future__ import annotations

import numpy as np

from vmplan.model import FloatArray

BLOCKS = "▁▂▃▄▅▆▇█"


def max_pool(values: FloatArray, width: int) -> FloatArray:
    """Downsample the last axis to at most ``width`` points, each the maximum of its bucket.

    Buckets are contiguous and cover every sample, so the drawn peak equals the true peak.
    """
    n = values.shape[-1]
    if n <= width:
        return values.astype(np.float64, copy=False)
    edges = np.linspace(0, n, width + 1).round().astype(np.int64)
    return np.maximum.reduceat(values, edges[:-1], axis=-1).astype(np.float64, copy=False)


def sparkline(values: FloatArray, width: int = 24, top: float = 1.0) -> str:
    """Unicode block sparkline of ``values`` scaled so that ``top`` is a full block."""
    if values.size == 0:
        return ""
    pooled = max_pool(values, width)
    scaled = np.clip(pooled / top if top > 0 else pooled * 0, 0, 1)
    idx = np.minimum((scaled * len(BLOCKS)).astype(np.int64), len(BLOCKS) - 1)
    return "".join(BLOCKS[i] for i in idx)
