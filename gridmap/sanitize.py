"""Data is text, never code: the few functions that keep it so at the edges.

- ``plain``: a string from data, escaped so that a Markdown renderer (Streamlit's
  labels, captions, headers, messages) shows it as written. ``![x](http://…)`` stays
  those characters; it never becomes an image request, a link (not even a bare URL's
  autolink) or bold text.
- (Spreadsheet cells that could be formulas are made inert in ``gridmap.io.spreadsheet``.)
- ``upload_suffix`` / ``download_name``: a file name from outside is a label only; a
  path or a download's name is built from a vetted suffix and safe characters.
"""

from __future__ import annotations

import re

from gridmap.errors import ValidationError

# CommonMark lets any ASCII punctuation be backslash-escaped, and Streamlit's own
# extensions (``:red[…]``, ``:material/…:``, ``$…$``) start with punctuation too.
_MARKDOWN = re.compile(r"([!-/:-@\[-`{-~])")


# GFM links bare URLs, www. names and e-mail addresses (autolink literals) in the
# text that remains after escapes are read, so escaping cannot stop it: an invisible
# WORD JOINER (U+2060) after the scheme or www, and before '@', breaks the pattern.
_AUTOLINK = re.compile(r"(?i)(?<![\w])(https?|ftp|mailto|www)(?=[:.])|(?=@)")
WORD_JOINER = "\u2060"


def plain(value) -> str:
    """``value`` as text that a Markdown renderer shows literally (``None`` -> '')."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = _AUTOLINK.sub(lambda m: (m.group(1) or "") + WORD_JOINER, str(value))
    text = _MARKDOWN.sub(r"\\\1", text)
    # A line break would start a new block (a heading, a list); keep it one line.
    return re.sub(r"\s*[\r\n]+\s*", " ", text)


def upload_suffix(name: str | None, allowed: tuple[str, ...]) -> str:
    """The lower-case suffix of an uploaded file's name, if it is one of ``allowed``
    (e.g. ``('.csv', '.xlsx')``); the name itself is never used as a path."""
    suffix = ""
    match = re.search(r"(\.[A-Za-z0-9]{1,8})$", name or "")
    if match:
        suffix = match.group(1).lower()
    if suffix not in allowed:
        raise ValidationError(f"a file ending in {', '.join(allowed)} is needed",
                              source=display_name(name))
    return suffix


def display_name(name: str | None) -> str:
    """An outside file name as a short label: its last path part, no control
    characters (it is shown, never opened)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip()
    return base[:120] or "upload"


def download_name(stem: str, suffix: str) -> str:
    """A download's file name from ``stem`` (ids, dates, names from data): letters,
    digits (any script), ``-``, ``_`` and ``.`` only, never a path."""
    safe = re.sub(r"[^\w.-]+", "_", stem, flags=re.UNICODE).strip("._") or "export"
    return f"{safe[:120]}{suffix}"
