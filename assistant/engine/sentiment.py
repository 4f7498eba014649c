"""Lexicon-based sentiment in [-1, 1] for French and English customer messages.

Each known word, phrase, emoji or emoticon carries a valence (about -3..3). Around them: negators flip and
soften what follows ("pas bon", "not good", "jamais déçu"), intensifiers and downtoners scale the next
word ("trop bon", "super désagréable", "a bit dry"), "mais"/"but" shift the weight to what comes after,
exclamation marks and capitals add emphasis, and courtesy ("merci", "thanks", 🙏) counts little inside a
question. Phrases win over their words ("pas mal" is praise, "pas terrible" is not). The sum goes through
tanh so that a message full of emoji does not pin the scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .text import Token, fold, stem, tokenize, wordset

__all__ = ["NEUTRAL_BAND", "SentimentDetail", "analyze_sentiment", "sentiment_label", "sentiment_score"]

NEUTRAL_BAND = 0.2  # |score| below this is "neutral"


def _parse(spec: str) -> dict[str, float]:
    """ "2.5: adore adoré | -2: nul" -> {"adore": 2.5, ...} on folded forms."""
    out: dict[str, float] = {}
    for group in spec.split("|"):
        value, _, items = group.partition(":")
        for item in items.split():
            out[fold(item)] = float(value)
    return out


def _parse_phrases(spec: str) -> dict[tuple[str, ...], float]:
    """ "1.5: pas mal, not bad | -2: hors de prix" -> {("pas", "mal"): 1.5, ...} on folded words."""
    out: dict[tuple[str, ...], float] = {}
    for group in spec.split("|"):
        value, _, items = group.partition(":")
        for phrase in items.split(","):
            out[tuple(t.norm for t in tokenize(phrase) if t.kind == "word")] = float(value)
    return out


_FR_WORDS = _parse(
    "3: parfait parfaite parfaits excellent excellente excellents délicieux délicieuse délicieuses"
    " exceptionnel exceptionnelle merveille merveilleux merveilleuse incroyable incroyables magnifique"
    " sublime tuerie dinguerie divin divine extraordinaire génial géniale géniaux fabuleux fantastique"
    " meilleur meilleure meilleurs meilleures impeccable génialissime"
    "| 1: gagnez gagner gagné garanti garantis garantie offert offerte gratuit gratuite"
    "| 2.5: adore adoré adorée adorés adorer adorent ouf régal superbe ravi ravie bluffant top succulent"
    " bravo pépite"
    "| 2: super savoureux savoureuse recommande recommander recommandé adorable nickel miam heureux heureuse"
    " félicitations parfaitement love fan fans chef-d'œuvre"
    "| 1: bon bonne bons bonnes"
    "| 1.5: aime aimé aimer plaisir beau belle beaux joli jolie croustillant"
    " moelleux gourmand gourmande sympa gentil gentille souriant souriante accueillant accueillante"
    " agréable efficace professionnel professionnelle content contente satisfait satisfaite chouette cool"
    " addict régaler fondant canon"
    "| 1: remercie pro qualité mieux rapide léger légère fiable"
    "| 0.5: merci frais fraîche"
    "| -0.5: froid froide tiède attente"
    "| -1: panne lent lente dur dure plastique souci mou molle manque manquait bof triste terrible sec sèche"
    "| -1.5: retard erreur problème trempé trempée incomplet incomplète dommage grr malheureusement fade"
    " bondé bondée raté raccroché"
    "| -2: mauvais mauvaise mauvaises rassis rassise brûlé brûlée écrasé écrasée abîmé abîmée cassé cassée"
    " gâché gâchée gâchis malade pénible galère marre ridicule inexistant abusé impossible cheveu"
    " refusé refusée agressif agressive injoignable volé volée"
    "| -1.5: bug bugue buggé beugue glacial glaciale"
    "| -1: suspendu suspendue désactivé désactivée"
    "| -2.5: menti arnaqué arnaquée nul nulle nuls déçu déçue déçus déception décevant décevante"
    " désagréable impoli impolie"
    " malpoli furieux furieuse énervé énervée insupportable"
    "| -3: dégoûtant dégoûtante dégueulasse dégueu immonde horrible inadmissible inacceptable scandale"
    " scandaleux honte honteux lamentable catastrophe catastrophique arnaque voleurs immangeable infect"
    " pire"
)
_EN_WORDS = _parse(
    "3: amazing awesome perfect delicious incredible outstanding fantastic wonderful stunning superb"
    " exceptional best phenomenal divine heavenly"
    "| 2.5: love loved loves loving adore adored obsessed gorgeous brilliant beautiful fabulous yummy"
    " scrumptious slaps great"
    "| 2: lovely tasty happy recommend recommended favourite favorite grateful goat wow yum impressed gem"
    " legend delighted"
    "| 1.5: good nice glad friendly crispy fluffy cute helpful pleasant enjoy enjoyed appreciate"
    " appreciated pleased satisfied efficient professional highlight"
    "| 1: quick fast fine earn win won guaranteed free"
    "| 2: congratulations congrats"
    "| 0.5: thanks thank"
    "| -0.5: cold tiny"
    "| -1: dry expensive sorry issue problem meh mid unfortunately bland late hard slow outage"
    "| -1.5: wrong missing mediocre sad crowded packed missed buggy crashes crashed"
    "| -2: bad poor stale burnt burned broken broke crushed squashed smashed damaged overpriced sick"
    " annoyed annoying frustrating frustrated waste wasted lazy dirty stolen freezing"
    "| -1.5: violated bug bugged glitch glitchy"
    "| -1: suspended disabled"
    "| -2.5: lied unbearable aggressive rude disappointed disappointing ridiculous furious angry useless"
    " ruined sucks trash"
    "| -3: disgusting awful horrible worst unacceptable scam disgrace gross inedible appalling pathetic"
    " hate hated terrible shameful scammed"
    "| 0: please pls"
)
_LEXICONS = {"fr": _FR_WORDS, "en": _EN_WORDS}

_PHRASES = _parse_phrases(
    "2.5: trop bien, trop bon, trop bonne, trop bons, de ouf, à tomber, au top, rien à redire,"
    " merci d'exister, can not get enough, great job, top notch"
    "| 2: fait plaisir, would recommend, well done, good job, ils me ont remboursé, on me a remboursé,"
    " me a remboursé, me ont remboursé, ai été remboursé, ai été remboursée, suis remboursé,"
    " suis remboursée, refunded me, got my refund, got a refund, got my money back, been refunded"
    "| 1.5: ce est réglé, tout est réglé, problème résolu, problème réglé, all sorted, all good now,"
    " it is fixed, it is sorted, issue resolved, problem solved, marche à nouveau, works again,"
    " working again, remarche"
    "| 1.5: pas mal, sans hésiter, pile à l'heure, merci beaucoup, merci pour, bonne année, joyeux"
    " noël, not bad, i like, we like, i liked, we liked, really like, really liked, hands down,"
    " right on time, happy holidays, merry christmas"
    "| 1: pas trop sucré, pas trop sucrée, geste commercial, bon courage, on time, thank you"
    "| 0.5: à l'heure, pas de souci, pas de problème, no worries, no problem"
    "| 0.2: merci d'avance, thanks in advance"
    "| 0: top up, topped up, nulle part, belle mère, beau père, belle sœur, beau frère, belle fille,"
    " beaux parents,"
    " belle famille, customer service, service client, gluten free, sans gluten"
    "| -0.5: à peine"
    "| -1: trop sucré, trop sucrée, trop salé, pour rien, for nothing, too sweet"
    "| -1.5: beaucoup trop, bien trop, way too, far too, much too"
    "| -1.5: pas terrible, pas top, pas ouf, pas cool, pas cuit, pas assez cuit, n'importe comment,"
    " trop cuit, en retard, toujours pas, bof bof, les yeux au ciel, do not like, did not like,"
    " does not like, still waiting, still hasn't, nothing like"
    "| -2: n'importe quoi, se fout de, vous foutez, une blague, are you kidding, what a joke,"
    " is this a joke, ce est du vol, merci pour rien, thanks for nothing, sans prévenir, no warning,"
    " without warning, without notice, ne marche pas, ne marche plus, marche plus, ne fonctionne pas,"
    " ne fonctionne plus, fonctionne plus, not working, does not work, do not work, is down, hung up,"
    " are you serious, hors de prix, trop cher, toujours rien, pas de réponse,"
    " aucune réponse, personne ne répond, personne répond, plus jamais, no reply, no answer,"
    " nobody answers, a joke, waste of, too expensive, let down, fed up"
    "| -2.5: jamais passé, jamais venu, jamais venue, never showed up, never showed, did not show up,"
    " no show, never came, never arrived, will not be back, not coming back, rip off, ripped off"
    "| -3: à chier, foutage de gueule"
)
_PHRASE_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _p in sorted(_PHRASES, key=len, reverse=True):
    _PHRASE_FIRST.setdefault(_p[0], []).append(_p)

_EMOJI = _parse(
    "2.5: 😍 🥰 ❤ 🤩 💖 💕 💗 😻 | 2: 😋 🤤 👏 🙌 🔥 💯 🥳 ⭐ 🌟 | 1.5: 👍 👌 😊 😀 😁 😄 😃 😘 🎉 ☺"
    "| 1: 🙂 💪 ✨ | 0.8: 🙏 😂 🤣 | 0.3: 😅 | -0.5: 😐 | -1: 😕 😑 | -1.5: 😢 😭 😒 🙄 ☹ 🙁 😩 😫 😔 🤦 😞"
    "| -2: 😠 👎 💩 🤢 😤 | -2.5: 😡 🤮 | -3: 🤬"
)
# fmt: off
_EMOTICONS = {":)": 1.5, ":-)": 1.5, ":d": 2.0, ":-d": 2.0, ";)": 1.0, "<3": 2.5, "^^": 1.0, "^_^": 1.0,
              "xd": 1.0, ":(": -1.5, ":-(": -1.5, ":'(": -1.5, ":/": -1.0, ":p": 0.5}
# fmt: on
_LAUGHTER = dict.fromkeys(wordset("lol mdr ptdr haha hahaha hihi lmao xd"), 0.4)
_NEGATORS = wordset(
    "pas jamais aucun aucune rien ni sans guère ne not no never nothing nobody none without hardly neither"
    " nor cannot"
)
_INTENSIFIERS = {
    **dict.fromkeys(wordset("très trop vraiment vrmt tellement hyper super méga ultra grave vachement"), 1.5),
    **dict.fromkeys(wordset("carrément complètement totalement absolument extrêmement énormément"), 1.5),
    **dict.fromkeys(wordset("very really so super extremely totally absolutely incredibly insanely"), 1.5),
    **dict.fromkeys(wordset("too truly completely utterly seriously highly mega soo such"), 1.5),
    **dict.fromkeys(wordset("particulièrement franchement bien grosse gros pretty quite beaucoup si"), 1.25),
    **dict.fromkeys(wordset("assez plutôt presque kinda somewhat slightly légèrement moyennement"), 0.6),
}
_DOWNTONER_PHRASES = {("un", "peu"): 0.5, ("a", "bit"): 0.5, ("a", "little"): 0.5}
_CONTRAST = wordset("mais but however cependant pourtant though although")
_COURTESY = frozenset(["merci", "thanks", "thank", "🙏", "svp", "please"])
_NEGATION_SCOPE = 3
_KNOWN = frozenset(_INTENSIFIERS) | _NEGATORS | frozenset(_PHRASE_FIRST) | frozenset(_CONTRAST)


def _loose(word: str) -> str:
    if word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


_DERIVED = ("ly", "ful", "ness", "ment")


def _fuzzy_maps(lexicon: dict[str, float], language: str) -> dict[str, float]:
    """Looser keys (plural/feminine, stem) for one language; short or derived words stay exact only."""
    out: dict[str, float] = {}
    for key, value in lexicon.items():
        if len(key) < 5 or key.endswith(_DERIVED):
            continue
        out.setdefault(_loose(key), value)
        stemmed = stem(key, language)
        if len(stemmed) >= 5:
            out.setdefault(stemmed, value)
    return out


_FUZZY = {lang: _fuzzy_maps(lex, lang) for lang, lex in _LEXICONS.items()}


def _word_value(norm: str, language: str | None) -> float | None:
    order = ("en", "fr") if language == "en" else ("fr", "en")
    for form in (norm, _collapse_all(norm)):
        for lang in order:
            if form in _LEXICONS[lang]:
                return _LEXICONS[lang][form]
        if form in _LAUGHTER:
            return _LAUGHTER[form]
    if len(norm) < 5:
        return None
    for lang in (language,) if language in _FUZZY else order:
        fuzzy = _FUZZY[lang]
        for form in (_loose(norm), stem(norm, lang)):
            if form in fuzzy:
                return fuzzy[form]
    return None


def _collapse_all(word: str) -> str:
    out: list[str] = []
    for ch in word:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class SentimentDetail:
    score: float  # -1..1
    strongest_positive: float  # largest positive contribution (0 if none): tells praise from a mere "lol"
    strongest_negative: float  # most negative contribution (0 if none)


def analyze_sentiment(tokens: Sequence[Token] | str, language: str | None = None) -> SentimentDetail:
    if isinstance(tokens, str):
        tokens = tokenize(tokens)
    is_question = any(t.kind == "punct" and "?" in t.text for t in tokens)
    exclamations = sum(t.text.count("!") for t in tokens if t.kind == "punct")
    items: list[tuple[int, float]] = []  # (clause index, contribution)
    clause_words: dict[int, int] = {}  # clause index -> how many words it has
    clause = 0
    negated_for = 0  # how many more words the last negator covers
    scale = 1.0
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        if tok.kind == "punct":
            negated_for, scale = 0, 1.0
            if tok.norm in ".;!?":
                clause += 1
            i += 1
            continue
        value: float | None = None
        width = 1
        if tok.kind == "word":
            clause_words[clause] = clause_words.get(clause, 0) + 1
        if tok.kind == "word" and tok.norm not in _KNOWN:
            tok = _canonical(tok)
        if tok.kind == "emoji":
            value = _EMOJI.get(tok.norm) or _EMOJI.get(tok.norm[:1])
        elif tok.kind == "emoticon":
            value = _EMOTICONS.get(tok.norm)
        elif tok.kind == "word":
            for phrase in _PHRASE_FIRST.get(tok.norm, ()):
                if tuple(t.norm for t in tokens[i : i + len(phrase)]) == phrase:
                    value, width = _PHRASES[phrase], len(phrase)
                    break
            if value is None and tuple(t.norm for t in tokens[i : i + 2]) in _DOWNTONER_PHRASES:
                scale *= _DOWNTONER_PHRASES[(tok.norm, tokens[i + 1].norm)]
                i += 2
                continue
            if value is None and tok.norm in _CONTRAST:
                clause += 1
                items.append((-1, 0.0))  # marks the contrast point
                i += 1
                continue
            if value is None and tok.norm in _INTENSIFIERS and _next_is_valued(tokens, i + 1, language):
                scale *= _INTENSIFIERS[tok.norm]
                i += 1
                continue
            if value is None and tok.norm in _NEGATORS:
                negated_for = _NEGATION_SCOPE
                i += 1
                continue
            if value is None:
                value = _word_value(tok.norm, language)
                if value is not None and tok.text.isupper() and len(tok.text) >= 3:
                    value *= 1.3
        if value is not None:
            if negated_for and width == 1 and tok.kind == "word":
                value *= -0.6 if value > 0 else -0.5
            if is_question and tok.norm in _COURTESY:
                value *= 0.3  # "merci" closing a question is politeness, not praise
            elif is_question and abs(value) <= 1.0:
                value *= 0.5  # mild words in a question describe more than they judge
            items.append((clause, value * scale))
            negated_for, scale = 0, 1.0
        elif negated_for:
            negated_for -= 1
        i += width
    return _combine(_irony(items, clause_words), exclamations)


def _irony(items: list[tuple[int, float]], clause_words: dict[int, int]) -> list[tuple[int, float]]:
    """ "The technician never came. Great." / "Trois rendez-vous annulés, bravo !": a praise word standing
    alone in its clause, in a message that also complains, is irony and counts against."""
    if not any(v <= -1.0 for c, v in items if c != -1):
        return items
    return [
        (c, -abs(v)) if c != -1 and v > 0 and clause_words.get(c) == 1 and c > 0 else (c, v) for c, v in items
    ]


def _canonical(tok: Token) -> Token:
    """ "trooop" (already "troop") -> "trop" when only the fully collapsed form is a known word."""
    collapsed = _collapse_all(tok.norm)
    return Token(tok.text, collapsed, tok.kind) if collapsed in _KNOWN else tok


def _next_is_valued(tokens: Sequence[Token], j: int, language: str | None) -> bool:
    for tok in tokens[j : j + 2]:
        if tok.kind == "word" and (
            tok.norm in _NEGATORS or tok.norm in _PHRASE_FIRST or _word_value(tok.norm, language) is not None
        ):
            return True
        if tok.kind == "word" and tok.norm in _INTENSIFIERS:
            continue
        return False
    return False


def _combine(items: list[tuple[int, float]], exclamations: int) -> SentimentDetail:
    # What follows "mais"/"but" weighs more than what precedes it.
    contrast_at = max((k for k, (c, _) in enumerate(items) if c == -1), default=None)
    total = 0.0
    contributions: list[float] = []
    for k, (c, v) in enumerate(items):
        if c == -1:
            continue
        if contrast_at is not None:
            v *= 0.5 if k < contrast_at else 1.5
        contributions.append(v)
        total += v
    if total:
        total *= 1.0 + 0.15 * min(exclamations, 3)
    score = math.tanh(total / 2.5)
    return SentimentDetail(
        score=round(score, 4),
        strongest_positive=max((v for v in contributions if v > 0), default=0.0),
        strongest_negative=min((v for v in contributions if v < 0), default=0.0),
    )


def sentiment_score(text: str, language: str | None = None) -> float:
    """Sentiment of ``text`` in [-1, 1]."""
    return analyze_sentiment(text, language).score


def sentiment_label(score: float) -> str:
    """ "negative", "neutral" or "positive", with a neutral band of ``NEUTRAL_BAND`` around zero."""
    if score <= -NEUTRAL_BAND:
        return "negative"
    if score >= NEUTRAL_BAND:
        return "positive"
    return "neutral"
