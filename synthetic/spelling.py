"""Spelling variants of Moroccan names: particles, compounds, Arabic orthography and typos."""

from __future__ import annotations

import functools
import random
import re

__all__ = [
    "arabic_typo",
    "arabic_variants",
    "compound_variants",
    "keyboard_neighbours",
    "keyboard_typo",
    "particle_forms",
]

# The Arabic article assimilates before "sun letters": السعدي is said and often written
# Es-Saadi / Essaadi. Longest transcriptions first so "Ch" wins over "C".
_SUN_ONSETS = ("ch", "sh", "th", "dh", "t", "d", "r", "z", "s", "n")


def _joined(prefix: str, stem: str) -> str:
    return prefix + stem[:1].lower() + stem[1:]


# The variant functions are pure and called for the same few hundred names over and over.
_CACHE_SIZE = 1 << 16


@functools.lru_cache(maxsize=_CACHE_SIZE)
def particle_forms(particle: str, stem: str) -> tuple[str, ...]:
    """Every way the particle of a surname is commonly written in Latin script.

    ``particle_forms("el", "Alaoui")`` gives Alaoui, El Alaoui, El-Alaoui, Elalaoui, Al Alaoui and
    the Darija form Lalaoui; ``particle_forms("ben", "Ali")`` gives Ben Ali, Benali, Ben-Ali,
    Bin Ali. Unknown particles give no forms.
    """
    forms: list[str]
    if particle == "el":
        forms = [stem, f"El {stem}", f"El-{stem}", _joined("El", stem), f"Al {stem}"]
        lower = stem.lower()
        onset = next((o for o in _SUN_ONSETS if lower.startswith(o)), None)
        if onset is not None:
            forms += [f"E{onset}-{stem}", _joined("E" + onset, stem), f"E{onset} {stem}"]
        if lower[:1] == "a":
            forms.append(_joined("L", stem))
    elif particle == "ben":
        forms = [f"Ben {stem}", _joined("Ben", stem), f"Ben-{stem}", f"Bin {stem}"]
    elif particle == "bel":
        forms = [_joined("Bel", stem), f"Bel {stem}", f"Bel-{stem}"]
    elif particle == "ait":
        forms = [f"Ait {stem}", _joined("Ait", stem), f"Ait-{stem}", f"Aït {stem}", f"Ayt {stem}"]
    elif particle == "ou":
        forms = [_joined("Ou", stem), f"Ou {stem}", f"Ou-{stem}"]
    elif particle == "id":
        forms = [f"Id {stem}", _joined("Id", stem), f"Id-{stem}"]
    elif particle == "ould":
        forms = [f"Ould {stem}", _joined("Ould", stem), f"Ould-{stem}"]
    else:
        forms = []
    return tuple(dict.fromkeys(forms))


_TITLES = frozenset({"Moulay", "My", "Sidi", "Lalla"})
# First parts that cannot stand alone as a given name (Abd El Kader is never just "Abd").
_BOUND = frozenset({"Abd", "Abdel", "Abdul", "Abou", "Abu", "Oum", "Om", "Tin", "Zine", "Zin", "Ma"})
_MOHAMED = frozenset({"Mohamed", "Mohammed", "Med"})
_ABD_JOINED = re.compile(r"^Abd(el|al|ul|er|es|en|ed|ez|et)([a-z]{3,})$")
_EDDINE_JOINED = re.compile(r"^([A-Z][a-z]+?)(eddine|edine|ddine|dine)$")
_PREFIX_JOINED = re.compile(r"^(Fatima|Fatim|Mohamed|Mohammed|Moulay|Sidi|Lalla|Oum)([a-z]{3,})$")
_NOT_ABD_SPLIT = frozenset({"lah", "llah", "lam"})


@functools.lru_cache(maxsize=_CACHE_SIZE)
def compound_variants(latin: str) -> tuple[str, ...]:
    """Joined, hyphenated, split and shortened forms of a compound given name.

    ``Fatima Zahra`` gives Fatimazahra, Fatima-Zahra and Fatima; ``Abdelkader`` gives
    Abdel Kader, Abd El Kader and Abd-El-Kader; ``Noureddine`` gives Nour Eddine and
    Nour-Eddine; ``Moulay Ahmed`` drops the title. A simple name gives no forms.
    """
    tokens = [t for t in re.split(r"[ -]", latin) if t]
    out: list[str] = []
    if len(tokens) >= 2:
        out.append(tokens[0] + "".join(t.lower() for t in tokens[1:]))
        out.append("-".join(tokens))
        out.append(" ".join(tokens))
        if tokens[0] in _TITLES or tokens[0] in _MOHAMED:
            out.append(" ".join(tokens[1:]))
        if tokens[0] not in _BOUND and tokens[0] not in _TITLES:
            out.append(tokens[0])
    else:
        m = _ABD_JOINED.match(latin)
        if m and m.group(2) not in _NOT_ABD_SPLIT:
            article, rest = m.group(1), m.group(2).capitalize()
            out += [f"Abd {article.capitalize()} {rest}", f"Abd-{article.capitalize()}-{rest}"]
            if article == "el":
                out.append(f"Abdel {rest}")
        m = _EDDINE_JOINED.match(latin)
        # "Az|eddine" splits, but "Aze|ddine" would cut the article: keep -ddine/-dine splits for
        # first parts of three letters or more that do not end in the article's "e".
        if m and (m.group(2) == "eddine" or (len(m.group(1)) >= 3 and m.group(1)[-1] != "e")):
            out += [f"{m.group(1)} Eddine", f"{m.group(1)}-Eddine"]
        m = _PREFIX_JOINED.match(latin)
        if m:
            out += [f"{m.group(1)} {m.group(2).capitalize()}", f"{m.group(1)}-{m.group(2).capitalize()}"]
    return tuple(v for v in dict.fromkeys(out) if v != latin)


_HAMZA_ALEF = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا"})
# Words after which Arabic names are written both with and without a space.
_JOINING_WORDS = ("عبد", "أبو", "ابو", "أم", "ام", "بن", "ولد")
# Letters that differ only by dots: the usual Arabic-script typing and reading errors.
_DOT_GROUPS = ("بتثني", "جحخ", "دذ", "رز", "سش", "صض", "طظ", "عغ", "فق")
_DOT_SWAPS = {c: g.replace(c, "") for g in _DOT_GROUPS for c in g}


@functools.lru_cache(maxsize=_CACHE_SIZE)
def arabic_variants(arabic: str, particle: str | None = None) -> tuple[str, ...]:
    """Orthographic variants of an Arabic name that careful normalisation should undo.

    Hamza seats dropped (أحمد → احمد) or added (امحمد → أمحمد), ة ↔ ه, final ى ↔ ي,
    spacing after عبد / بن / أبو and before ال (عبد القادر ↔ عبدالقادر, نور الدين → نورالدين),
    and for surnames with an article or Ben particle, the article dropped
    (العلوي → علوي) or the particle split (بنعلي → بن علي).
    """
    out: list[str] = []
    if any(c in arabic for c in "أإآ"):
        out.append(arabic.translate(_HAMZA_ALEF))
    if arabic.startswith("ا") and not arabic.startswith("ال"):
        out.append("أ" + arabic[1:])
    words = arabic.split(" ")
    if any(w.endswith("ة") for w in words):
        out.append(" ".join(w[:-1] + "ه" if w.endswith("ة") else w for w in words))
    if any(w.endswith("ى") for w in words):
        out.append(" ".join(w[:-1] + "ي" if w.endswith("ى") else w for w in words))
    # علي / على: the final-yaa confusion is common in short names, not in long nisbas.
    if words[-1].endswith("ي") and 3 <= len(words[-1]) <= 4:
        out.append(" ".join([*words[:-1], words[-1][:-1] + "ى"]))
    if len(words) >= 2 and (words[0] in _JOINING_WORDS or words[1].startswith("ال")):
        out.append(words[0] + "".join(words[1:]))
    for word in ("عبد", "بن"):
        if arabic.startswith(word) and len(words[0]) > len(word) + 1:
            if word == "عبد" or particle == "ben":
                out.append(f"{word} {arabic[len(word) :]}")
    if particle == "el" and arabic.startswith("ال"):
        out.append(arabic[2:])
    return tuple(v for v in dict.fromkeys(out) if v != arabic)


_PERSIAN_LAYOUT = {"ي": "ی", "ك": "ک"}


def arabic_typo(arabic: str, rng: random.Random) -> str:
    """Apply one Arabic-script typing error; returns ``arabic`` unchanged if none is possible.

    Mostly a letter replaced by one of the same shape with other dots (ب → ت, ع → غ, س → ش);
    one time in six, a letter typed on a Persian layout (ي → ی, ك → ک).
    """
    persian = [i for i, c in enumerate(arabic) if c in _PERSIAN_LAYOUT]
    if persian and rng.random() < 1 / 6:
        i = rng.choice(persian)
        return arabic[:i] + _PERSIAN_LAYOUT[arabic[i]] + arabic[i + 1 :]
    positions = [i for i, c in enumerate(arabic) if c in _DOT_SWAPS]
    if not positions:
        return arabic
    i = rng.choice(positions)
    return arabic[:i] + rng.choice(_DOT_SWAPS[arabic[i]]) + arabic[i + 1 :]


_AZERTY_ROWS = ("azertyuiop", "qsdfghjklm", "wxcvbn")


def _azerty_neighbours() -> dict[str, str]:
    pos = {c: (r, i) for r, row in enumerate(_AZERTY_ROWS) for i, c in enumerate(row)}
    out: dict[str, str] = {}
    for c, (r, i) in pos.items():
        near = []
        for dr, di in ((0, -1), (0, 1), (-1, 0), (-1, 1), (1, 0), (1, -1)):
            rr, ii = r + dr, i + di
            if 0 <= rr < len(_AZERTY_ROWS) and 0 <= ii < len(_AZERTY_ROWS[rr]):
                near.append(_AZERTY_ROWS[rr][ii])
        out[c] = "".join(near)
    return out


_NEIGHBOURS = _azerty_neighbours()


def keyboard_neighbours(letter: str) -> str:
    """Letters next to ``letter`` on the French AZERTY layout used on Moroccan PCs."""
    return _NEIGHBOURS.get(letter.lower(), "")


# One edit: substitution by a keyboard neighbour, deletion, insertion, or swap of two letters.
_TYPO_OPS = ("substitute", "delete", "insert", "transpose")
_TYPO_WEIGHTS = (0.4, 0.25, 0.2, 0.15)


def keyboard_typo(text: str, rng: random.Random) -> str:
    """Apply one typing error to a Latin name; returns ``text`` unchanged if none is possible."""
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 2:
        return text
    for _ in range(8):
        op = rng.choices(_TYPO_OPS, _TYPO_WEIGHTS)[0]
        # First letters are rarely mistyped; keep them in one try out of ten.
        candidates = letters if rng.random() < 0.1 else letters[1:]
        i = rng.choice(candidates)
        c = text[i]
        if op == "substitute":
            near = keyboard_neighbours(c)
            if not near:
                continue
            new = rng.choice(near)
            result = text[:i] + (new.upper() if c.isupper() else new) + text[i + 1 :]
        elif op == "delete":
            result = text[:i] + text[i + 1 :]
        elif op == "insert":
            new = rng.choice(keyboard_neighbours(c) or c.lower()) if rng.random() < 0.5 else c.lower()
            result = text[: i + 1] + new + text[i + 1 :]
        else:
            j = i + 1
            if j >= len(text) or not text[j].isalpha():
                continue
            a, b = text[i], text[j]
            if i == 0:
                a, b = a.lower(), b.upper()
            result = text[:i] + b + a + text[j + 1 :]
        if result != text and any(ch.isalpha() for ch in result):
            return result
    return text
