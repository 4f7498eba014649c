"""Full-text search over messages with one query syntax on both databases, and the highlighted excerpt
the results show.

The syntax is PostgreSQL's `websearch_to_tsquery`: words are AND-ed, "a quoted phrase" matches the words in
order, `-word` (or `-"a phrase"`) excludes, and `OR` between two terms offers either. PostgreSQL reads it
itself, over accent-folded French and English vectors (migration inbox 0004). On SQLite the same syntax is
parsed here and rewritten as an FTS5 MATCH expression over an index whose tokenizer folds accents too.

Every term sent to FTS5 is a quoted string of letters and digits only, so no user input (an unbalanced
quote, `NEAR(`, `*`, `col:`, `^`, `AND`) can reach FTS5's own syntax: hostile queries find what their words
find, or nothing, and never raise.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Func, Q, TextField, Value
from django.db.models.expressions import RawSQL

EXCERPT_BEFORE = 60  # characters of context kept before the first match
EXCERPT_LENGTH = 220


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or the words of a phrase in order
    negated: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """An OR of AND-groups, as websearch_to_tsquery reads it (AND binds tighter than OR)."""

    groups: tuple[tuple[Term, ...], ...]

    @property
    def positive_words(self) -> list[str]:
        """The words a result is shown for (what gets highlighted)."""
        return [w for group in self.groups for term in group if not term.negated for w in term.words]


def _is_word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNM"


def _words(text: str) -> tuple[str, ...]:
    """The runs of letters and digits in `text`: "foo-bar" is the phrase foo bar, "*" is nothing."""
    words, current = [], []
    for char in text:
        if _is_word_char(char):
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return tuple(words)


def parse(query: str) -> ParsedQuery:
    """Read `query` in websearch syntax. Never fails: anything unreadable is a separator."""
    query = unicodedata.normalize("NFC", query)
    groups: list[list[Term]] = [[]]
    pending_or = False
    i, n = 0, len(query)
    while i < n:
        char = query[i]
        if char.isspace():
            i += 1
            continue
        negated = False
        if char == "-" and i + 1 < n and not query[i + 1].isspace():
            negated = True
            i += 1
        if query[i] == '"':
            end = query.find('"', i + 1)
            end = n if end == -1 else end  # an unbalanced quote runs to the end, as in PostgreSQL
            raw, quoted = query[i + 1 : end], True
            i = end + 1
        else:
            end = i
            while end < n and not query[end].isspace() and query[end] != '"':
                end += 1
            raw, quoted = query[i:end], False
            i = end
        if not quoted and not negated and raw.upper() == "OR":
            pending_or = bool(groups[-1])  # a leading OR has nothing to offer an alternative to
            continue
        words = _words(raw)
        if not words:
            continue
        if pending_or:
            groups.append([])
            pending_or = False
        groups[-1].append(Term(words, negated))
    return ParsedQuery(tuple(tuple(group) for group in groups if group))


def _fts_phrase(term: Term) -> str:
    # The words hold letters and digits only; the doubling of quotes is a second guard, not the first.
    return '"' + " ".join(term.words).replace('"', '""') + '"'


def _fts_match(expression: str) -> Q:
    return Q(
        pk__in=RawSQL("SELECT rowid FROM inbox_message_fts WHERE inbox_message_fts MATCH %s", (expression,))
    )


def fts5_groups(parsed: ParsedQuery) -> list[tuple[str, str]]:
    """Per AND-group, the FTS5 expression of its wanted terms and of its excluded ones ("" when none)."""
    out = []
    for group in parsed.groups:
        wanted = " AND ".join(_fts_phrase(t) for t in group if not t.negated)
        excluded = " OR ".join(_fts_phrase(t) for t in group if t.negated)
        out.append((wanted, excluded))
    return out


def message_condition(query: str) -> Q:
    """A condition on Message: its text matches `query`. Matches nothing when the query has no words."""
    if connection.vendor == "postgresql":
        folded = Func(Value(query), function="cmhub_unaccent", output_field=TextField())
        search = SearchQuery(folded, config="french", search_type="websearch") | SearchQuery(
            folded, config="english", search_type="websearch"
        )
        return Q(search_vector=search)
    condition = Q(pk__in=[])
    for wanted, excluded in fts5_groups(parse(query)):
        if wanted:
            condition |= _fts_match(f"({wanted}) NOT ({excluded})" if excluded else wanted)
        else:  # only exclusions: every message without them, as PostgreSQL's `!word` reads
            condition |= ~_fts_match(excluded)
    return condition


# --- Highlighting ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """A piece of an excerpt; the template marks the `hit` pieces (and escapes every piece)."""

    text: str
    hit: bool = False


def fold(text: str) -> str:
    """Lowercase without accents: how both databases compare words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _matches(word: str, wanted: set[str]) -> bool:
    """The same word, or one that differs by a short ending (PostgreSQL stems "gâteaux" to "gâteau")."""
    for term in wanted:
        if word == term:
            return True
        close = len(term) >= 4 and abs(len(word) - len(term)) <= 3
        if close and (word.startswith(term) or term.startswith(word)):
            return True
    return False


def excerpt(text: str, words: list[str]) -> list[Part]:
    """A window of `text` around its first matching word, cut into plain and hit parts."""
    wanted = {fold(w) for w in words if w}
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        if _is_word_char(text[i]):
            start = i
            while i < n and _is_word_char(text[i]):
                i += 1
            if _matches(fold(text[start:i]), wanted):
                spans.append((start, i))
        else:
            i += 1
    begin = 0
    if spans and spans[0][0] > EXCERPT_BEFORE:
        cut = spans[0][0] - EXCERPT_BEFORE
        space = text.find(" ", cut, spans[0][0])
        begin = cut if space == -1 else space + 1  # start on a word
    end = min(n, begin + EXCERPT_LENGTH)
    parts = [Part("…")] if begin else []
    at = begin
    for start, stop in spans:
        if start >= end:
            break
        if start > at:
            parts.append(Part(text[at:start]))
        parts.append(Part(text[start:stop], hit=True))
        at = stop
    if at < end:
        parts.append(Part(text[at:end]))
    if end < n:
        parts.append(Part("…"))
    return parts
