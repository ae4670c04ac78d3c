"""Arabic-script names for matching: letter folding, the article, titles, particles and compounds.

`fold_arabic` removes what is spelling rather than name: diacritics (harakat, shadda, sukun,
tanwin, superscript alif, Quranic marks), tatweel, invisible direction and joiner marks, hamza
seats (أ إ آ ٱ → ا, ؤ → و, ئ → ي, a bare ء is dropped: أسماء = اسما), taa marbuta (ة → ه),
alif maqsura (ى → ي), and Persian or Urdu letters typed on other keyboards (ی → ي, ک → ك,
ھ ہ ۀ → ه, گ → ڭ). Presentation forms are decomposed first (NFKC), punctuation becomes space.

`split_arabic_particles` then tags tokens as `particles` does for Latin names, and
`arabic_name_tokens` gives the words compared in exact mode: titles (مولاي, سيدي, لالة, للا)
left out unless nothing else remains; the article ال left out (العلوي = علوي) except in the few
names that begin with those letters (إلياس, إلهام) and inside Abd- names; particles joined to
the following name (بن علي = بنعلي, آيت علي = ايتعلي, and بن + article = بل as in بلحسن);
Abd- names and -eddine names written as one word (عبد القادر = عبدالقادر, نور الدين =
نورالدين).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from matcher.name_data import ARABIC_ARTICLE_EXCEPTIONS, ARABIC_NAMES, ARABIC_PARTICLES, ARABIC_TITLES
from matcher.particles import NameToken

__all__ = ["ARABIC_LETTERS", "arabic_name_tokens", "fold_arabic", "split_arabic_particles"]

# Letters of the Arabic blocks (base, supplement, extended-A, presentation forms A and B).
ARABIC_LETTERS = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"

_DELETE = (
    [chr(c) for c in range(0x0610, 0x061B)]
    + [chr(c) for c in range(0x064B, 0x0660)]
    + ["\u0670", "\u0640", "\u0621"]
    + [chr(c) for c in range(0x06D6, 0x06EE) if c not in (0x06DD, 0x06DE, 0x06E9)]
    + list("\u200b\u200c\u200d\u200e\u200f\u061c\u2066\u2067\u2068\u2069\ufeff\u00ad")
)
_REPLACE = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا", "ٵ": "ا",
    "ؤ": "و", "ٶ": "و", "ئ": "ي", "ٸ": "ي",
    "ة": "ه", "ۃ": "ه", "ھ": "ه", "ہ": "ه", "ۀ": "ه", "ە": "ه",
    "ى": "ي", "ی": "ي", "ې": "ي", "ۍ": "ي", "ێ": "ي",
    "ک": "ك", "ڪ": "ك", "گ": "ڭ",
}  # fmt: skip
_TABLE = str.maketrans({**dict.fromkeys(_DELETE, ""), **_REPLACE})
_SEPARATORS = re.compile(r"[^\w]+|_+")

_ABD = "عبد"
_ARTICLE = "ال"
_DIN = "الدين"


_TAA_MARBUTA_JOIN = re.compile("\u0629(?=[\u0621-\u064a])")


def fold_arabic(text: str) -> str:
    """Fold the spelling variants of Arabic letters; tokens are separated by single spaces.

    >>> fold_arabic("إبراهيم"), fold_arabic("فاطمة"), fold_arabic("مصطفى"), fold_arabic("أسماء")
    ('ابراهيم', 'فاطمه', 'مصطفي', 'اسما')
    """
    # Taa marbuta only ends a word: a letter after it starts the next one (فاطمةالزهراء).
    folded = _TAA_MARBUTA_JOIN.sub("\u0629 ", unicodedata.normalize("NFKC", text)).translate(_TABLE)
    if any(unicodedata.combining(ch) for ch in folded):
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(_SEPARATORS.sub(" ", folded).split())


_TITLES = frozenset(fold_arabic(t) for t in ARABIC_TITLES)
_PARTICLES = {fold_arabic(k): fold_arabic(v) for k, v in ARABIC_PARTICLES.items()}
_ARTICLE_EXCEPTIONS = frozenset(fold_arabic(n) for n in ARABIC_ARTICLE_EXCEPTIONS)
KNOWN_ARABIC = frozenset(fold_arabic(a) for a, _ in ARABIC_NAMES)
# Attached particles: those that always split, then those that split only before a common name.
_ALWAYS_SPLIT = ("اولاد", "ايت")
_SPLIT_BEFORE_NAME = ("بنت", "ولد", "ابو", "بن", "بل", "بو", "اد")


@functools.lru_cache(maxsize=1 << 18)
def _segment(word: str) -> tuple[NameToken, ...]:
    if word in _TITLES:
        return (NameToken(word, "title"),)
    if word == _ARTICLE:
        return (NameToken(word, "article"),)
    if word in _PARTICLES:
        return (NameToken(_PARTICLES[word], "particle"),)
    if word == _DIN:
        return (NameToken(word, "tail"),)
    if word.startswith(_ABD + _ARTICLE) and len(word) >= 7:
        return NameToken(_ABD, "particle"), NameToken(_ARTICLE, "article"), NameToken(word[5:], "name")
    if word.startswith(_ABD) and len(word) >= 6 and word not in KNOWN_ARABIC:
        return NameToken(_ABD, "particle"), NameToken(word[3:], "name")
    if word.endswith(_DIN) and len(word) >= 7:
        return NameToken(word[:-5], "name"), NameToken(_DIN, "tail")
    if word.startswith(_ARTICLE) and len(word) >= 4 and word not in _ARTICLE_EXCEPTIONS:
        return (NameToken(_ARTICLE, "article"), *_segment(word[2:]))
    if word not in KNOWN_ARABIC:
        for particle in (*_ALWAYS_SPLIT, *_SPLIT_BEFORE_NAME):
            rest = word[len(particle) :]
            if word.startswith(particle) and len(rest) >= 2 and (particle in _ALWAYS_SPLIT or rest in KNOWN_ARABIC):
                return NameToken(_PARTICLES[particle], "particle"), *_segment(rest)
    return (NameToken(word, "name"),)


def split_arabic_particles(text: str) -> tuple[NameToken, ...]:
    """Fold an Arabic name and split it into tagged tokens (roles as in `particles.NameToken`).

    >>> [(t.text, t.role) for t in split_arabic_particles("مولاي عبد القادر العلوي")]
    [('مولاي', 'title'), ('عبد', 'particle'), ('ال', 'article'), ('قادر', 'name'), ('ال', 'article'), ('علوي', 'name')]
    """
    return tuple(token for word in fold_arabic(text).split() for token in _segment(word))


@functools.lru_cache(maxsize=1 << 16)
def arabic_name_tokens(text: str) -> tuple[str, ...]:
    """The words an Arabic name is compared under in exact mode (see the module docstring).

    As for Latin names, the words are parsed again until they are stable, so that they are
    idempotent even for odd input.

    >>> arabic_name_tokens("مولاي عبد القادر بن علي")
    ('عبدالقادر', 'بنعلي')
    """
    words = _words(text)
    for _ in range(4):
        again = _words(" ".join(words))
        if again == words:
            break
        words = again
    return words


def _words(text: str) -> tuple[str, ...]:
    tokens = split_arabic_particles(text)
    kept = [t for t in tokens if t.role != "title"] or list(tokens)
    words: list[str] = []
    chain: list[str] = []
    abd_article = False
    last_was_name = False
    for token in kept:
        if token.role == "article":
            if chain and chain[-1] == "بن":
                chain[-1] = "بل"
            elif chain and chain[-1] == _ABD:
                abd_article = True
            continue
        if token.role == "particle":
            chain.append(token.text)
            last_was_name = False
            continue
        if token.role == "tail" and not chain and words and last_was_name:
            words[-1] += _DIN
            last_was_name = False
            continue
        word = token.text
        if chain and chain[-1] == _ABD:
            chain[-1] = _ABD + (_ARTICLE if abd_article else "")
        words.append("".join(chain) + word)
        chain, abd_article, last_was_name = [], False, True
    words.extend(chain)
    return tuple(words)
