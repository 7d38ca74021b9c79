"""Small helpers for text feeds: encoding and delimiter detection from a file's head."""

from __future__ import annotations

import csv
import io

DELIMITERS = (",", ";", "\t", "|")


def decode_head(head: bytes) -> tuple[str, str] | None:
    """(text, duckdb encoding name) of a file head, or None if it does not look like text."""
    if not head or b"\x00" in head[:4096]:
        return None
    if head.startswith(b"\xef\xbb\xbf"):
        return head[3:].decode("utf-8", errors="replace"), "utf-8"
    try:
        return head.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the head is still UTF-8
        if exc.start >= len(head) - 4:
            return head[: exc.start].decode("utf-8"), "utf-8"
    text = head.decode("latin-1")
    if sum(ch.isprintable() or ch in "\r\n\t" for ch in text[:4096]) < 0.95 * min(len(text), 4096):
        return None
    return text, "latin-1"


def first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


def sniff_header(text: str) -> tuple[str, list[str]] | None:
    """(delimiter, header columns) from the first line, or None if it is not a delimited header."""
    line = first_line(text)
    if not line.strip():
        return None
    counts = {d: line.count(d) for d in DELIMITERS}
    delim = max(counts, key=lambda d: counts[d])
    if counts[delim] == 0:
        return None
    header = next(csv.reader(io.StringIO(line), delimiter=delim))
    return delim, [h.strip() for h in header]
