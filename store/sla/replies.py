"""Out-of-hours replies: the text (the channel's own wording per language, else a built-in
one) with the next opening in the team's time zone, and the record that makes it one reply
per ticket per closed period."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.sla.models import OutOfHoursReply

TEXTS = {
    "en": "Thanks for your message. Our team is away right now and will reply from {next_open}.",
    "de": "Danke für Ihre Nachricht. Unser Team ist gerade nicht erreichbar und antwortet ab "
    "{next_open}.",
    "fr": "Merci pour votre message. Notre équipe est absente pour le moment et vous répondra "
    "à partir du {next_open}.",
    "es": "Gracias por su mensaje. Nuestro equipo no está disponible ahora y le responderá a "
    "partir del {next_open}.",
}
LATER = {
    "en": "as soon as we can",
    "de": "so bald wie möglich",
    "fr": "dès que possible",
    "es": "lo antes posible",
}
WEEKDAYS = {
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "de": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "es": "lunes martes miércoles jueves viernes sábado domingo",
}
MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
}
WHEN = {
    "en": "{weekday} {day} {month} at {time} ({zone} time)",
    "de": "{weekday}, {day}. {month} um {time} Uhr ({zone})",
    "fr": "{weekday} {day} {month} à {time} (heure {zone})",
    "es": "{weekday} {day} de {month} a las {time} (hora de {zone})",
}


def language_of(code: str | None) -> str:
    """The built-in language for a code such as 'de-AT' (English when we have none)."""
    base = (code or "en").split("-")[0].split("_")[0].lower()
    return base if base in TEXTS else "en"


def when_text(at: datetime | None, zone: str, lang: str) -> str:
    if at is None:
        return LATER[lang]
    local = at.astimezone(ZoneInfo(zone))
    return WHEN[lang].format(
        weekday=WEEKDAYS[lang].split()[local.weekday()],
        day=local.day,
        month=MONTHS[lang].split()[local.month - 1],
        time=local.strftime("%H:%M"),
        zone=zone,
    )


def reply_text(
    messages: dict[str, str], language: str | None, next_open: datetime | None, zone: str
) -> str:
    """The channel's text in the contact's language (exact code, then its base), else our
    built-in one in that language, else the channel's English, else ours."""
    base = (language or "en").split("-")[0].split("_")[0].lower()
    lang = language_of(language)
    template = messages.get(language or "") or messages.get(base)
    if template is None:
        template = TEXTS[base] if base in TEXTS else messages.get("en") or TEXTS["en"]
    return template.replace("{next_open}", when_text(next_open, zone, lang))


def period_key(next_open: datetime | None) -> str:
    """The closed period is named by the instant it ends."""
    return next_open.isoformat() if next_open else "indefinitely"


async def already_sent(session: AsyncSession, *, ticket_id: int, period: str) -> bool:
    found = await session.scalar(
        select(OutOfHoursReply.id).where(
            OutOfHoursReply.ticket_id == ticket_id, OutOfHoursReply.period == period
        )
    )
    return found is not None


async def record(session: AsyncSession, *, ticket_id: int, period: str, message_id: int) -> None:
    """In the reply's transaction: the unique (ticket, period) index refuses a second one."""
    session.add(OutOfHoursReply(ticket_id=ticket_id, period=period, message_id=message_id))
    await session.flush()
