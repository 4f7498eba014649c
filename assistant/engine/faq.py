"""FAQ retrieval: which answers fit an inbound message, ranked, with a confidence.

The index is built once per FAQ. Every phrasing of an entry is a short document; the entry as a whole
(phrasings, tags and, with less weight, the answer) is a longer one. A message is scored against both with
BM25 over light stems, plus a character-trigram similarity to its closest phrasing, which keeps typos and
spelling variants in the race. A bilingual synonym map adds concept terms on both sides ("horaires",
"opening hours" and "à quelle heure ouvrez-vous" all carry ``@hours`` or ``@open``), and misspelt words
are matched to the closest indexed word. Translations of one answer share a ``group``: only one of them is
suggested, the one in the customer's language when it exists.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .language import UNKNOWN, detect_language
from .text import STOP_WORDS, stem, tokenize, wordset

__all__ = [
    "AUTO_SEND_THRESHOLD",
    "GENERAL_SYNONYMS",
    "FaqEntry",
    "FaqIndex",
    "Suggestion",
    "load_entries",
    "parse_synonyms",
]

# General customer-service concepts, in French and English, that any trade's customers use: the engine's
# only built-in lexicon. A workspace adds its trade's own words as workspace synonyms (the demo bakery's
# lexicon is demo/data/bakery_synonyms.txt). These are the trade-free concepts of the lexicon the engine
# was first developed with, minus its bakery words; nothing here was chosen by looking at an unseen domain.
# The last five (pause, trial, parking, discount, lost) are what subscription and walk-in services hear; they
# were kept because they raised the dev domains (transit, gym) without moving the bakery.
GENERAL_SYNONYMS_SPEC = """
hours: horaire, heures d'ouverture, opening hours, opening times, hours, schedule, timetable
open: ouvert, ouvrir, ouvre, ouvrez, ouvrent, ouverture, open, opening
close: fermé, fermer, fermez, ferment, fermeture, close, closing, closed
time: heure, quelle heure, what time, what times, opening time, closing time
morning: matin, tôt, morning, early
evening: soir, fin de journée, ce soir, evening, tonight, end of the day
sunday: dimanche, samedi, sunday, saturday, week-end, weekend, weekends
holiday: férié, fériés, jour férié, jours fériés, pâques, pentecôte, bank holiday, bank holidays, public \
holiday, public holidays, easter, whitsun
address: adresse, situé, localisation, emplacement, rue, itinéraire, plan, address, located, location, \
street, directions, map
phone: téléphone, tel, numéro, appeler, appelle, appel, phone, call, number, phone number
contact: contact, contacter, contactez, mail, email, e-mail, courriel, joindre, responsable, service \
client, reach, get in touch, manager, customer service, real person, humain, human
fee: frais, gratuit, gratuite, offert, fee, free
lead_time: délai, délais, combien de temps, à l'avance, avance, how long, in advance, ahead, notice, lead \
time
order: commande, commander, passer commande, order, orders, ordered, ordering, place an order
online: en ligne, internet, site, site web, appli, application, online, website, web, app
price: prix, tarif, coût, coûtent, coûter, budget, cher, price, pricing, cost, how much, expensive, cheap, \
price list
refund: remboursement, rembourser, remboursé, remboursez, avoir, débité, refund, refunded, money back, \
credit note, charged
late: retard, en retard, pas reçu, pas encore reçu, toujours pas, toujours rien, jamais reçu, jamais \
arrivé, attends, attendre, attente, late, not received, never arrived, never came, still waiting, waiting, \
wait
damaged: abîmé, endommagé, cassé, damaged, broken
job: recrutement, recruter, recrutez, recrute, embauche, embaucher, embauchez, emploi, emplois, job, \
poste, candidature, postuler, cv, alternance, apprenti, apprentissage, stage, stagiaire, job étudiant, \
hiring, hire, apply, vacancy, vacancies, job opening, job openings, apprentice, apprenticeship, \
internship, student job, resume
payment: paiement, payer, paye, payez, cb, carte bancaire, carte bleue, espèces, liquide, chèque, sans \
contact, moyens de paiement, pay, payment, payments, paying, credit card, debit card, cash, apple pay, \
google pay, contactless, paypal, payment methods
reserve: réserver, réservation, réserve, mettre de côté, garder, put aside, set aside, keep aside, hold
modify: modifier, modification, changer, annuler, annulation, rajouter, ajouter, trompé, tromper, décaler, \
reporter, change, changed, cancel, cancelled, canceled, cancellation, add, mistake, reschedule
pause: suspendre, suspension, mettre en pause, pause, geler, freeze, frozen, on hold, suspend, suspended
trial: essai, essayer, tester, séance découverte, offre découverte, try, trial, try out
parking: parking, garer, se garer, stationner, stationnement, park, parking space, car park, parking lot
discount: réduction, réductions, réduit, réduite, tarif réduit, remise, code promo, discount, discounts, \
reduced, concession, concessions, promo code
lost: perdu, perdue, oublié, oubliée, objet trouvé, objets trouvés, lost, lost and found, lost property
"""


def parse_synonyms(spec: str) -> dict[str, list[str]]:
    """ "concept: a, b, c" lines (a trailing backslash continues a line) -> {concept: [a, b, c]}."""
    out: dict[str, list[str]] = {}
    for line in spec.replace("\\\n", " ").strip().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        concept, _, items = line.partition(":")
        out[concept.strip()] = [item.strip() for item in items.split(",") if item.strip()]
    return out


GENERAL_SYNONYMS: dict[str, list[str]] = parse_synonyms(GENERAL_SYNONYMS_SPEC)

# Default confidence from which an answer may go out alone (a manager may raise it, never lower it below
# what the evaluation supports): the lowest threshold with >= 98% right answers on the unseen evaluation
# domains (python -m assistant.eval.run prints the calibration table).
AUTO_SEND_THRESHOLD = 0.85

_K1 = 1.2
_B = 0.5
_ANSWER_WEIGHT = 1.0  # answer words count as much as phrasing words: a day-one FAQ has few phrasings
_FUZZY_MIN = 0.8  # bigram Dice needed to read a misspelt word as an indexed one
_W_PHRASING, _W_ENTRY, _W_TRIGRAM = 0.30, 0.50, 0.20
_MIN_SCORE = 0.12
_CONCEPT_WEIGHT = 1.5  # query weight of a concept term relative to a word stem
_INTENT_DAMPING = {"praise": 0.5, "other": 0.5}
# Confidence model (see ``_confidence``): bias, combined score, margin over the rival, matched terms.
_CONF_BIAS, _CONF_SCORE, _CONF_MARGIN, _CONF_MATCHED = -4.0, 3.5, 0.5, 3.4
_PLACE_PREPOSITIONS = wordset("à sur vers jusque dans près to in near around outside")


@dataclass(frozen=True)
class FaqEntry:
    """One FAQ answer in one language. ``group`` ties translations of the same answer together."""

    id: str
    questions: list[str]
    answer: str
    language: str
    tags: list[str] = field(default_factory=list)
    active: bool = True
    group: str = ""
    # Customer messages a manager accepted as phrasings of this entry: matched like ``questions``, but kept
    # out of the entry's own document so that a few wordy messages do not pull every question their way.
    learned: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaqEntry:
        return cls(
            id=str(data["id"]),
            questions=[str(q) for q in data.get("questions", [])],
            answer=str(data.get("answer", "")),
            language=str(data.get("language", "")),
            tags=[str(t) for t in data.get("tags", [])],
            active=bool(data.get("active", True)),
            group=str(data.get("group", "")),
            learned=[str(q) for q in data.get("learned", [])],
        )


def load_entries(data: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> list[FaqEntry]:
    """Entries from a ``{"entries": [...]}`` document or a list of dicts."""
    items = data.get("entries", []) if isinstance(data, Mapping) else data
    return [FaqEntry.from_dict(item) for item in items]


@dataclass(frozen=True, slots=True)
class Suggestion:
    entry_id: str
    score: float  # ranking score, 0..1
    confidence: float  # 0..1: how sure the engine is that this answer fits
    language: str  # language of the suggested entry


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 4 and word[-1] in "sx" and word[-2] != "s" else word


def _bigrams(word: str) -> list[str]:
    padded = f"#{word}#"
    return [padded[i : i + 2] for i in range(len(padded) - 1)]


def _trigrams(words: Sequence[str]) -> frozenset[str]:
    grams: set[str] = set()
    for w in words:
        padded = f" {w} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


class _Concepts:
    """Maps words (by language-tagged stem) and phrases to concept terms."""

    def __init__(self, synonyms: Mapping[str, Iterable[str]]):
        self.by_stem: dict[str, set[str]] = defaultdict(set)
        self.phrases: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        self.surface: dict[str, set[str]] = defaultdict(set)  # folded word -> concepts, for typo lookup
        for concept, items in synonyms.items():
            term = f"@{concept}"
            for item in items:
                words = [t.norm for t in tokenize(item) if t.kind in ("word", "number")]
                if len(words) == 1:
                    for lang in ("fr", "en"):
                        self.by_stem[f"{lang}:{stem(words[0], lang)}"].add(term)
                    self.surface[words[0]].add(term)
                elif words:
                    for lang in ("fr", "en"):
                        key = tuple(stem(w, lang) for w in words)
                        self.phrases[key[0]].append((key, term))

    def of_words(self, words: Sequence[str], languages: Sequence[str]) -> set[str]:
        """Concepts of the multi-word phrases in ``words`` ("passe prendre", "money back")."""
        found: set[str] = set()
        for lang in languages:
            stems = [stem(w, lang) for w in words]
            for i, s in enumerate(stems):
                for key, term in self.phrases.get(s, ()):
                    if tuple(stems[i : i + len(key)]) == key:
                        found.add(term)
        return found


@dataclass(slots=True)
class _Analysed:
    terms: dict[str, float]  # term -> weight (1.0, or the similarity for a typo-matched word)
    content: list[str]  # folded content words, for trigram similarity


class _Bm25:
    def __init__(self, docs: Sequence[Mapping[str, float]]):
        self.lengths = [sum(d.values()) for d in docs]
        self.avg = (sum(self.lengths) / len(docs)) if docs else 1.0
        df: Counter[str] = Counter()
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            for term, tf in doc.items():
                df[term] += 1
                self.postings[term].append((i, tf))
        n = len(docs)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.max_idf = math.log(1 + (n + 0.5) / 0.5) if n else 1.0

    def scores(self, query: Mapping[str, float]) -> tuple[dict[int, float], float, Counter[int]]:
        """Scores per document, the score an ideal average-length document would get, and how many
        query terms each document contains."""
        out: dict[int, float] = defaultdict(float)
        matched: Counter[int] = Counter()
        ideal = 0.0
        for term, weight in query.items():
            idf = self.idf.get(term)
            if idf is None:
                ideal += 0.5 * self.max_idf * weight  # unknown words lower the confidence, not the ranking
                continue
            ideal += idf * weight
            for i, tf in self.postings[term]:
                norm = _K1 * (1 - _B + _B * self.lengths[i] / self.avg)
                out[i] += idf * weight * tf * (_K1 + 1) / (tf + norm)
                matched[i] += 1
        return out, ideal, matched


class FaqIndex:
    """Build once per FAQ (cheap: a few milliseconds for a hundred entries), then ``suggest`` per message."""

    def __init__(self, entries: Iterable[FaqEntry], *, synonyms: Mapping[str, Iterable[str]] | None = None):
        self.entries = [e for e in entries if e.active and (e.questions or e.answer)]
        self._concepts = _Concepts(GENERAL_SYNONYMS if synonyms is None else {**GENERAL_SYNONYMS, **synonyms})
        self._stem_vocab: set[str] = set()
        self._surface: dict[str, set[str]] = defaultdict(set)  # folded word -> its terms
        phrasing_docs: list[dict[str, float]] = []
        self._phrasing_entry: list[int] = []
        self._phrasing_grams: list[frozenset[str]] = []
        entry_docs: list[dict[str, float]] = []
        for idx, entry in enumerate(self.entries):
            lang = entry.language if entry.language in ("fr", "en") else None
            entry_doc: Counter[str] = Counter()
            tag_terms = self._analyse(" ; ".join(entry.tags), lang, learn=True).terms
            for question in entry.questions:
                analysed = self._analyse(question, lang, learn=True)
                doc = dict(analysed.terms)
                phrasing_docs.append(doc)
                self._phrasing_entry.append(idx)
                self._phrasing_grams.append(_trigrams(analysed.content))
                entry_doc.update(doc)
            for phrasing in entry.learned:
                analysed = self._analyse(phrasing, lang, learn=True)
                phrasing_docs.append(dict(analysed.terms))
                self._phrasing_entry.append(idx)
                self._phrasing_grams.append(_trigrams(analysed.content))
            entry_doc.update(tag_terms)
            for term, tf in self._analyse(entry.answer, lang, learn=True).terms.items():
                entry_doc[term] += _ANSWER_WEIGHT * tf
            entry_docs.append(dict(entry_doc))
        self._phrasings = _Bm25(phrasing_docs)
        self._entries = _Bm25(entry_docs)
        # Misspelt words are compared, singular to singular, with every word the index knows.
        self._fuzzy_terms: dict[str, set[str]] = defaultdict(set)
        for source in (self._surface, self._concepts.surface):
            for word, terms in source.items():
                self._fuzzy_terms[_singular(word)] |= terms
        self._bigram_index: dict[str, set[str]] = defaultdict(set)
        for word in self._fuzzy_terms:
            for gram in _bigrams(word):
                self._bigram_index[gram].add(word)

    def _analyse(self, text: str, language: str | None, *, learn: bool = False) -> _Analysed:
        """Terms of ``text``: language-tagged stems ("fr:livraison") and concepts ("@delivery")."""
        tokens = [t for t in tokenize(text) if t.kind == "word"]
        words = [t.norm for t in tokens]
        languages = (language,) if language in ("fr", "en") else ("fr", "en")
        terms: dict[str, float] = {}
        for concept in self._concepts.of_words(words, languages):
            terms[concept] = _CONCEPT_WEIGHT
        content: list[str] = []
        places: list[bool] = []  # unknown words after "à"/"sur"/"to": capitalised?
        for i, tok in enumerate(tokens):
            word = tok.norm
            if word in STOP_WORDS or len(word) < 2:
                continue
            content.append(word)
            word_terms, similarity = self._word_terms(word, languages, learn)
            if not word_terms:
                if i and words[i - 1] in _PLACE_PREPOSITIONS:
                    places.append(tok.text[:1].isupper())
                word_terms, similarity = {f"{languages[0]}:{stem(word, languages[0])}"}, 1.0
            for term in word_terms:
                weight = similarity * (_CONCEPT_WEIGHT if term.startswith("@") else 1.0)
                terms[term] = max(terms.get(term, 0.0), weight)
        # "Vous fermez à quelle heure ?", "what time do you open?": the time of opening or closing is the
        # opening hours, whatever the FAQ calls them.
        if "@time" in terms and ("@open" in terms or "@close" in terms):
            terms.setdefault("@hours", _CONCEPT_WEIGHT)
        # "Vous livrez sur Caluire ?": a place the FAQ does not name still says "which area".
        if any(places) or (places and "@delivery" in terms):
            terms.setdefault("@area", _CONCEPT_WEIGHT)
        return _Analysed(terms, content)

    def _word_terms(self, word: str, languages: Sequence[str], learn: bool) -> tuple[set[str], float]:
        word_terms = {f"{lang}:{stem(word, lang)}" for lang in languages}
        for term in list(word_terms):
            word_terms |= self._concepts.by_stem.get(term, set())
        if learn:
            self._stem_vocab.update(t for t in word_terms if not t.startswith("@"))
            self._surface[word].update(word_terms)
            return word_terms, 1.0
        if any(t in self._stem_vocab or t.startswith("@") for t in word_terms):
            return word_terms, 1.0
        return self._closest(word)

    def _closest(self, word: str) -> tuple[set[str], float]:
        """Terms of the indexed word closest to a misspelt one ("livrason" -> "livraison")."""
        word = _singular(word)
        if len(word) < 4:
            return set(), 0.0
        grams = _bigrams(word)
        counts: Counter[str] = Counter()
        for gram in set(grams):
            counts.update(self._bigram_index.get(gram, ()))
        best, best_score = "", 0.0
        for candidate, _ in counts.most_common(20):
            cand_grams = _bigrams(candidate)
            common = sum((Counter(grams) & Counter(cand_grams)).values())
            dice = 2 * common / (len(grams) + len(cand_grams))
            if dice > best_score:
                best, best_score = candidate, dice
        if best_score < _FUZZY_MIN:
            return set(), 0.0
        return set(self._fuzzy_terms[best]), best_score

    def suggest(
        self, text: str, *, language: str | None = None, limit: int = 3, intent: str | None = None
    ) -> list[Suggestion]:
        """The best entries for ``text``, best first, at most one per group.

        ``intent`` (from triage) tempers the confidence: praise or chit-chat that happens to mention
        "galette" is not asking about pre-orders, and spam gets no suggestion at all.
        """
        if intent == "spam":
            return []
        if language in (None, "", UNKNOWN):
            language = detect_language(text)
        lang = language if language in ("fr", "en") else None
        candidates = self._candidates(text, lang)
        damping = _INTENT_DAMPING.get(intent or "", 1.0)
        return self._rank(candidates, lang, limit, damping)

    def _candidates(self, text: str, language: str | None) -> dict[int, _Candidate]:
        query = self._analyse(text, language)
        if not query.terms:
            return {}
        phrasing_scores, phrasing_ideal, _ = self._phrasings.scores(query.terms)
        entry_scores, entry_ideal, matched = self._entries.scores(query.terms)
        best_phrasing: dict[int, float] = defaultdict(float)
        for p, s in phrasing_scores.items():
            e = self._phrasing_entry[p]
            best_phrasing[e] = max(best_phrasing[e], s)
        grams = _trigrams(query.content)
        best_gram: dict[int, float] = defaultdict(float)
        if grams:
            for p, other in enumerate(self._phrasing_grams):
                if other:
                    sim = len(grams & other) / math.sqrt(len(grams) * len(other))
                    e = self._phrasing_entry[p]
                    best_gram[e] = max(best_gram[e], sim)
        out: dict[int, _Candidate] = {}
        for e in set(best_phrasing) | set(entry_scores):
            p = min(1.0, best_phrasing.get(e, 0.0) / phrasing_ideal) if phrasing_ideal else 0.0
            q = min(1.0, entry_scores.get(e, 0.0) / entry_ideal) if entry_ideal else 0.0
            score = _W_PHRASING * p + _W_ENTRY * q + _W_TRIGRAM * best_gram.get(e, 0.0)
            out[e] = _Candidate(score, matched.get(e, 0))
        return out

    def _rank(
        self, candidates: Mapping[int, _Candidate], language: str | None, limit: int, damping: float
    ) -> list[Suggestion]:
        groups: dict[str, list[int]] = defaultdict(list)
        for e, cand in candidates.items():
            if cand.score >= _MIN_SCORE:
                entry = self.entries[e]
                groups[entry.group or entry.id].append(e)
        ranked: list[tuple[float, int]] = []
        for members in groups.values():
            best = max(members, key=lambda e: candidates[e].score)
            same_language = [e for e in members if self.entries[e].language == language]
            chosen = max(same_language, key=lambda e: candidates[e].score) if same_language else best
            ranked.append((candidates[best].score, chosen))
        ranked.sort(key=lambda r: (-r[0], self.entries[r[1]].id))
        out: list[Suggestion] = []
        for i, (score, e) in enumerate(ranked[:limit]):
            # Against the best other candidate: the top one is sure only if it stands out.
            rival = ranked[1][0] if i == 0 and len(ranked) > 1 else (ranked[0][0] if i else 0.0)
            confidence = _confidence(candidates[e], score, rival) * damping
            out.append(
                Suggestion(
                    entry_id=self.entries[e].id,
                    score=round(score, 4),
                    confidence=round(confidence, 4),
                    language=self.entries[e].language,
                )
            )
        return out


@dataclass(frozen=True, slots=True)
class _Candidate:
    score: float  # combined ranking score
    matched: int  # distinct message terms found in the entry (one shared word is weak evidence)


def _confidence(cand: _Candidate, score: float, rival: float) -> float:
    """Probability-like confidence that the answer fits: a logistic model over the match features.

    Coefficients were fitted once on the development split of ``assistant/eval/messages.jsonl`` (top-1
    right or not, every message, so chit-chat that merely mentions a product counts as a wrong answer)
    and rounded; the held-out split shows whether they generalise.
    """
    margin = max(0.0, (score - rival) / score) if score else 0.0
    z = _CONF_BIAS + _CONF_SCORE * score + _CONF_MARGIN * margin + _CONF_MATCHED * min(cand.matched, 4) / 4
    return 1.0 / (1.0 + math.exp(-z))
