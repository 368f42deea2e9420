"""Reply text as Twilio carries it: plain SMS bodies in billed segments, speakable text."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable

from channels.twilio.limits import MAX_BODY, MAX_SEGMENTS, VOICE_LIMITS

_FENCE = re.compile(r"^[ \t]*```[^\n]*\n?", re.MULTILINE)
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)[^)]*\)")
_EMPHASIS = re.compile(r"(?<!\w)(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_LINE_MARKS = re.compile(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+(?=\S))", re.MULTILINE)
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$", re.MULTILINE)
# Typographic characters outside GSM-7 that would turn a whole SMS into UCS-2 (70 chars/segment).
_ASCII_LOOKALIKES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
     "\u2026": "...", "\u00a0": " ", "\u2022": "-", "\u2212": "-", "\u2192": "->"}
)  # fmt: skip


def markdown_to_plain(text: str) -> str:
    """Markdown as a person would type it in a text message: no marks, links as 'text (url)'."""
    text = _FENCE.sub("", text)
    text = _RULE.sub("", text)
    text = _IMAGE.sub(lambda m: m.group(2), text)
    text = _LINK.sub(lambda m: _link_text(m.group(1), m.group(2)), text)
    text = _LINE_MARKS.sub(lambda m: "- " if m.group(1)[0] in "-*+" else "", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = text.replace("`", "").translate(_ASCII_LOOKALIKES)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _link_text(label: str, url: str) -> str:
    return url if label.strip() in (url, url.removeprefix("mailto:")) else f"{label} ({url})"


_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")  # sent as escape + char: two units each


def _units(text: str) -> tuple[int, int, int]:
    """(units used, units in a lone segment, units per concatenated segment) for text."""
    if all(c in _GSM7 or c in _GSM7_EXTENDED for c in text):
        return sum(2 if c in _GSM7_EXTENDED else 1 for c in text), 160, 153
    return len(text.encode("utf-16-le")) // 2, 70, 67


def segment_count(text: str) -> int:
    """How many SMS segments Twilio will bill for `text` (GSM-7 or UCS-2)."""
    used, single, multi = _units(text)
    return 1 if used <= single else math.ceil(used / multi)


_SENTENCE = re.compile(r".+?(?:[.!?]+[\"')\]]*(?=\s|$)|\n|$)\s*", re.DOTALL)


def split_sms(text: str, limit: int = MAX_BODY, *, max_segments: int = MAX_SEGMENTS) -> list[str]:
    """Markdown reply -> plain-text bodies, each <= `limit` chars and <= `max_segments` segments.

    Breaks fall between sentences where possible, else between words, else inside a word.
    """
    plain = markdown_to_plain(text)

    def fits(part: str) -> bool:
        return len(part) <= limit and segment_count(part) <= max_segments

    return _pack(_SENTENCE.findall(plain), fits, depth=0)


def _pack(tokens: list[str], fits: Callable[[str], bool], depth: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for token in tokens:
        if fits((current + token).strip()):
            current += token
            continue
        if current.strip():
            parts.append(current.strip())
        current = token
        if not fits(token.strip()):
            finer = re.findall(r"\S+\s*", token) if depth == 0 else list(token)
            pieces = _pack(finer, fits, depth + 1)
            parts.extend(pieces[:-1])
            current = pieces[-1] if pieces else ""
    if current.strip():
        parts.append(current.strip())
    return parts


_URL = re.compile(r"\s*\(?(?:https?://|www\.)[^\s)]*[^\s).,;:!?]\)?")


def speakable(text: str, max_chars: int = VOICE_LIMITS.max_text or 4000) -> str:
    """Text a voice can read: no Markdown, links, emoji or list marks; lines become sentences."""
    plain = _URL.sub("", markdown_to_plain(text))
    plain = "".join(c for c in plain if unicodedata.category(c) not in ("So", "Cs", "Co"))
    sentences = []
    for line in plain.splitlines():
        line = re.sub(r"^\s*(?:-|\d+[.)])\s+", "", line).strip(" \t:")
        if line:
            sentences.append(line if line[-1] in ".!?" else line + ".")
    spoken = re.sub(r"\s+([.,;!?])", r"\1", re.sub(r"\s{2,}", " ", " ".join(sentences)))
    if len(spoken) <= max_chars:
        return spoken
    cut = spoken[:max_chars]
    return cut[: cut.rfind(". ") + 1] or cut
