"""What the bot says besides answers, in the customer's language, and fitting a reply to the
channel it goes out on: that channel's Limits (handed in by the gateway) and the bot's style."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent_graph import phrasebook
from store.messages import Limits

CLARIFY = {
    "en": "Do you mean {options}?",
    "de": "Meinen Sie {options}?",
    "fr": "Voulez-vous dire {options} ?",
    "es": "¿Se refiere a {options}?",
}
OR = {"en": "or", "de": "oder", "fr": "ou", "es": "o"}
SOURCE = {"en": "Source", "de": "Quelle", "fr": "Source", "es": "Fuente"}
SPOKEN_SOURCE = {
    "en": "This is from our help article {title}.",
    "de": "Das steht in unserem Hilfeartikel {title}.",
    "fr": "C'est dans notre article d'aide {title}.",
    "es": "Está en nuestro artículo de ayuda {title}.",
}


def humanise(label: str) -> str:
    """'card_arrival' -> 'card arrival' (labels and titles both read as options)."""
    return re.sub(r"[_\-]+", " ", label).strip()


def clarify_question(options: list[str], language: str | None) -> str:
    lang = language if language in CLARIFY else "en"
    names = [f"“{humanise(o)}”" for o in options]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {OR[lang]} {names[-1]}"
    return CLARIFY[lang].format(options=joined)


def handoff_text(custom: str, language: str | None) -> str:
    """The admin's handoff message, else ours in the customer's language (the phrasebook's
    languages: en, es, fr, de, pt, it, nl)."""
    return phrasebook.handoff_text(custom, language)


@dataclass(frozen=True)
class ReplyStyle:
    """The bot's own preference for its replies on a kind of channel, inside the channel's
    Limits: at most `max_chars` (None: as long as the channel allows), on one line or not,
    naming the article it answered from or not. Whether Markdown stays is the channel's call
    alone (Limits.markdown), and so is the hard length (Limits.max_text): the shorter wins."""

    max_chars: int | None = None
    one_line: bool = False
    cite_source: bool = True
    link_only: bool = False  # the citation is the short link alone when the title will not fit


# Shorter than the channel allows where length costs the customer: SMS bills every segment
# (480 characters = 3 concatenated GSM-7 ones, of the 1,600 a body may hold); a caller hears
# every word; the widget is a chat bubble (5,000 allowed, 2,000 read). Slack advises 4,000 per
# message; email has no limit worth cutting an answer at.
# Every answer names its source: title and help-centre link in writing (the link alone in an
# SMS when title and link do not both fit), the title spoken on a call.
BOT_STYLES = {
    "twilio_sms": ReplyStyle(480, one_line=True, link_only=True),
    "twilio_voice": ReplyStyle(400, one_line=True),
    "webchat": ReplyStyle(2000),
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


def article_link(public_url: str | None, article_id) -> str | None:
    """The help centre's page of an article (gateway/routes/help_center.py serves it)."""
    if not public_url or article_id in (None, ""):
        return None
    return f"{public_url.rstrip('/')}/help/articles/{article_id}"


def citation(
    source: str | None, link: str | None, limits: Limits, language: str | None, budget: int | None
) -> str:
    """The footer naming the answer's article, the longest form that fits `budget`."""
    if not source and not link:
        return ""
    lang = language if language in SOURCE else "en"
    if limits.speech_only:
        forms = [" " + SPOKEN_SOURCE[lang].format(title=source)] if source else []
    else:
        named = f"{source} ({link})" if source and link else (source or link)
        forms = [f"\n\n{SOURCE[lang]}: {named}"]
        if link and source:
            forms.append(f"\n\n{SOURCE[lang]}: {link}")
    return next((f for f in forms if budget is None or len(f) <= budget), "")


def for_channel(
    text: str,
    channel: str,
    limits: Limits = PLAIN,
    *,
    source: str | None = None,
    link: str | None = None,
    language: str | None = "en",
) -> str:
    """The reply fitted to the channel's limits and the bot's style there, with the source
    article's title (and its help-centre link where text can carry one) last: inside the
    length, never cut off; a long answer is shortened to make room for it."""
    style = BOT_STYLES.get(channel, ReplyStyle())
    if not limits.markdown:
        text = strip_markdown(text)
    one_line = style.one_line or limits.speech_only
    if one_line:
        text = re.sub(r"\s*\n\s*", " ", text)
    longest = max_chars(channel, limits)
    footer = ""
    if style.cite_source:
        budget = longest // 4 if longest is not None else None
        if not style.link_only and not limits.speech_only and link and budget:
            budget = max(budget, len(source or "") + len(link) + 20)
        footer = citation(
            source, link if not limits.speech_only else None, limits, language, budget
        )
        if one_line:
            footer = footer.replace("\n\n", " ")
    if longest is not None:
        text = shorten(text, longest - len(footer))
    return text + footer
