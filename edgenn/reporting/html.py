"""Small HTML builders every report section uses (escaping, sections, notices, tables, inlined PNGs) and the CSS.

The page itself is assembled in ``page``; this module knows nothing of sections or sources.
"""

from __future__ import annotations

import base64
import html
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

PAGE_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 0 1.5em 3em; color: #222; line-height: 1.4; }
h1 { border-bottom: 2px solid #444; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #bbb; margin-top: 2em; }
h3 { font-size: 1em; margin: 1.2em 0 .4em; }
nav a { margin-right: 1em; white-space: nowrap; }
table { border-collapse: collapse; margin: .4em 0 1em; font-size: .88em; }
th, td { border: 1px solid #ccc; padding: .2em .6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
img { max-width: 100%; height: auto; display: block; margin: .4em 0; }
.row { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
.row img { max-width: 48%; }
.missing { background: #fff4e5; border-left: 4px solid #f0a030; padding: .3em .7em; }
.note { color: #555; font-size: .9em; margin: .2em 0; }
.pass { color: #17772a; font-weight: bold; }
.fail { color: #b00020; font-weight: bold; }
.big { font-size: 1.2em; }
code { background: #f4f4f4; padding: 0 .2em; }
"""


# ----- small builders used by the sections --------------------------------------------------------------------------
def esc(value) -> str:
    return html.escape(str(value), quote=True)


def section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{esc(anchor)}">\n<h2>{esc(title)}</h2>\n{body}\n</section>\n'


def missing(what: str, how: str) -> str:
    return f'<p class="missing">missing: {esc(what)} ({esc(how)})</p>'


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def table(headers: Sequence[str], rows: Iterable[Sequence], *, header: bool = True,
          raw_columns: set[int] = frozenset()) -> str:
    """An HTML table; every cell is escaped except the columns in ``raw_columns`` (already-built HTML)."""
    head = "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr>" if header else ""
    body = "".join("<tr>" + "".join(f"<td>{c if i in raw_columns else esc(c)}</td>" for i, c in enumerate(row))
                   + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, or None if ``data`` is not a PNG."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def img(data: bytes, alt: str) -> str:
    size = png_size(data)
    if size is None or 0 in size:
        return missing(f"image '{alt}'", "the plot could not be drawn")
    b64 = base64.b64encode(data).decode("ascii")
    return f'<img src="data:image/png;base64,{b64}" alt="{esc(alt)}" width="{size[0]}" height="{size[1]}">'


def img_file(path: Path, alt: str, how: str) -> str:
    """Inline a PNG a stage wrote, or say it is missing (and how to get it)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return missing(f"{path}", how)
    if png_size(data) is None:
        return missing(f"{path} (not a readable PNG)", how)
    return img(data, alt)
