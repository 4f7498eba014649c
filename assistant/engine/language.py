"""French / English / unknown, from function words, spelling and character trigrams.

Each kind of evidence adds points to a language; a message needs enough points, and a clear lead, to get a
language. Short messages ("ok", "lol", an emoji) usually carry no evidence and come out "unknown", which is
the honest answer. A few common words of Spanish, German, Italian and Portuguese count as evidence for
"other", so that "Haben Sie glutenfreies Brot?" is not called English for lack of anything better.
"""

from __future__ import annotations

from collections.abc import Sequence

from .text import Token, tokenize, wordset

__all__ = ["ENGLISH", "FRENCH", "UNKNOWN", "detect_language", "language_scores"]

FRENCH = "fr"
ENGLISH = "en"
UNKNOWN = "unknown"

# Function words and chat words that are strong evidence for one language only. Words shared by both
# ("a", "on", "me", "son", "ok", "lol") are deliberately missing.
_FR_WORDS = wordset(
    """
    le la les des du un une est et je tu il elle nous vous ils elles ce cette ces que qui quoi pour pas
    avec dans sur mais ou où au aux ça ici chez merci bonjour bonsoir svp stp oui non très trop plus
    moi toi mon ma mes ton ta tes notre nos votre vos leur leurs suis sont être avez avons fait faites
    quel quelle quels quelles quand comment combien pourquoi peut peux puis-je voudrais aimerais
    bjr slt cc coucou salut mdr ptdr jsp jpp wesh tkt stv bcp pk pq vs vrmt c'est jamais rien aussi
    déjà encore toujours demain aujourd'hui hier soir matin semaine dimanche samedi lundi mardi
    mercredi jeudi vendredi heure heures prix gâteau gâteaux pain boulangerie commande livraison
    carte avoir été dès depuis vers chaque tout tous toute toutes beaucoup peu bien bon bonne
    ouvert ouverte ouverts fermé fermée voir venir passer prendre acheter payer savoir veux vraiment
    franchement génial déçu déçue nul nulle ils elles y'a tjrs cet celui celle dont alors donc car
    """
)
_EN_WORDS = wordset(
    """
    the and is are you your we i it this that to of for with at in do does did can could would will
    what when where how why which who have has had not no yes please thanks thank hi hey hello my our
    be been there their they them was were an from just any some get got want need about there's
    u ur pls plz thx omg btw tbh idk lmk imo gonna wanna y'all yall guys today tomorrow tonight
    morning evening week sunday saturday monday tuesday open close order delivery cake bread shop
    price much many very really so too also if or but all one love best good great nice
    here never always every everyone as had than then only us would should thank been being isn't
    recommend amazing awesome lovely thanks anyone someone something nothing agree totally same sure
    exactly
    """
)
# Common words of other languages, so that they do not fall back on French or English.
_OTHER_WORDS = wordset(
    """
    el los las por para con una es hola gracias abren abre qué cuánto cuándo dónde tienen muy pero
    der die das und ist nicht ich sie haben mit für ein eine danke bitte sehr gut wann wo wie
    della delle sono questo questa grazie buono buonissimo molto ciao quando dove perché che
    obrigado obrigada pelo pela estava muito você vocês não bolo olá quando onde
    """
)
# Character trigrams (on " word " padded forms) typical of each language's spelling.
_FR_TRIGRAM_SPEC = (
    "eau|aux|oux|ais|ait|ées|ée | qu|que|ez |ous|tte|ill|oir|eux|ois|ier|ien|ère|ès | ça|oeu|œu "
    "| dé|nt | ui| au|és |re |te |ne |eur|ain"
)
_EN_TRIGRAM_SPEC = (
    " th|the|he |ing|ng |ght| wh|ck |ly |ed |ow |eek|ood|ook|ead|eat|ou |you|ur |ey | sh|ss |wan|ful|ish"
    "|ay |nk |ks |ts |gh "
)
_FR_TRIGRAMS = frozenset(_FR_TRIGRAM_SPEC.split("|"))
_EN_TRIGRAMS = frozenset(_EN_TRIGRAM_SPEC.split("|"))
_FR_LETTERS = frozenset("éèêàâçùûôîïëœ")
_OTHER_LETTERS = frozenset("áíóúñãõ¿¡ßäöü")
_EN_CONTRACTION_WEIGHT = 1.5
_FR_ELISION_WEIGHT = 1.5
_MIN_EVIDENCE = 1.2
_MIN_LEAD = 0.6


def _trigrams(word: str) -> list[str]:
    padded = f" {word} "
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


def language_scores(tokens: Sequence[Token] | str) -> dict[str, float]:
    """Evidence points for "fr", "en" and "other" (any third language)."""
    if isinstance(tokens, str):
        tokens = tokenize(tokens)
    fr = en = other = 0.0
    words = [t for t in tokens if t.kind == "word"]
    seen_originals: set[str] = set()
    for tok in words:
        if tok.elided:
            fr += _FR_ELISION_WEIGHT
            continue
        if tok.contraction:
            en += _EN_CONTRACTION_WEIGHT
            continue
        norm = tok.norm
        if norm not in _FR_WORDS and norm not in _EN_WORDS and norm.endswith("s"):
            norm = norm[:-1]  # "sundays", "dimanches"
        in_fr, in_en, in_other = norm in _FR_WORDS, norm in _EN_WORDS, norm in _OTHER_WORDS
        fr += 1.0 if in_fr else 0.0
        en += 1.0 if in_en else 0.0
        other += 1.0 if in_other and not (in_fr or in_en) else 0.0
        if tok.text in seen_originals:
            continue
        seen_originals.add(tok.text)
        lowered = tok.text.casefold()
        if _FR_LETTERS.intersection(lowered):
            fr += 0.8
        if _OTHER_LETTERS.intersection(lowered):
            other += 1.0
        if in_fr or in_en or in_other or len(norm) < 3:
            continue
        grams = _trigrams(lowered)
        fr += 0.25 * sum(g in _FR_TRIGRAMS for g in grams)
        en += 0.25 * sum(g in _EN_TRIGRAMS for g in grams)
    if any(t.kind == "punct" and t.text[0] in "¿¡" for t in tokens):
        other += 2.0  # Spanish opening marks
    return {FRENCH: fr, ENGLISH: en, "other": other}


def detect_language(text: str | Sequence[Token]) -> str:
    """ "fr", "en" or "unknown" (too short, emoji only, mixed, or another language)."""
    tokens = tokenize(text) if isinstance(text, str) else text
    scores = language_scores(tokens)
    fr, en, other = scores[FRENCH], scores[ENGLISH], scores["other"]
    best, runner_up = (FRENCH, fr), en
    if en > fr:
        best, runner_up = (ENGLISH, en), fr
    # One sure word and nothing against it is enough for a short message ("Bonjour", "merci !", "Hello").
    lone_word = best[1] >= 1.0 and not runner_up and not other
    if not lone_word and (best[1] < _MIN_EVIDENCE or best[1] - runner_up < _MIN_LEAD or other >= best[1]):
        return UNKNOWN
    return best[0]
