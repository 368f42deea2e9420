"""The gateway's icon: a speech bubble, as SVG (pages link it) and as a 32 px ICO (browsers ask
for /favicon.ico on their own), drawn here so no binary file needs keeping in the repo."""

from __future__ import annotations

import struct
import zlib

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<path fill="#2563eb" d="M6 4h20a4 4 0 0 1 4 4v12a4 4 0 0 1-4 4H14l-7 6v-6H6a4 4 0 0 1'
    '-4-4V8a4 4 0 0 1 4-4z"/><circle cx="11" cy="14" r="2" fill="#fff"/>'
    '<circle cx="16" cy="14" r="2" fill="#fff"/><circle cx="21" cy="14" r="2" fill="#fff"/></svg>'
)
BLUE, WHITE, CLEAR = b"\x25\x63\xeb\xff", b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"


def _pixel(x: int, y: int) -> bytes:
    if 4 <= y <= 23 and 2 <= x <= 29:  # the bubble, with three dots
        dot = y in (13, 14, 15) and x in (10, 11, 12, 15, 16, 17, 20, 21, 22)
        return WHITE if dot else BLUE
    if 24 <= y <= 29 and 7 <= x <= 7 + (29 - y):  # its tail
        return BLUE
    return CLEAR


def _png(size: int = 32) -> bytes:
    rows = b"".join(b"\x00" + b"".join(_pixel(x, y) for x in range(size)) for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _ico(png: bytes, size: int = 32) -> bytes:
    # One PNG-encoded image in an ICO directory (every current browser reads these).
    entry = struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(png), 6 + 16)
    return struct.pack("<HHH", 0, 1, 1) + entry + png


ICO = _ico(_png())
