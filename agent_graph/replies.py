"""What the bot says besides answers, in the customer's language, and fitting a reply to the
channel it goes out on: that channel's Limits (handed in by the gateway) and the bot's style."""

from __future__ import annotations

import re
from dataclasses import dataclass

from store.messages import Limits

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


@dataclass(frozen=True)
class ReplyStyle:
    """The bot's own preference for its replies on a kind of channel, inside the channel's
    Limits: at most `max_chars` (None: as long as the channel allows), on one line or not,
    naming the article it answered from or not. Whether Markdown stays is the channel's call
    alone (Limits.markdown), and so is the hard length (Limits.max_text): the shorter wins."""

    max_chars: int | None = None
    one_line: bool = False
    cite_source: bool = True


# Shorter than the channel allows where length costs the customer: SMS bills every segment
# (480 characters = 3 concatenated GSM-7 ones, of the 1,600 a body may hold); a caller hears
# every word; the widget is a chat bubble (5,000 allowed, 2,000 read). Slack advises 4,000 per
# message; email has no limit worth cutting an answer at.
BOT_STYLES = {
    "twilio_sms": ReplyStyle(480, one_line=True, cite_source=False),
    "twilio_voice": ReplyStyle(400, one_line=True, cite_source=False),
    "webchat": ReplyStyle(2000, cite_source=False),
    "slack": ReplyStyle(3500),
    "email": ReplyStyle(None),
}
PLAIN = Limits()  # a channel nobody declared (the inbound API): plain text, any length


def max_chars(channel: str, limits: Limits) -> int | None:
    """The longest reply the bot sends on `channel`: its own preference within the limit."""
    caps = [c for c in (BOT_STYLES.get(channel, ReplyStyle()).max_chars, limits.max_text) if c]
    return min(caps) if caps else None


def format_hint(channel: str, limits: Limits) -> str:
    """How the reply must look, in words (for the LLM's instructions)."""
    if limits.speech_only:
        how = "words to be spoken aloud: no Markdown, links, lists or emoji"
    elif limits.markdown:
        how = "Markdown is allowed"
    else:
        how = "plain text, no Markdown"
    longest = max_chars(channel, limits)
    return how + (f"; at most {longest} characters" if longest else "")


def strip_markdown(text: str) -> str:
    """Plain text that reads the same: link targets in brackets, bullets as "- ", paragraphs
    kept. Line patterns stay within one line (so the blank lines between paragraphs survive);
    emphasis goes only at word edges (snake_case words and URLs keep their underscores)."""
    text = re.sub(r"```.*?```", lambda m: m.group(0).strip("`"), text, flags=re.S)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", text)
    text = re.sub(r"^[ \t]{0,3}#{1,6}[ \t]*", "", text, flags=re.M)
    text = re.sub(r"^[ \t]*[-*+][ \t]+", "- ", text, flags=re.M)
    text = re.sub(r"(?<![\w*_`])(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1(?![\w*_`])", r"\2", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut after a sentence where one ends late enough."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "), cut.rfind("\n"))
    return cut[: end + 1].rstrip() if end > limit // 2 else cut.rstrip() + "…"


def for_channel(
    text: str,
    channel: str,
    limits: Limits = PLAIN,
    *,
    source: str | None = None,
    language: str | None = "en",
) -> str:
    """The reply fitted to the channel's limits and the bot's style there, with the source
    article's title last where the style names it (inside the length, never cut off)."""
    style = BOT_STYLES.get(channel, ReplyStyle())
    if not limits.markdown:
        text = strip_markdown(text)
    if style.one_line or limits.speech_only:
        text = re.sub(r"\s*\n\s*", " ", text)
    cite = source and style.cite_source and not limits.speech_only
    footer = f"\n\n{SOURCE.get(language or 'en', 'Source')}: {source}" if cite else ""
    longest = max_chars(channel, limits)
    if longest is not None:
        if len(footer) > longest // 4:
            footer = ""  # the answer matters more than its title
        text = shorten(text, longest - len(footer))
    return text + footer
