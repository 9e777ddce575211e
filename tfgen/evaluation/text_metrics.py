"""Character n-gram statistics of generated text against real text.

The WGAN-GP language model (thesis §3.5.4) is judged by samples and by how closely the
character n-gram distribution of its samples matches real text: the Jensen-Shannon divergence
between the two empirical n-gram distributions, in **bits** (so in [0, 1]; 0 = identical, 1 =
disjoint supports), as the original code's ``js_with`` reports it for n = 1..4.
"""

from __future__ import annotations

import collections
import math
from typing import Iterable, Mapping


def ngram_counts(texts: Iterable[str], n: int) -> collections.Counter:
    """Counts of the character n-grams inside each string (none cross string boundaries)."""
    if n < 1:
        raise ValueError(f"n must be >= 1; found {n}")
    counts: collections.Counter = collections.Counter()
    for text in texts:
        counts.update(text[i:i + n] for i in range(len(text) - n + 1))
    return counts


def js_divergence(p_counts: Mapping[str, int], q_counts: Mapping[str, int]) -> float:
    """Jensen-Shannon divergence in bits between two count tables (normalized here), in [0, 1].

    ``JS = ½ KL(p || m) + ½ KL(q || m)`` with ``m = ½ (p + q)``; empty tables raise.
    """
    p_total, q_total = sum(p_counts.values()), sum(q_counts.values())
    if p_total <= 0 or q_total <= 0:
        raise ValueError("both count tables need at least one n-gram")
    js = 0.0
    for key in set(p_counts) | set(q_counts):
        p = p_counts.get(key, 0) / p_total
        q = q_counts.get(key, 0) / q_total
        m = 0.5 * (p + q)
        if p > 0:
            js += 0.5 * p * math.log2(p / m)
        if q > 0:
            js += 0.5 * q * math.log2(q / m)
    return min(max(js, 0.0), 1.0)


def ngram_js(generated: Iterable[str], reference: Iterable[str], n: int) -> float:
    """JS divergence (bits) of the character n-gram distributions of two sets of strings."""
    return js_divergence(ngram_counts(generated, n), ngram_counts(reference, n))


def word_validity(generated: Iterable[str], vocabulary: set[str]) -> float:
    """Fraction of the whitespace-separated words of ``generated`` found in ``vocabulary``.

    The last word of each string is skipped (a fixed-length sample may cut it), so only complete
    words count; 0 when there are none.
    """
    words = [w for text in generated for w in text.split()[:-1]]
    return sum(w in vocabulary for w in words) / len(words) if words else 0.0
