"""A suggested reply for the human who must answer: grounded in what retrieval found (an
approved past answer when it is confident, else the best knowledge-base passage), opened in
the customer's language, rendered as HTML for the console and kept as plain text for the
composer. The bot's escalation and the assist job (agent_graph/assist.py) both draft it.

    s = compose(examples=[...], passages=[...], language="es")   # the graph state's dicts
    s.text, s.html, s.sources   # "Hola,\\n\\n...", "<p>Hola,</p>...", [{"kind": "passage", ...}]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from markdown_it import MarkdownIt

from agent_graph.replies import strip_markdown
from store.html import sanitize_html
from store.knowledge.scrub import personalise

MIN_EXAMPLE = 0.5  # an approved answer's label at least this probable
MIN_PASSAGE = 0.3  # a passage at least this similar (a human checks it before sending)
GREETING = {
    "en": "Hello,",
    "de": "Hallo,",
    "fr": "Bonjour,",
    "es": "Hola,",
    "pt": "Olá,",
    "it": "Buongiorno,",
    "nl": "Hallo,",
}
SOURCE = {"en": "Source", "de": "Quelle", "fr": "Source", "es": "Fuente", "pt": "Fonte"}
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})


@dataclass
class Suggestion:
    text: str  # plain text, for the composer
    html: str  # rendered and sanitised, for the brief
    language: str
    sources: list[dict] = field(default_factory=list)  # {"kind", "id", "title", "article_id"}

    def as_dict(self) -> dict:
        return asdict(self)


def render(markdown: str) -> str:
    """Markdown as safe HTML (raw HTML in the source is escaped, then sanitised anyway)."""
    return sanitize_html(_MARKDOWN.render(markdown))


def _grounding(examples: list[dict], passages: list[dict]) -> tuple[str, list[dict]] | None:
    for e in examples[:1]:
        answer = personalise(e.get("answer") or "")  # never another customer's specifics
        if answer and e.get("probability", 0) >= MIN_EXAMPLE:
            return answer, [
                {"kind": "example", "id": str(e.get("example_id")), "title": e["label"]}
            ]
    for p in passages[:1]:
        if p.get("similarity", 0) >= MIN_PASSAGE and p.get("text"):
            source = {"kind": "passage", "id": str(p["chunk_id"]), "title": p["title"]}
            return p["text"], [source | {"article_id": str(p.get("article_id"))}]
    return None


def compose(
    *, examples: list[dict], passages: list[dict], language: str | None
) -> Suggestion | None:
    """The suggestion, or None when nothing found is close enough to ground one."""
    found = _grounding(examples, passages)
    if found is None:
        return None
    body, sources = found
    lang = language if language in GREETING else "en"
    markdown = f"{GREETING[lang]}\n\n{body.strip()}"
    if sources[0]["kind"] == "passage":
        markdown += f"\n\n{SOURCE.get(lang, 'Source')}: {sources[0]['title']}"
    return Suggestion(strip_markdown(markdown), render(markdown), lang, sources)
