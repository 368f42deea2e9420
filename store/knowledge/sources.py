"""Files an admin imports into the knowledge base: Markdown, HTML or plain text, read into a
title and a Markdown body (HTML keeps its headings, lists and paragraphs; nothing else)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_SKIP = {"script", "style", "head", "noscript", "template", "svg", "iframe", "object"}
_BLOCKS = {"p", "div", "section", "article", "table", "tr", "blockquote", "pre", "ul", "ol"}


@dataclass(frozen=True)
class SourceDocument:
    source: str  # the resolved path: the key that makes re-importing update, not duplicate
    title: str
    body: str


class _MarkdownWriter(HTMLParser):
    """Text of an HTML page with headings as '#' lines and list items as '- ' lines.

    Only text leaves this parser (no tags, attributes or URLs), so the result is safe to show
    and to embed whatever the page contained.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self._in_title = True
        if tag in _SKIP:
            self._skip += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self.out.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag == "br":
            self.out.append("\n")
        elif tag in _BLOCKS:
            self.out.append("\n\n")

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif re.fullmatch(r"h[1-6]", tag) or tag in _BLOCKS:
            self.out.append("\n\n")

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_markdown(markup: str) -> tuple[str, str]:
    """(the <title>, Markdown-ish body) of an HTML document."""
    writer = _MarkdownWriter()
    writer.feed(markup)
    writer.close()
    lines = [line.strip() for line in "".join(writer.out).splitlines()]
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return " ".join(writer.title.split()), body


def _title_from_name(path: Path) -> str:
    return re.sub(r"[_-]+", " ", path.stem).strip().capitalize() or path.name


def read_document(path: Path) -> SourceDocument:
    """Title: the first heading, else the HTML <title>, else the file name."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    page_title = ""
    if path.suffix.lower() in (".html", ".htm"):
        page_title, body = html_to_markdown(raw)
    else:
        body = raw.strip()
    heading = _HEADING.search(body) if path.suffix.lower() != ".txt" else None
    title = (heading.group(1) if heading else "") or page_title or _title_from_name(path)
    return SourceDocument(str(path.resolve()), title[:300], body)


def find_documents(path: Path) -> list[Path]:
    """The file itself, or every importable file under the directory, in a stable order."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is neither a file nor a directory")
    found = [p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES]
    return sorted(found)
