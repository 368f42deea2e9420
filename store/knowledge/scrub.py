"""Customer specifics in a text: found, replaced by placeholders, and kept out of answers sent
to anyone else. Regular expressions with context words, no model, no I/O.

Why our own: `presidio-analyzer` needs spaCy and an English model that PyPI carries only as
unofficial mirrors (hundreds of MB); `scrubadub` 2.0.1 (TextBlob, scikit-learn, NLTK) with its
default detectors finds emails, phones and URLs only: on our fixtures precision 1.00 but recall
0.11 and 0.14 (no order, tracking or reference numbers, names, addresses or amounts). Support
replies have few kinds of specifics and strong context ("your tracking number is ..."), which
patterns catch well: on the same fixtures (tests/agent/fixtures/scrub_replies*.jsonl, `python -m
bench.scrub`) precision 1.00 / 0.97 and recall 1.00 / 1.00; the held-out set, written after the
patterns and measured once before generic fixes, gave 0.96 / 0.82.

    found = scrub("Hi Maria, your parcel 1Z999AA10123456784 ships today.", names=["Maria"])
    found.text    # "Hi {name}, your parcel {tracking_number} ships today."
    found.spans   # [Redaction("name", "{name}", "Maria", 3, 9), ...] (offsets in found.text)
    personalise(found.text, {})   # "Hi, your parcel ships today." minus the unfillable sentence
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

KINDS = (
    "email",
    "url",
    "phone",
    "card_number",
    "tracking_number",
    "order_number",
    "reference",
    "amount",
    "address",
    "name",
)
PLACEHOLDER = re.compile(r"\{(" + "|".join(KINDS) + r")\}")

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# A link that carries an identifier (query string or a long path token) is specific.
_URL = re.compile(r"\bhttps?://\S+[?=/][^\s]*\d{4,}[^\s]*", re.I)
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_CARD_TAIL = re.compile(
    r"(?i)\b(?:ending|ends|last (?:4|four)(?: digits)?)(?: in| with)?:? ?(\d{4})\b"
)
_UPS = re.compile(r"\b1Z[0-9A-Z]{16}\b")
_UPU = re.compile(r"\b[A-Z]{2}\d{9}[A-Z]{2}\b")  # postal items: RR123456789GB
_AMOUNT = re.compile(
    r"(?i)(?:[$€£¥]\s?\d[\d,]*(?:\.\d{1,2})?|\b\d[\d.,]*(?:[.,]\d{1,2})?\s?[€£$]|\b\d[\d,]*(?:\.\d{1,2})?\s?"
    r"(?:usd|eur|gbp|chf|cad|aud|dollars?|euros?|pounds?)\b|\b(?:usd|eur|gbp|chf)\s?\d[\d,]*"
    r"(?:\.\d{1,2})?)"
)
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d\s().-]{6,}\d\b")
# An identifier: letters and digits (at least 4 digits), or 5+ digits, or "#123".
_IDENT = re.compile(r"#\s?\d{3,}\b|\b(?=[A-Z0-9-]*\d{4})[A-Z0-9][A-Z0-9-]{4,}\b|\b\d{5,}\b", re.I)
_STREET = (
    r"street|st|avenue|ave|road|rd|lane|ln|boulevard|blvd|drive|dr|court|ct|way|place|pl|"
    r"square|sq|terrace|close|crescent|parkway|highway|hwy|strasse|straße|str|rue|calle|via"
)
_ADDRESS = re.compile(
    r"\b\d{1,5}[a-zA-Z]?,?\s+(?:[A-Z][\w'.-]*\s+){1,4}(?i:" + _STREET + r")\b\.?"
    r"(?:,?\s*(?i:apt|apartment|suite|unit|flat)\.?\s*#?\w+)?"
    r"(?:,\s*[A-Z][\w'-]+(?:\s[A-Z][\w'-]+)?)?(?:,?\s*[A-Z]{2})?(?:,?\s*\d{5}(?:-\d{4})?)?",
)
_ADDRESS_ALT = re.compile(  # "Calle Mayor 5", "Hauptstraße 12", "rue de la Paix 3"
    r"\b(?:(?:calle|rue|via|avenida|avenue)\s+(?:[\w'-]+\s+){0,3}[A-Z][\w'-]+|"
    r"[A-Z][a-zäöü]+(?:strasse|straße|weg|platz|allee))\s+\d{1,4}[a-z]?\b",
)
_POSTCODE = re.compile(
    r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b"  # UK
    r"|\b(?:AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|"
    r"NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)\s\d{5}(?:-\d{4})?\b"
)
_TITLE_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Herr|Frau|Sr|Sra|Mme|M)\.?\s+[A-Z][\w'-]+")
_GREETING_NAME = re.compile(
    r"(?im)^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|hallo|hola|bonjour|"
    r"ciao|olá|liebe[rs]?|estimad[oa]|cher|chère)\s+([A-Z][\w'-]+(?:\s[A-Z][\w'-]+)?)(?=\s*[,!:\n.])"
)
_SIGNED_NAME = re.compile(
    r"(?im)^(?:best|(?:kind |warm |best )?regards|thanks|thank you|cheers|sincerely|best wishes|"
    r"saludos|grüße|viele grüße|cordialement|many thanks)[,!.]?\s*\n\s*([A-Z][\w'-]+"
    r"(?:\s[A-Z][\w'-]+)?)\s*$"
)
_NAMED = re.compile(r"\b(?i:my name is|this is|name:)\s+([A-Z][\w'-]+(?:\s[A-Z][\w'-]+)?)")

# Words before an identifier that say what it is (looked for in the 40 characters before).
_CONTEXT = (
    (
        "tracking_number",
        re.compile(
            r"(?i)(track|parcel|shipment|consignment|waybill|package|courier|sendung|suivi|seguimiento)"
        ),
    ),
    ("order_number", re.compile(r"(?i)(order|purchase|bestellung|commande|pedido)")),
    (
        "reference",
        re.compile(
            r"(?i)(invoice|ref|reference|case|ticket|booking|confirmation|account|"
            r"customer (?:no|number|id)|rma|return)"
        ),
    ),
)
_VOCATIVE = re.compile(
    r"\b(?i:thanks|thank you|sorry|hi|hello|hey)\b[^.!?\n,]{0,30},\s+([A-Z][a-z]+)(?=[.!,])"
    r"|[a-z],\s+([A-Z][a-z]+)(?=[.!?]\s*$|[.!?]\s)"
)
# A short number right after what names it: "order 3301", "case no. 881".
_NAMED_ID = re.compile(
    r"\b(?i:order|ticket|case|invoice|booking|reference|ref|account|tracking)"
    r"(?i:\s*(?:number|no\.?|nr\.?|id))?[:\s#]*([A-Z0-9-]*\d{3,}[A-Z0-9-]*)\b"
)
_PHONE_CONTEXT = re.compile(r"(?i)(call|phone|tel|mobile|cell|number|reach|text|sms|whatsapp|fax)")


@dataclass(frozen=True)
class Redaction:
    kind: str
    placeholder: str
    original: str
    start: int  # where the placeholder stands in the scrubbed text
    end: int


@dataclass(frozen=True)
class Scrubbed:
    text: str
    spans: list[Redaction]


def _digits(s: str) -> int:
    return sum(c.isdigit() for c in s)


def _luhn(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        total += d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2)
    return total % 10 == 0


def _ident_kind(text: str, start: int) -> str:
    before = text[max(0, start - 40) : start]
    best, where = "reference", -1
    for kind, pattern in _CONTEXT:
        for m in pattern.finditer(before):
            if m.start() > where:
                best, where = kind, m.start()
    return best


def _last(pattern: re.Pattern, text: str) -> int:
    return max((m.start() for m in pattern.finditer(text)), default=-1)


def _looks_like_phone(text: str, start: int, token: str) -> bool:
    """8-15 digits, written like a number to dial or said to be one -- and not closer to
    words that make it an order or tracking number."""
    before = text[max(0, start - 40) : start]
    said = _last(_PHONE_CONTEXT, before)
    named = max((_last(p, before) for _, p in _CONTEXT), default=-1)
    if named > said or _is_date_or_time(token):
        return False
    digits = _digits(token)
    spaced = bool(re.search(r"[\s().-]", token)) or token.startswith(("+", "00"))
    return (8 <= digits <= 15 and (spaced or said >= 0)) or (digits >= 7 and said >= 0)


def _is_date_or_time(token: str) -> bool:
    return bool(
        re.fullmatch(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}[:.]\d{2}|(19|20)\d{2}", token)
    )


def detect(text: str, *, names: Iterable[str] = ()) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every specific found, earliest first, never overlapping."""
    found: list[tuple[int, int, str]] = []

    def add(start: int, end: int, kind: str) -> None:
        found.append((start, end, kind))

    for m in _EMAIL.finditer(text):
        add(m.start(), m.end(), "email")
    for m in _URL.finditer(text):
        add(m.start(), m.end(), "url")
    for m in _AMOUNT.finditer(text):
        add(m.start(), m.end(), "amount")
    for pattern in (_ADDRESS, _ADDRESS_ALT, _POSTCODE):
        for m in pattern.finditer(text):
            add(m.start(), m.end(), "address")
    for m in _CARD.finditer(text):
        if _luhn(m.group()) and 13 <= _digits(m.group()) <= 19:
            add(m.start(), m.end(), "card_number")
    for m in _CARD_TAIL.finditer(text):
        add(m.start(1), m.end(1), "card_number")
    for pattern in (_UPS, _UPU):
        for m in pattern.finditer(text):
            add(m.start(), m.end(), "tracking_number")
    for m in _PHONE.finditer(text):
        token = m.group().strip()
        if _looks_like_phone(text, m.start(), token):
            add(m.start(), m.start() + len(m.group().rstrip()), "phone")
    for m in _IDENT.finditer(text):
        token = m.group()
        if _is_date_or_time(token) or not any(c.isdigit() for c in token):
            continue
        add(m.start(), m.end(), _ident_kind(text, m.start()))
    for m in _NAMED_ID.finditer(text):
        if not _is_date_or_time(m.group(1)):
            add(m.start(1), m.end(1), _ident_kind(text, m.start(1)))
    for pattern in (_GREETING_NAME, _SIGNED_NAME, _NAMED, _VOCATIVE):
        for m in pattern.finditer(text):
            group = next(g for g in range(1, (pattern.groups or 1) + 1) if m.group(g))
            add(m.start(group), m.end(group), "name")
    for m in _TITLE_NAME.finditer(text):
        add(m.start(), m.end(), "name")
    for name in {n.strip() for n in names if n and len(n.strip()) >= 2}:
        for part in {name, *[p for p in name.split() if len(p) >= 3]}:
            for m in re.finditer(r"\b" + re.escape(part) + r"\b", text):
                add(m.start(), m.end(), "name")
    return _resolve(found)


# Which kind wins when two findings overlap: the more specific, then the longer.
_RANK = {k: i for i, k in enumerate(KINDS)}


def _resolve(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    ordered = sorted(found, key=lambda f: (_RANK[f[2]], -(f[1] - f[0]), f[0]))
    kept: list[tuple[int, int, str]] = []
    for start, end, kind in ordered:
        if all(end <= s or start >= e for s, e, _ in kept):
            kept.append((start, end, kind))
    return sorted(kept)


def scrub(text: str, *, names: Iterable[str] = ()) -> Scrubbed:
    """The text with every specific replaced by its placeholder (`{tracking_number}`)."""
    out, spans, pos = [], [], 0
    length = 0
    for start, end, kind in detect(text, names=names):
        piece = text[pos:start]
        out.append(piece)
        length += len(piece)
        placeholder = "{" + kind + "}"
        spans.append(
            Redaction(kind, placeholder, text[start:end], length, length + len(placeholder))
        )
        out.append(placeholder)
        length += len(placeholder)
        pos = end
    out.append(text[pos:])
    return Scrubbed("".join(out), spans)


# --- turning a learned answer into one for the next customer ------------------------------

_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|$)")
_GREETING_SLOT = re.compile(
    r"(?i)\b(hi|hello|hey|dear|hallo|hola|bonjour|ciao|olá|good (?:morning|afternoon|evening))"
    r"\s+\{name\}"
)
# A signature is the writer's, never the customer's: it goes, with the line that leads to it.
_SIGNOFF_SLOT = re.compile(
    r"(?im)(?:^(?:best|(?:kind |warm |best )?regards|thanks|thank you|cheers|sincerely|"
    r"best wishes|many thanks|saludos|grüße|viele grüße|cordialement)[,!.]?\s*\n)?^\s*\{name\}\s*$"
)


def _sentences(line: str) -> list[str]:
    return [s for s in _SENTENCE.findall(line) if s.strip()]


def personalise(answer: str, values: Mapping[str, str] | None = None) -> str:
    """The learned answer for one customer: placeholders filled from *their* values, a greeting
    or signature without a value loses the name, and every other sentence that still holds a
    placeholder -- or anything that looks like someone's specifics -- is dropped."""
    values = {k: v for k, v in (values or {}).items() if v}
    text = _GREETING_SLOT.sub(lambda m: m.group(1) if "name" not in values else m.group(0), answer)
    text = _SIGNOFF_SLOT.sub("", text)
    text = PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
    own = [v for v in values.values()]
    lines = []
    for line in text.split("\n"):
        kept = [s for s in _sentences(line) if _clean(s, own)]
        lines.append("".join(kept).strip() if kept or not line.strip() else None)
    joined = "\n".join(line for line in lines if line is not None)
    return re.sub(r"\n{3,}", "\n\n", joined).strip()


def _clean(sentence: str, own: list[str]) -> bool:
    if PLACEHOLDER.search(sentence) or re.search(r"\{[a-z_]+\}", sentence):
        return False
    return all(sentence[start:end] in own for start, end, _ in detect(sentence))


def generalise_question(text: str, *, names: Iterable[str] = ()) -> Scrubbed:
    """The customer's question as an example: quoted mail, greetings and signatures gone,
    specifics replaced, whitespace collapsed, at most 1,000 characters."""
    lines = []
    for line in text.replace("\r", "").split("\n"):
        if line.lstrip().startswith(">") or re.match(r"(?i)^\s*on .+ wrote:\s*$", line):
            break  # the quoted thread below is not the question
        lines.append(line)
    body = _SIGNED_NAME.sub("", "\n".join(lines))
    body = re.sub(r"(?im)^\s*(hi|hello|hey|dear)\b[^\n,!]*[,!]?\s*$", "", body)  # greeting line
    return scrub(re.sub(r"\s+", " ", body).strip()[:1000], names=names)
