"""Email body text: charset decoding with fallbacks, HTML to plain text, and reply trimming."""

from __future__ import annotations

import codecs
import html as html_lib
import re
from html.parser import HTMLParser

# Labels seen in the wild that Python does not know, or knows only as a narrower charset.
_CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "utf-8",
    "unknown-8bit": "utf-8",
    "us-ascii": "utf-8",  # 8-bit bytes under a us-ascii label are nearly always UTF-8
    "ascii": "utf-8",
}


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset, then UTF-8, then cp1252; never raises."""
    for candidate in (_known_charset(charset), "utf-8", "cp1252"):
        if candidate is None:
            continue
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")  # maps every byte, so the text survives in some form


def _known_charset(charset: str | None) -> str | None:
    if not charset:
        return None
    name = _CHARSET_ALIASES.get(charset.strip().strip('"').lower(), charset.strip().strip('"'))
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "tr",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "table",
    "ul",
    "ol",
    "pre",
    "hr",
    "section",
    "article",
    "header",
    "footer",
}
_SKIP_TAGS = {"script", "style", "head", "title"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(markup: str) -> str:
    """Readable plain text from HTML (block elements become line breaks)."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # HTMLParser is lenient, but a broken document must never stop parsing
        return html_lib.unescape(re.sub(r"<[^>]+>", " ", markup)).strip()
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# "On <date>, <someone> wrote:" in the languages mail clients localise it into.
_VERBS = (
    r"wrote|a écrit|schrieb|escribió|escribio|schreef|ha scritto|napisał\(a\)|napisał|pisze|"
    r"пише|escreveu|skrev|написал\(а\)|написала|написал|написав\(ла\)|написав|kirjoitti|yazdı|"
    r"napsal"
)
_WROTE = re.compile(
    rf"^[\s>*-]*.{{0,300}}?(?<!\w)({_VERBS})(\s.{{0,60}}?)?\s*(:|-{{2,}}\**)\s*$",
    re.IGNORECASE | re.DOTALL,
)
# Gmail's localised form without a verb: "2016-10-24 15:36 GMT+02:00 Name <a@b.c>:"
_DATED = re.compile(r"^\s*\d{4}[-/]\d{1,2}[-/]\d{1,2}\s.{0,200}(GMT|<[^<>\s]+@[^<>\s]+>:?\s*$)")
# A wrapped header starts like one: "On", "Le", "Am", ..., a date, or a name with an address.
_HEADER_START = re.compile(
    r"^[\s>*-]*((on|le|am|el|op|il|em|den|dnia|w dniu|at|às)\b|\d|.*@)", re.IGNORECASE
)
_CJK_WROTE = re.compile(r"(写道|寫道|のメッセージ|님이 작성)\s*[:：]?\s*$")
_DIVIDER = re.compile(
    r"^[\s*>]*(-{2,}\s*(original message|forwarded message|ursprüngliche nachricht|"
    r"message d'origine|mensaje original|oorspronkelijk bericht|messaggio originale)\s*-{2,}"
    r"|_{20,}|-{20,})[\s*]*$",
    re.IGNORECASE,
)
_HEADER_FIELD = re.compile(
    r"^\s*\*?(from|von|de|van|da|od|från|fra|от|från|expéditeur|absender)\s*:\*?\s", re.IGNORECASE
)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(sent|date|to|subject|gesendet|datum|an|betreff|envoyé|objet|à|enviado|para|"
    r"asunto|verzonden|onderwerp|aan|inviato|oggetto|data|temat|skickat|ämne|отправлено|тема|"
    r"кому|cc)\s*:",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"^\s*(--\s*|sent from my .{1,60}|sent from (outlook|mail|yahoo mail).*|get outlook for .*|"
    r"envoyé (de|depuis) mon .*|von meinem .* gesendet|gesendet von .*|enviado desde mi .*|"
    r"enviado do meu .*|verstuurd vanaf mijn .*|sendt fra min .*|skickat från min .*|"
    r"inviato da .*|отправлено с .*)$",
    re.IGNORECASE,
)


def split_reply(text: str) -> str:
    """The new part of a reply: text above quoted history, reply headers and the signature.

    Bottom-posted replies (history first) keep what follows the quote; when trimming would leave
    nothing at all, the whole text is returned.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    new = _trim(lines)
    if not new:
        new = _trim(_drop_leading_history(lines))
    return new or text.strip()


def _trim(lines: list[str]) -> str:
    kept = lines[: _first_cut(lines)]
    # Gmail's tracking mark and leftover rules carry no words; drop them from the end.
    while kept and not re.search(r"\w", kept[-1].replace("ᐧ", "")):
        kept.pop()
    return "\n".join(kept).strip()


def _drop_leading_history(lines: list[str]) -> list[str]:
    index = 0
    while index < len(lines):
        line = lines[index]
        if _is_reply_header(lines, index):
            index += _header_width(lines, index)
        elif not line.strip() or line.lstrip().startswith(">"):
            index += 1
        else:
            break
    return lines[index:]


def _header_width(lines: list[str], index: int) -> int:
    for width in range(1, 7):
        joined = " ".join(part.strip() for part in lines[index : index + width])
        if _WROTE.match(joined) or _DATED.match(joined):
            return width
    return 1


def _first_cut(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        if _is_reply_header(lines, index) or _SIGNATURE.match(line):
            return index
        if line.lstrip().startswith(">") and _only_quotes_after(lines, index):
            return index
    return len(lines)


def _is_reply_header(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _DIVIDER.match(line) or _CJK_WROTE.search(line):
        return True
    if line.strip() and _looks_like_wrote(lines, index):
        return True
    if _HEADER_FIELD.match(line):
        following = [other for other in lines[index + 1 : index + 5] if other.strip()]
        return sum(bool(_HEADER_NEXT.match(other)) for other in following) >= 2
    return False


def _looks_like_wrote(lines: list[str], index: int) -> bool:
    # Clients wrap long "On ... wrote:" lines, so look at up to six joined lines; a date or an
    # address must appear, so a sentence that merely ends in "wrote:" is left alone.
    for width in range(1, 7):
        if width == 2 and not _HEADER_START.match(lines[index]):
            return False
        joined = " ".join(part.strip() for part in lines[index : index + width])
        if len(joined) > 400:
            return False
        if _DATED.match(joined):
            return True
        if _WROTE.match(joined) and re.search(r"\d|@", joined):
            return True
    return False


def _only_quotes_after(lines: list[str], index: int) -> bool:
    rest = [line for line in lines[index:] if line.strip()]
    return all(line.lstrip().startswith(">") or _SIGNATURE.match(line) for line in rest)
