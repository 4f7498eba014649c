"""Text normalisation shared by every part of the offline engine.

Matching works on a folded form (NFKC, casefold, no accents, French elisions expanded, English contractions
split) while each token keeps the text as written, so callers can quote the customer exactly. Stemming is a
deliberately light set of suffix rules: good enough to join "livraison"/"livraisons" or "delivered"/
"delivers", cheap enough to run on every inbound message.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Hashable
from dataclasses import dataclass

__all__ = [
    "STOP_WORDS",
    "Token",
    "fold",
    "is_stop_word",
    "normalize",
    "stem",
    "tokenize",
    "words",
    "wordset",
]

#: Longest argument the word caches below keep. They are bounded in entries, but an entry holds its key and
#: its result: without a bound on the key, a hostile 100 KB "word" (or a whole message: `fold` is called on
#: texts too) costs 100 KB per entry. Real words are shorter; a longer one is computed each time.
CACHED_KEY_MAX_CHARS = 40


class ShortKeyCache:
    """`functools.lru_cache` for a function of a string (and positional arguments), applied only when the
    string is at most CACHED_KEY_MAX_CHARS long; `cache_info()` and `cache_clear()` as lru_cache has them."""

    def __init__(self, function: Callable[..., str], maxsize: int) -> None:
        self._function = function
        self._cached = functools.lru_cache(maxsize=maxsize)(function)
        self.cache_info = self._cached.cache_info
        self.cache_clear = self._cached.cache_clear
        functools.update_wrapper(self, function)

    def __call__(self, key: str, /, *args: Hashable) -> str:
        if len(key) > CACHED_KEY_MAX_CHARS:
            return self._function(key, *args)
        return self._cached(key, *args)


def short_key_cache(maxsize: int) -> Callable[[Callable[..., str]], ShortKeyCache]:
    def decorate(function: Callable[..., str]) -> ShortKeyCache:
        return ShortKeyCache(function, maxsize)

    return decorate


# Typographic apostrophes and look-alikes that people type instead of "'".
_APOSTROPHES = str.maketrans({c: "'" for c in "’‘ʼ`´′‛"})

# French elided forms and what they stand for: "l'heure" -> "le heure", so "l'heure" and "heure" share
# their content word and "n'" still reads as a negation.
_ELISIONS = {
    "l": "le",
    "d": "de",
    "j": "je",
    "qu": "que",
    "c": "ce",
    "n": "ne",
    "s": "se",
    "t": "te",
    "m": "me",
    "jusqu": "jusque",
    "lorsqu": "lorsque",
    "puisqu": "puisque",
    "quoiqu": "quoique",
}
# Words whose apostrophe belongs to the word itself.
_UNSPLIT = {"aujourd'hui", "quelqu'un", "quelqu'une", "presqu'ile", "prud'homme", "prud'hommes"}
# English contractions: suffix -> word it stands for (None: drop, e.g. the possessive "'s").
_EN_SUFFIXES = {
    "n't": "not",
    "'re": "are",
    "'m": "am",
    "'ve": "have",
    "'ll": "will",
    "'d": "would",
    "'s": None,
}
_EN_IRREGULAR = {"can't": ["can", "not"], "won't": ["will", "not"], "ain't": ["not"], "y'all": ["you", "all"]}

_EMOJI_CORE = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u3030\u303d"
_TLDS = (
    "com|fr|net|org|ly|co|io|xyz|top|shop|me|gl|gd|at|cc|in|example|info|biz|app|site|link|be|ch|"
    "uk|de|eu|us|online|store|club|live|click|vip|tk|ru|cn"
)
_TOKEN_RE = re.compile(
    rf"""
    (?P<url>(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:{_TLDS})\b(?:/\S*)?)
  | (?P<email>[\w.+-]+@[\w-]+\.[\w.-]*\w)
  | (?P<mention>@\w[\w.]*\w|@\w)
  | (?P<hashtag>\#\w+)
  | (?P<emoticon>(?<!\w)(?:[:;=]-?[()\]\[DPpOo/|]|<3|xD|XD|:'\(|\^\^|\^_\^)(?!\w))
  | (?P<number>\d+(?:[.,:h]\d+)*(?:€|\$|%|[^\W\d_]{{1,3}}\b)?)
  | (?P<word>[^\W\d_][^\W_]*(?:'[^\W_]+)*'?)
  | (?P<emoji>[{_EMOJI_CORE}](?:[\ufe0f\u20e3\U0001f3fb-\U0001f3ff]|\u200d[{_EMOJI_CORE}])*)
  | (?P<punct>[?!.,;:…¿¡]+)
    """,
    re.VERBOSE,
)
_ELONGATION_RE = re.compile(r"([^\W\d_])\1{2,}")


@dataclass(frozen=True, slots=True)
class Token:
    """One token: ``text`` as written (NFKC), ``norm`` folded for matching, ``kind`` among word, number,
    emoji, emoticon, url, email, mention, hashtag, punct. ``elided`` marks a French elided article or
    pronoun ("l'" -> "le") and ``contraction`` a word produced by an English contraction ("n't" -> "not")."""

    text: str
    norm: str
    kind: str
    elided: bool = False
    contraction: bool = False


def normalize(text: str) -> str:
    """NFKC, casefold and one kind of apostrophe: the form every comparison starts from."""
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()


@short_key_cache(maxsize=8192)
def fold(text: str) -> str:
    """``normalize`` then strip accents ("Pâtisserie" -> "patisserie", "œuf" -> "oeuf")."""
    text = normalize(text).replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _split_word(original: str) -> list[Token]:
    folded = fold(original)
    if "'" not in folded or folded in _UNSPLIT:
        return [Token(original, _collapse(folded), "word")]
    folded = folded.strip("'")
    if folded in _EN_IRREGULAR:
        return [Token(original, w, "word", contraction=True) for w in _EN_IRREGULAR[folded]]
    head, _, rest = folded.partition("'")
    if head in _ELISIONS and rest:
        return [
            Token(original, _ELISIONS[head], "word", elided=True),
            *_split_word(original[len(head) + 1 :]),
        ]
    for suffix, full in _EN_SUFFIXES.items():
        if folded.endswith(suffix) and len(folded) > len(suffix):
            base = folded[: -len(suffix)]
            out = [Token(original, base, "word")]
            if full:
                out.append(Token(original, full, "word", contraction=True))
            return out
    return [Token(original, part, "word") for part in folded.split("'") if part]


def _collapse(word: str) -> str:
    """ "trooop" -> "troop", "ouuuuf" -> "ouuf": three or more repeats are emphasis, not spelling."""
    return _ELONGATION_RE.sub(r"\1\1", word)


def tokenize(text: str) -> list[Token]:
    """Split a message into tokens; emoji, emoticons, links and punctuation are tokens of their own."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    tokens: list[Token] = []
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup or "word"
        raw = match.group()
        if kind == "word":
            tokens.extend(_split_word(raw))
        elif kind == "emoji":
            tokens.append(Token(raw, raw.replace("\ufe0f", ""), kind))
        elif kind == "punct":
            tokens.append(Token(raw, raw[0] if raw[0] != "…" else ".", kind))
        else:
            tokens.append(Token(raw, fold(raw), kind))
    return tokens


def wordset(spec: str) -> frozenset[str]:
    """Folded words of a whitespace-separated list: how the engine writes its word lists."""
    return frozenset(fold(w) for w in spec.split())


def words(tokens: list[Token]) -> list[str]:
    """Folded forms of the word tokens only."""
    return [t.norm for t in tokens if t.kind == "word"]


_FR_STOP = """
a à ai aie ait as au aux avec avez avons avoir ayez c ça ca ce ceci cela celle celui ces cet cette chez
d dans de des du donc elle elles en es est et etc être etre été ete eu fait faire faut il ils j je jusque
l la le les leur leurs lui m ma mais me même meme mes moi mon n ne ni nos notre nous on ont or ou où par
pas peu peut peux pour puis qu que quel quelle quelles quels qui quoi s sa se ses si son sont sur suis
sommes soit t ta te tes toi ton tous tout toute toutes tu un une vos votre vous y êtes etes ici là la
bonjour bonsoir salut coucou merci svp stp bjr slt cc oui non ok ben bah alors aussi car comme très tres
cest lorsque puisque quoique voilà voila dont
"""
_EN_STOP = """
a an the and or but if of to in on at by for with from about as into is are was were be been being am
do does did doing done have has had having i me my mine we our ours you your yours u ur he him his she her
it its they them their this that these those there here what which who whom can could would should will
shall may might must just so very too also some please pls plz hi hello hey thanks thank thx ok okay yes
no not it's im i'm let get got guys y'all yall any anything something one all hmm how
"""
STOP_WORDS: frozenset[str] = wordset(_FR_STOP + _EN_STOP)


def is_stop_word(norm: str) -> bool:
    return norm in STOP_WORDS


# Light stemmers: ordered (suffix, replacement, minimum stem length) rules, first match wins.
_FR_RULES = [
    ("issements", "", 4),
    ("issement", "", 4),
    ("ements", "", 4),
    ("ement", "", 4),
    ("ations", "", 3),
    ("ation", "", 3),
    ("ateurs", "", 3),
    ("ateur", "", 3),
    ("atrice", "", 3),
    ("ibilites", "", 3),
    ("ibilite", "", 3),
    ("ables", "", 4),
    ("able", "", 4),
    ("ibles", "", 4),
    ("ible", "", 4),
    ("ites", "", 4),
    ("ite", "", 4),
    ("euses", "", 3),
    ("euse", "", 3),
    ("eurs", "", 3),
    ("eur", "", 3),
    ("eaux", "eau", 2),
    ("aux", "al", 3),
    ("ures", "", 4),
    ("ure", "", 4),
    ("ments", "", 4),
    ("ment", "", 4),
    ("aient", "", 3),
    ("ions", "", 3),
    ("iez", "", 3),
    ("ais", "", 4),
    ("ait", "", 4),
    ("ent", "", 4),
    ("ez", "", 3),
    ("er", "", 3),
    ("ir", "", 4),
    ("ees", "", 3),
    ("ee", "", 3),
    ("es", "", 3),
    ("e", "", 3),
    ("s", "", 3),
    ("x", "", 3),
]
# English: inflection first ("deliveries" -> "delivery"), then a few derivations ("delivery" -> "deliver").
_EN_INFLECTION = [
    ("ies", "y", 3),
    ("ied", "y", 3),
    ("sses", "ss", 2),
    ("ss", "ss", 2),
    ("us", "us", 2),
    ("is", "is", 2),
    ("ings", "", 3),
    ("ing", "", 3),
    ("ed", "", 3),
    ("s", "", 3),
]
_EN_DERIVATION = [("iness", "y", 3), ("ness", "", 4), ("ery", "er", 3), ("ly", "", 4)]
_VOWELS = set("aeiouy")


def _apply(word: str, rules: list[tuple[str, str, int]]) -> str:
    for suffix, replacement, min_len in rules:
        if word.endswith(suffix):
            base = word[: -len(suffix)]
            if len(base) >= min_len and _VOWELS.intersection(base):
                return base + replacement
            continue
    return word


@short_key_cache(maxsize=16384)
def stem(word: str, language: str | None = None) -> str:
    """Light stem of a folded word. ``language`` is "fr", "en" or anything else (plural only)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if language == "fr":
        return _apply(word, _FR_RULES)
    if language == "en":
        out = _apply(_apply(word, _EN_INFLECTION), _EN_DERIVATION)
        if len(out) > 4 and out[-1] == out[-2] and out[-1] not in "lsz":
            out = out[:-1]  # "shipped" -> "shipp" -> "ship"
        if len(out) > 4 and out.endswith("e"):
            out = out[
                :-1
            ]  # "close", "closed", "closing" -> "clos"; short words keep it ("site" is not "sit")
        return out
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
