"""The campaign report as one self-contained HTML page.

Everything is inside the file: PNG figures as data URIs, plotly.js inlined once for the
interactive figures, structure files as data-URI downloads. The page makes no network
request, so it opens the same from a laptop, a cluster's file share or an e-mail.

This module only renders; campaign/report.py decides what goes in (from the store).
"""

from __future__ import annotations

import base64
import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path


class Markup(str):
    """Text that is already HTML (e.g. a formula from pymatgen's `htmlify`): not escaped again."""


@dataclass
class Link:
    """A table cell that links to `href`; with `download`, a file the browser saves under that name."""

    text: str
    href: str
    download: str | None = None


@dataclass
class Figure:
    """A figure: a PNG file (embedded) or a plotly Figure (interactive); `caption` is plain text."""

    caption: str
    png: Path | None = None
    plotly: object | None = None


@dataclass
class Table:
    columns: list[str]
    rows: list[list]
    caption: str = ""


@dataclass
class Section:
    """One section of the report. `missing` (a sentence) replaces the body when the stage has not run."""

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # caveats, e.g. demo-grade settings
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)  # (summary, preformatted text), folded
    missing: str | None = None


def data_uri(content: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def _cell(value) -> str:
    if value is None or value == "":
        return "<td class='na'>–</td>"
    if isinstance(value, Link):
        download = f" download='{html.escape(value.download, quote=True)}'" if value.download else ""
        return f"<td><a href='{html.escape(value.href, quote=True)}'{download}>{html.escape(value.text)}</a></td>"
    if isinstance(value, Markup):
        return f"<td>{value}</td>"
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, float):
        text = "–" if not math.isfinite(value) else (f"{value:.3g}" if abs(value) < 1e-3 and value else f"{value:.4g}")
        return f"<td class='num'>{text}</td>"
    if isinstance(value, int):
        return f"<td class='num'>{value:,}</td>"
    return f"<td>{html.escape(str(value))}</td>"


def _table(t: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in t.columns)
    body = "\n".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in t.rows)
    caption = f"<caption>{html.escape(t.caption)}</caption>" if t.caption else ""
    return f"<div class='scroll'><table>{caption}<thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table></div>"


def _figure(f: Figure, n: int) -> str:
    if f.plotly is not None:
        body = f.plotly.to_html(full_html=False, include_plotlyjs=False, div_id=f"plotly-{n}",
                                config={"displaylogo": False, "responsive": True})
        kind = "plotly"
    else:
        uri = data_uri(Path(f.png).read_bytes(), "image/png")
        body = f"<img src='{uri}' alt='{html.escape(f.caption, quote=True)}'>"
        kind = "png"
    return f"<figure class='{kind}'>{body}<figcaption>{html.escape(f.caption)}</figcaption></figure>"


def _section(s: Section, counter: list[int]) -> str:
    parts = [f"<section id='{s.key}' data-section='{s.key}'><h2>{html.escape(s.title)}</h2>"]
    if s.missing:
        parts.append(f"<p class='missing'>{html.escape(s.missing)}</p>")
    else:
        parts += [f"<p>{html.escape(p)}</p>" for p in s.paragraphs]
        parts += [f"<p class='note'>{html.escape(n)}</p>" for n in s.notes]
        for f in s.figures:
            counter[0] += 1
            parts.append(_figure(f, counter[0]))
        parts += [_table(t) for t in s.tables]
        parts += [f"<details><summary>{html.escape(a)}</summary><pre>{html.escape(b)}</pre></details>"
                  for a, b in s.details]
    parts.append("</section>")
    return "\n".join(parts)


CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#222;line-height:1.45}
header{background:#1f3a5f;color:#fff;padding:1.2em 2em}header h1{margin:0 0 .3em;font-size:1.5em}
header p{margin:.2em 0;opacity:.9}
nav{position:sticky;top:0;background:#f4f6f8;border-bottom:1px solid #ddd;padding:.5em 2em;z-index:10}
nav a{margin-right:1.1em;color:#1f3a5f;text-decoration:none;font-size:.92em}
main{max-width:1100px;margin:0 auto;padding:0 2em 3em}
section{border-bottom:1px solid #eee;padding:1em 0 1.5em}h2{color:#1f3a5f}
figure{margin:1em 0;text-align:center}figure img{max-width:min(100%,860px);height:auto}
figure.plotly{min-height:560px}figcaption{font-size:.88em;color:#555;margin-top:.4em}
.note{background:#fff6e0;border-left:4px solid #e0a800;padding:.4em .8em;font-size:.92em}
.missing{color:#777;font-style:italic}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.86em;margin:1em 0}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border:1px solid #ddd;padding:.25em .55em;text-align:left;vertical-align:top}th{background:#f4f6f8}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.na{color:#aaa;text-align:center}
pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.8em}
"""


def render(title: str, subtitle: list[str], sections: list[Section], path: Path | str) -> Path:
    """Write the page to `path` (parents created); plotly.js is inlined once if any figure is interactive."""
    needs_plotly = any(f.plotly is not None for s in sections if not s.missing for f in s.figures)
    script = ""
    if needs_plotly:
        from plotly.offline import get_plotlyjs

        script = f"<script type='text/javascript'>{get_plotlyjs()}</script>"
    nav = "".join(f"<a href='#{s.key}'>{html.escape(s.title.split(':')[0])}</a>" for s in sections)
    counter = [0]
    body = "\n".join(_section(s, counter) for s in sections)
    head = "".join(f"<p>{html.escape(line)}</p>" for line in subtitle)
    meta = json.dumps({"sections": [s.key for s in sections], "figures": counter[0]})
    page = (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><style>{CSS}</style>{script}"
            f"<script type='application/json' id='report-index'>{meta}</script></head>\n"
            f"<body><header><h1>{html.escape(title)}</h1>{head}</header><nav>{nav}</nav><main>\n{body}\n</main>"
            f"</body></html>\n")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)  # an interrupted write never leaves half a page
    return path
