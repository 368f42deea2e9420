"""What the bot says besides answers, in the customer's language, and fitting it to a channel."""

from __future__ import annotations

import re

CLARIFY = {
    "en": "Do you mean {options}?",
    "de": "Meinen Sie {options}?",
    "fr": "Voulez-vous dire {options} ?",
    "es": "¿Se refiere a {options}?",
}
OR = {"en": "or", "de": "oder", "fr": "ou", "es": "o"}
HANDOFF = {
    "en": "Thanks, I'm passing your request to a member of our team; they will reply here.",
    "de": "Danke, ich leite Ihre Anfrage an unser Team weiter; es antwortet Ihnen hier.",
    "fr": "Merci, je transmets votre demande à notre équipe ; elle vous répondra ici.",
    "es": "Gracias, paso su solicitud a nuestro equipo; le responderá aquí.",
}
SOURCE = {"en": "Source", "de": "Quelle", "fr": "Source", "es": "Fuente"}


def humanise(label: str) -> str:
    """'card_arrival' -> 'card arrival' (labels and titles both read as options)."""
    return re.sub(r"[_\-]+", " ", label).strip()


def clarify_question(options: list[str], language: str | None) -> str:
    lang = language if language in CLARIFY else "en"
    names = [f"“{humanise(o)}”" for o in options]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {OR[lang]} {names[-1]}"
    return CLARIFY[lang].format(options=joined)


def handoff_text(custom: str, language: str | None) -> str:
    return custom or HANDOFF.get(language or "en", HANDOFF["en"])


# Per channel: keep Markdown or not, and the longest reply worth sending. SMS: Twilio splits
# long bodies into segments the customer pays for; voice: the caller hears every word.
FORMATS = {
    "twilio_sms": (False, 480),
    "twilio_voice": (False, 400),
    "webchat": (False, 2000),  # the widget shows plain text (channels.webchat.adapter.LIMITS)
    "slack": (True, 3500),
    "email": (True, 20000),
}


def strip_markdown(text: str) -> str:
    text = re.sub(r"```.*?```", lambda m: m.group(0).strip("`"), text, flags=re.S)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", text)
    text = re.sub(r"(\*\*|__|\*|_|`)(.+?)\1", r"\2", text)
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.M)
    text = re.sub(r"^\s*[-*+]\s+", "- ", text, flags=re.M)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut after a sentence where one ends late enough."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "), cut.rfind("\n"))
    return cut[: end + 1].rstrip() if end > limit // 2 else cut.rstrip() + "…"


def for_channel(text: str, channel: str, *, source: str | None = None, language="en") -> str:
    markdown, limit = FORMATS.get(channel, (True, 20000))
    if not markdown:
        text = (
            re.sub(r"\s*\n\s*", " ", strip_markdown(text))
            if channel.startswith("twilio")
            else (strip_markdown(text))
        )
    text = shorten(text, limit)
    if source and markdown:
        text += f"\n\n{SOURCE.get(language, 'Source')}: {source}"
    return text
