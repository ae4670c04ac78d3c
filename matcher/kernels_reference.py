"""Plain-Python twins of the Numba kernels in `matcher.kernels`, written for clarity, not speed.

Each function here is the definition its kernel must reproduce on one pair of strings; the tests
compare the two on seeded random inputs. Strings are compared codepoint by codepoint, as given:
callers normalise (case, accents, spacing) first.
"""

from __future__ import annotations

__all__ = [
    "TOKEN_SEPARATORS",
    "WINKLER_MAX_PREFIX",
    "WINKLER_PREFIX_WEIGHT",
    "WINKLER_THRESHOLD",
    "damerau_levenshtein",
    "damerau_levenshtein_similarity",
    "jaro",
    "jaro_winkler",
    "token_set_similarity",
    "tokens",
]

WINKLER_PREFIX_WEIGHT = 0.1
WINKLER_MAX_PREFIX = 4
# Winkler's boost applies only to pairs already similar under Jaro (as in rapidfuzz and jellyfish).
WINKLER_THRESHOLD = 0.7
# Space, tab, line feed, carriage return, no-break space and hyphen-minus: "Fatima-Zahra" and
# "Fatima Zahra" have the same tokens.
TOKEN_SEPARATORS = frozenset(" \t\n\r\u00a0-")


def jaro(a: str, b: str) -> float:
    """Jaro similarity in [0, 1]; 1.0 for two empty strings, 0.0 when only one is empty.

    Characters match when equal and at most ``max(len(a), len(b)) // 2 - 1`` positions apart
    (never less than 0); each character of ``a`` takes the first unmatched equal character of
    ``b`` in its window. Transpositions are half the matched characters out of order, rounded down.
    """
    la, lb = len(a), len(b)
    if la == 0 and lb == 0:
        return 1.0
    if la == 0 or lb == 0:
        return 0.0
    window = max(max(la, lb) // 2 - 1, 0)
    matched_a = [False] * la
    matched_b = [False] * lb
    m = 0
    for i, ch in enumerate(a):
        for j in range(max(0, i - window), min(lb, i + window + 1)):
            if not matched_b[j] and b[j] == ch:
                matched_a[i] = matched_b[j] = True
                m += 1
                break
    if m == 0:
        return 0.0
    in_order_a = [ch for ch, hit in zip(a, matched_a, strict=True) if hit]
    in_order_b = [ch for ch, hit in zip(b, matched_b, strict=True) if hit]
    t = sum(x != y for x, y in zip(in_order_a, in_order_b, strict=True)) // 2
    return (m / la + m / lb + (m - t) / m) / 3.0


def jaro_winkler(a: str, b: str) -> float:
    """Jaro-Winkler similarity: Jaro raised by 0.1 per shared leading character (at most 4)
    when Jaro exceeds 0.7. Agrees with ``rapidfuzz.distance.JaroWinkler.normalized_similarity``."""
    sim = jaro(a, b)
    if sim > WINKLER_THRESHOLD:
        prefix = 0
        for x, y in zip(a[:WINKLER_MAX_PREFIX], b[:WINKLER_MAX_PREFIX], strict=False):
            if x != y:
                break
            prefix += 1
        sim += prefix * WINKLER_PREFIX_WEIGHT * (1.0 - sim)
    return sim


def damerau_levenshtein(a: str, b: str) -> int:
    """True (unrestricted) Damerau-Levenshtein distance: the fewest insertions, deletions,
    substitutions and transpositions of adjacent characters turning ``a`` into ``b``, where
    characters may be edited again after a transposition ("ca" → "abc" costs 2, not 3 as under
    optimal string alignment). Lowrance and Wagner's algorithm over the full matrix.
    """
    la, lb = len(a), len(b)
    infinity = la + lb
    d = [[0] * (lb + 2) for _ in range(la + 2)]
    d[0][0] = infinity
    for i in range(la + 1):
        d[i + 1][0] = infinity
        d[i + 1][1] = i
    for j in range(lb + 1):
        d[0][j + 1] = infinity
        d[1][j + 1] = j
    last_row: dict[str, int] = {}
    for i in range(1, la + 1):
        last_col = 0
        for j in range(1, lb + 1):
            k = last_row.get(b[j - 1], 0)
            col = last_col
            if a[i - 1] == b[j - 1]:
                cost = 0
                last_col = j
            else:
                cost = 1
            d[i + 1][j + 1] = min(
                d[i][j] + cost,
                d[i + 1][j] + 1,
                d[i][j + 1] + 1,
                d[k][col] + (i - k - 1) + 1 + (j - col - 1),
            )
        last_row[a[i - 1]] = i
    return d[la + 1][lb + 1]


def damerau_levenshtein_similarity(a: str, b: str) -> float:
    """``1 - distance / max(len(a), len(b))``; 1.0 for two empty strings."""
    longest = max(len(a), len(b))
    if longest == 0:
        return 1.0
    return 1.0 - damerau_levenshtein(a, b) / longest


def tokens(text: str) -> list[str]:
    """The non-empty runs of characters between separators (`TOKEN_SEPARATORS`)."""
    out: list[str] = []
    current: list[str] = []
    for ch in text:
        if ch in TOKEN_SEPARATORS:
            if current:
                out.append("".join(current))
                current = []
        else:
            current.append(ch)
    if current:
        out.append("".join(current))
    return out


def token_set_similarity(a: str, b: str) -> float:
    """Order-free similarity of multi-word names, in [0, 1].

    Both names are split into tokens. Every token of ``a`` is scored against every token of
    ``b`` with Jaro-Winkler; then, greedily, the best-scoring pair of still unpaired tokens is
    paired (ties go to the earlier token of ``a``, then of ``b``), until one side runs out. The
    score is the mean of the paired similarities weighted by the two tokens' lengths, over the
    lengths of *all* tokens, so a token left unpaired counts as a miss::

        sum((len(x) + len(y)) * jw(x, y) for paired x, y) / (sum(len(x) for x in a) + sum(len(y) for y in b))

    "Fatima Zahra El Alaoui" and "El Alaoui Fatima-Zahra" score 1.0; "Fatima" and
    "Fatima Zahra" score 12 / 17. Two names without tokens score 1.0; one without tokens, 0.0.
    """
    ta, tb = tokens(a), tokens(b)
    if not ta and not tb:
        return 1.0
    if not ta or not tb:
        return 0.0
    sims = [[jaro_winkler(x, y) for y in tb] for x in ta]
    free_a = set(range(len(ta)))
    free_b = set(range(len(tb)))
    total = 0.0
    for _ in range(min(len(ta), len(tb))):
        best, bi, bj = -1.0, -1, -1
        for i in sorted(free_a):
            for j in sorted(free_b):
                if sims[i][j] > best:
                    best, bi, bj = sims[i][j], i, j
        free_a.discard(bi)
        free_b.discard(bj)
        total += (len(ta[bi]) + len(tb[bj])) * best
    return total / (sum(map(len, ta)) + sum(map(len, tb)))
