"""Split a Markdown article into passages by its headings, each small enough to embed whole."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
# MiniLM reads 256 word pieces (~1,000 characters of English); longer passages are split at
# paragraph breaks so no text falls off the end of the model's window.
MAX_CHARS = 900


@dataclass(frozen=True)
class Passage:
    heading: str  # path from the article title down: "Title > Section > Subsection"
    text: str


def _sections(title: str, body: str) -> list[tuple[str, list[str]]]:
    """(heading path, lines) per heading; a leading '# Title' equal to the title is folded."""
    path: list[tuple[int, str]] = []
    sections: list[tuple[str, list[str]]] = [(title, [])]
    fenced = False
    for line in body.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match is None:
            sections[-1][1].append(line)
            continue
        level, name = len(match.group(1)), match.group(2).strip()
        if level == 1 and name == title and not path:
            continue
        path = [(lvl, n) for lvl, n in path if lvl < level] + [(level, name)]
        sections.append((" > ".join([title] + [n for _, n in path]), []))
    return sections


def _paragraphs(lines: list[str]) -> list[str]:
    paragraphs = re.split(r"\n\s*\n", "\n".join(lines))
    return [p.strip() for p in paragraphs if p.strip()]


def _pack(paragraphs: list[str], limit: int) -> list[str]:
    """Greedy: consecutive paragraphs joined up to `limit` characters; a longer one is cut
    at sentence ends, or hard at the limit when it has none."""
    pieces: list[str] = []
    for para in paragraphs:
        while len(para) > limit:
            cut = para.rfind(". ", 0, limit)
            cut = cut + 1 if cut > limit // 3 else limit
            pieces.append(para[:cut].strip())
            para = para[cut:].strip()
        pieces.append(para)
    packed: list[str] = []
    for piece in pieces:
        if packed and len(packed[-1]) + 2 + len(piece) <= limit:
            packed[-1] += "\n\n" + piece
        else:
            packed.append(piece)
    return packed


def chunk_markdown(title: str, body: str, *, limit: int = MAX_CHARS) -> list[Passage]:
    """Passages in reading order; sections with no text of their own are skipped."""
    out = []
    for heading, lines in _sections(title.strip(), body):
        out += [Passage(heading, text) for text in _pack(_paragraphs(lines), limit)]
    if not out and title.strip():  # a title-only article is still findable by its title
        out.append(Passage(title.strip(), title.strip()))
    return out
