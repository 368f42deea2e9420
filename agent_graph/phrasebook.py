"""The bot's own sentences in the customer's language: handing over, asking which one, and
saying that the answer that follows is in another language. English is the fallback.

    say("handoff", "es")                           -> "Gracias, paso su solicitud ..."
    clarify_question(["card lost", "pin"], "pt")   -> "Você quer dizer “card lost” ou “pin”?"
    answer_in("en", "de")                          -> "Ich habe das nur auf Englisch gefunden: ..."
"""

from __future__ import annotations

import re

PHRASES: dict[str, dict[str, str]] = {
    "handoff": {
        "en": "Thanks, I'm passing your request to a member of our team; they will reply here.",
        "es": "Gracias, paso su solicitud a nuestro equipo; le responderá aquí.",
        "fr": "Merci, je transmets votre demande à notre équipe ; elle vous répondra ici.",
        "de": "Danke, ich leite Ihre Anfrage an unser Team weiter; es antwortet Ihnen hier.",
        "pt": "Obrigado, estou encaminhando seu pedido para a nossa equipe; ela responderá aqui.",
        "it": "Grazie, inoltro la sua richiesta al nostro team; le risponderà qui.",
        "nl": "Bedankt, ik geef uw vraag door aan ons team; zij antwoorden u hier.",
    },
    "clarify": {
        "en": "Do you mean {options}?",
        "es": "¿Se refiere a {options}?",
        "fr": "Voulez-vous dire {options} ?",
        "de": "Meinen Sie {options}?",
        "pt": "Você quer dizer {options}?",
        "it": "Intende {options}?",
        "nl": "Bedoelt u {options}?",
    },
    "or": {"en": "or", "es": "o", "fr": "ou", "de": "oder", "pt": "ou", "it": "o", "nl": "of"},
    # Said before an answer written in another language (the English article or answer).
    "answer_in_english": {
        "en": "",
        "es": "Solo encontré la respuesta en inglés; se la dejo a continuación:",
        "fr": "Je n'ai trouvé la réponse qu'en anglais ; la voici :",
        "de": "Ich habe die Antwort nur auf Englisch gefunden; hier ist sie:",
        "pt": "Só encontrei a resposta em inglês; segue abaixo:",
        "it": "Ho trovato la risposta solo in inglese; eccola:",
        "nl": "Ik vond het antwoord alleen in het Engels; hier is het:",
    },
    "source": {
        "en": "Source",
        "es": "Fuente",
        "fr": "Source",
        "de": "Quelle",
        "pt": "Fonte",
        "it": "Fonte",
        "nl": "Bron",
    },
}
LANGUAGES = tuple(PHRASES["handoff"])


def say(key: str, language: str | None) -> str:
    """The phrase in `language`, or in English when the phrasebook lacks that language."""
    table = PHRASES[key]
    return table.get(language or "en", table["en"])


def humanise(label: str) -> str:
    """'card_arrival' -> 'card arrival' (labels and titles both read as options)."""
    return re.sub(r"[_\-]+", " ", label).strip()


def clarify_question(options: list[str], language: str | None) -> str:
    names = [f"“{humanise(o)}”" for o in options]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {say('or', language)} "
    joined = joined if len(names) == 1 else joined + names[-1]
    return say("clarify", language).format(options=joined)


def handoff_text(custom: str, language: str | None) -> str:
    """The admin's own handoff message when set (one language, as written), else ours."""
    return custom or say("handoff", language)


def answer_in(answer_language: str | None, language: str | None) -> str:
    """What to say before an answer in `answer_language` to a customer writing in `language`:
    nothing when they match (or either is unknown)."""
    if not answer_language or not language or answer_language == language:
        return ""
    return say("answer_in_english", language) if answer_language == "en" else ""
