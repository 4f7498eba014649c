"""Intent of an inbound message: question, complaint, praise, spam or other.

Features, then rules in a fixed order of precedence: spam first (whatever it says), then complaint (a
customer with a problem who also asks "where is my order?" needs the complaint path), then question (with
or without "?": "vous livrez a bron ou pas", "je cherche un job"), then praise, then other. Messages that
tag friends and do not address the business ("@julie on y va samedi ?") are conversation, not questions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .sentiment import SentimentDetail, analyze_sentiment
from .spam import SpamResult, spam_check
from .text import Token, tokenize, wordset

__all__ = ["INTENTS", "IntentFeatures", "classify_intent", "intent_features"]

QUESTION, COMPLAINT, PRAISE, SPAM, OTHER = "question", "complaint", "praise", "spam", "other"
INTENTS = (QUESTION, COMPLAINT, PRAISE, SPAM, OTHER)

# Words that open a question, on folded forms, at the start of a clause.
_QUESTION_OPENERS = wordset(
    """
    quel quelle quels quelles quand comment combien pourquoi ou qui est-ce avez pouvez faites livrez
    ouvrez acceptez proposez prenez vendez etes serez auriez pourriez peut est existe
    what when where how why which who whats do does did can could would will is are any anything
    have has should may shall
    """
)
# Phrases asking for information or a service without a question mark.
_REQUEST_RE = re.compile(
    r"\b(?:je (?:voudrais|voudrai|souhaite|souhaiterais|cherche|recherche|aimerais|veux savoir)|"
    r"je aimerais|je me demandais|savoir si|possible de|ce est possible|est ce possible|on peut|je peux|"
    r"besoin (?:de|de un|de une)|dites moi|des infos?|renseignements?|vous (?:faites|livrez|avez|vendez|"
    r"prenez|acceptez|ouvrez|etes|proposez|recrutez|embauchez)|"
    r"i would like|i am looking for|looking for|i need|need (?:a|an|some|to)|"
    r"wondering|let me know|is it possible|do (?:you|u)|can (?:i|you|u|we)|are (?:you|u)|"
    r"any (?:chance|way)|c quoi|ce est quoi|cest quoi|"
    r"aidez moi|aide moi|help me|je fais (?:quoi|comment)|que (?:dois je|faire)|"
    r"what (?:do|should|can) i do|"
    r"je ai (?:oublie|perdu)|i (?:forgot|lost|left) (?:my|a|an|the)|(?:left|forgot|lost) my)\b"
)
# Spoken-style questions and bare requests: "vous livrez à Bron ou pas", "tel de la boutique svp".
_TAG_QUESTION_RE = re.compile(r"\b(?:ou pas|ou non|or not|or nah|oui ou non)\b")
_COURTESY_REQUEST_RE = re.compile(r"\b(?:svp|stp|pls|plz|please|se il vous plait|se il te plait)\b")
# English auxiliaries open a question only when a subject follows ("can I", not "can't get enough").
_AUXILIARIES = wordset("do does did can could would will is are have has should may shall")
_SUBJECTS = wordset(
    "i you u we they it there he she this that these those your my our the a an any anyone someone"
)
# Inverted French questions: "ouvrez-vous", "livre-t-il", "avez-vous".
_INVERSION_RE = re.compile(r"\b(?!rendez-)\w+-(?:t-)?(?:vous|tu|il|elle|on|ils|elles|je)\b", re.IGNORECASE)
_GREETINGS = wordset("bonjour bonsoir salut slt bjr coucou hello hi hey yo wesh")
_ADDRESSES_BUSINESS = wordset("vous vos votre vs you your u ur y'all yall")
# Problem reports that make a message a complaint on their own ("toujours pas reçu", "was due at 10").
_STRONG_COMPLAINT_RE = re.compile(
    r"\b(?:jamais (?:recu|arrive|livre)\w*|pas (?:encore )?(?:recu|arrive|livre)\w*|toujours pas|"
    r"toujours rien|personne ne|aucune reponse|pas de reponse|inadmissible|inacceptable|scandale|"
    r"arnaque|devait (?:arriver|etre livre\w*)|never (?:came|arrived)|not (?:received|arrived|come)|"
    r"still waiting|no reply|was due|supposed to (?:arrive|be here)|should have (?:arrived|been)|"
    r"unacceptable|disgusting|worst)\b"
)
# Words that point to a problem but also appear in plain questions ("how long does a refund take?").
_COMPLAINT_RE = re.compile(
    r"\b(?:retard|rembourse\w*|remboursement|je veux|"
    r"ecrase\w*|abime\w*|casse\w*|brule\w*|rassis\w*|immangeable|cheveu|factur\w*|debite\w*|manqu\w*|"
    r"incomplet\w*|refuse\w*|malade|plus de pain|je attends|attend\w* depuis|service client|"
    r"late|waiting|refund|charged|wrong|missing|damaged|broken|crushed|squashed|smashed|stale|"
    r"burnt|rude|not let|sick|overpriced|complain\w*|where is my|"
    r"ou est ma|waste\w*|ne marche|ne fonctionne|marche plus|fonctionne plus|not working|does not work|"
    r"sans prevenir|without (?:warning|notice)|no warning|will not (?:work|let)|"
    r"encore une fois|une fois de plus|(?:once|yet) again|\w+ again (?:this|today|tonight)|"
    r"(?:depuis|ca fait|cela fait) \d+ (?:jours?|semaines?|mois|heures?|h)|"
    r"for \d+ (?:days?|weeks?|months?|hours?))\b"
)
# Words of an unhappy tone that report no problem by themselves: they make a complaint of a message with no
# question in it, but a question asked with them ("why is it so hard to cancel?! ridiculous") stays one.
_TONE_RE = re.compile(r"\b(?:honte|decu\w*|deception|ne importe quoi|disappointed|ridiculous|a joke)\b")
_PRAISE_RE = re.compile(
    r"\b(?:merci pour|merci a|merci de|bravo|felicitations|thank you for|thanks for|love|loved|best|"
    r"meilleur\w*|recommande|recommend|je recommande|great job|well done|top)\b"
)
# Seasonal wishes and greetings are friendly, but they are not praise of the business.
_WISHES_RE = re.compile(
    r"\b(?:bonne annee|joyeux noel|joyeuses fetes|bonnes fetes|bon courage|happy (?:holidays|new year)|"
    r"merry christmas|season.s greetings)\b"
)


@dataclass(frozen=True, slots=True)
class IntentFeatures:
    question: float
    complaint: float
    problem: float  # the part of ``complaint`` that reports a problem, as opposed to a negative tone
    praise: float
    sentiment: SentimentDetail
    spam: SpamResult
    talks_to_others: bool
    wishes: bool


def _folded_text(tokens: Sequence[Token]) -> str:
    return " ".join(t.norm for t in tokens if t.kind in ("word", "number", "punct"))


def intent_features(
    tokens: Sequence[Token] | str,
    *,
    language: str | None = None,
    text: str | None = None,
    recent_texts: Sequence[str] = (),
    sentiment: SentimentDetail | None = None,
    spam: SpamResult | None = None,
) -> IntentFeatures:
    if isinstance(tokens, str):
        text, tokens = tokens, tokenize(tokens)
    raw = text if text is not None else " ".join(t.text for t in tokens)
    sentiment = sentiment or analyze_sentiment(tokens, language)
    spam = spam or spam_check(raw, recent_texts=recent_texts, tokens=tokens)
    folded = _folded_text(tokens)
    words = [t.norm for t in tokens if t.kind == "word"]

    question = 0.0
    if words and any(t.kind == "punct" and "?" in t.text for t in tokens):
        question += 2.0
    clause_starts = [0] + [i + 1 for i, t in enumerate(tokens) if t.kind == "punct"]
    for start in clause_starts:
        rest = [t.norm for t in tokens[start : start + 4] if t.kind == "word" and t.norm not in _GREETINGS]
        if rest and rest[0] in _QUESTION_OPENERS:
            if rest[0] in _AUXILIARIES and (len(rest) < 2 or rest[1] not in _SUBJECTS):
                continue
            question += 1.5
            break
    if _INVERSION_RE.search(raw):
        question += 1.5
    for pattern in (_REQUEST_RE, _TAG_QUESTION_RE, _COURTESY_REQUEST_RE):
        if pattern.search(folded):
            question += 1.5

    problem = 2.0 * len(_STRONG_COMPLAINT_RE.findall(folded)) + len(_COMPLAINT_RE.findall(folded))
    complaint = problem + len(_TONE_RE.findall(folded))
    if sentiment.score < 0:
        complaint += -sentiment.score * 2.0
    praise = float(len(_PRAISE_RE.findall(folded)))
    if sentiment.score > 0 and sentiment.strongest_positive >= 1.0:
        praise += sentiment.score * 2.0

    mentions = any(t.kind == "mention" for t in tokens)
    talks_to_others = mentions and not _ADDRESSES_BUSINESS.intersection(words)
    return IntentFeatures(
        question=question,
        complaint=complaint,
        problem=problem,
        praise=praise,
        sentiment=sentiment,
        spam=spam,
        talks_to_others=talks_to_others,
        wishes=bool(_WISHES_RE.search(folded)),
    )


def decide_intent(f: IntentFeatures) -> str:
    if f.spam.is_spam:
        return SPAM
    if f.question >= 3.5 and not f.problem and not f.talks_to_others:
        return QUESTION  # a question asked in anger ("WHY is it so hard to reach you? what number?")
    if f.question >= 1.5 and not f.problem and f.complaint < 2.0 and not f.talks_to_others:
        return QUESTION  # unhappy, but no problem reported: "j'ai oublié mon sac 😭, on fait comment ?"
    if f.complaint >= 2.0 or (f.complaint >= 1.0 and f.sentiment.score <= -0.4):
        return COMPLAINT
    if f.complaint >= 1.0 and f.question < 2.0 and f.sentiment.score < 0.2:
        return COMPLAINT
    if f.question >= 1.5 and not f.talks_to_others:
        return QUESTION
    if f.praise >= 1.0 and f.sentiment.score >= 0.2 and not f.wishes:
        return PRAISE
    if f.sentiment.score <= -0.4:
        return COMPLAINT
    return OTHER


def classify_intent(text: str, *, language: str | None = None, recent_texts: Sequence[str] = ()) -> str:
    """One of ``INTENTS`` for ``text``."""
    return decide_intent(intent_features(text, language=language, recent_texts=recent_texts))
