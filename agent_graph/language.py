"""Language, sentiment and "wants a human" from the text alone: small word lists, no model.

Enough for routing and for choosing the knowledge-base locale; an LLM, when configured, answers
in the customer's language whatever this says. Languages: en, de, fr, es, it, pt, nl.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

STOPWORDS = {
    "en": "the a an and is are was to of in on for my i you it this that with not do does can "
    "how what why when have has be me your please help thanks hello hi",
    "de": "der die das und ist sind war zu von in im auf für mein meine ich sie es nicht wie "
    "was warum wann habe hat kann können bitte danke hallo ein eine mit mir ihr",
    "fr": "le la les et est sont était à de des du en pour mon ma mes je vous il elle ce pas "
    "comment quoi pourquoi quand ai avez peux pouvez merci bonjour un une avec moi votre",
    "es": "el la los las y es son era a de del en para mi mis yo usted tu no cómo como qué que "
    "por porqué cuándo tengo tiene puedo puede gracias hola un una con me su",
    "it": "il lo la gli le e è sono era di del della in per mio mia io lei non come cosa perché "
    "quando ho ha posso può grazie ciao un una con mi suo",
    "pt": "o a os as e é são era de do da em para meu minha eu você não como que por quando "
    "tenho tem posso pode obrigado olá um uma com me seu",
    "nl": "de het een en is zijn was te van in op voor mijn ik u je niet hoe wat waarom wanneer "
    "heb heeft kan kunnen alstublieft dank hallo met mij uw",
}
_SETS = {lang: set(words.split()) for lang, words in STOPWORDS.items()}
# Letters that only some of these languages use: a tie-breaker for very short messages.
_LETTERS = {"de": "äöüß", "fr": "èêçœàù", "es": "ñ¿¡", "pt": "ãõç", "it": "ì"}


def detect_language(text: str, default: str = "en") -> str:
    """The most likely language code; `default` when nothing distinguishes one."""
    words = [w.lower() for w in WORD.findall(text)]
    scores = {lang: sum(w in vocab for w in words) for lang, vocab in _SETS.items()}
    lowered = text.lower()
    for lang, letters in _LETTERS.items():
        scores[lang] += 0.5 * sum(lowered.count(ch) for ch in letters)
    best = max(scores, key=lambda lang: (scores[lang], lang == default))
    return best if scores[best] > 0 else default


_NEGATIVE = """angry annoyed awful bad broken cancel complaint disappointed disgusting frustrated
    furious hate horrible ridiculous rubbish scam terrible unacceptable useless worst wrong never
    refund stupid fraud lawyer sue disaster pathetic joke waste unhappy upset poor slow
    wütend schlecht schrecklich enttäuscht kaputt betrug nie furieux nul déçu arnaque
    inadmissible jamais enfadado decepcionado estafa nunca inaceptable"""
_POSITIVE = """thanks thank great good love excellent perfect awesome happy helpful nice wonderful
    appreciate danke super gut toll merci génial parfait
    gracias genial perfecto excelente"""
NEGATIVE, POSITIVE = frozenset(_NEGATIVE.split()), frozenset(_POSITIVE.split())
NEGATIONS = {"not", "no", "never", "nicht", "kein", "pas", "ne", "nunca"}


def sentiment(text: str) -> float:
    """-1 (angry) .. 1 (happy): lexicon hits, a negation flips the next word, shouting counts."""
    words = [w.lower() for w in WORD.findall(text)]
    score, hits = 0.0, 0
    for i, w in enumerate(words):
        polarity = (w in POSITIVE) - (w in NEGATIVE)
        if polarity and i and words[i - 1] in NEGATIONS and w != "never":
            polarity = -polarity
        score += polarity
        hits += bool(polarity)
    shouting = sum(1 for w in WORD.findall(text) if len(w) > 3 and w.isupper())
    score -= 0.5 * shouting + 0.25 * min(text.count("!"), 4) * (score < 0)
    return max(-1.0, min(1.0, score / (hits + 1)))


_HUMAN = re.compile(
    r"\b(human|real person|a person|someone real|live agent|an agent|representative|operator|"
    r"speak to (someone|somebody)|talk to (someone|somebody)|customer service rep|"
    r"mensch|mitarbeiter|echte person|humain|une personne|un conseiller|un agent|"
    r"persona real|un agente|una persona|operador)\b",
    re.IGNORECASE,
)


def asks_for_human(text: str) -> bool:
    return bool(_HUMAN.search(text))


_URGENT = re.compile(
    r"\b(urgent|asap|immediately|emergency|dringend|sofort|urgente|urgence)\b", re.I
)


def is_urgent(text: str) -> bool:
    return bool(_URGENT.search(text))
