"""Self-contained HTML pages for every report: interactive charts and sortable tables, no server, no network.

A page is a title, an optional lead paragraph and a list of ``Section`` (heading, HTML body);
``page`` puts them together with a table of contents, the style, and each script the page needs
exactly once, inline: plotly's JavaScript (``plotly.offline.get_plotlyjs``, the version pinned in
``pyproject.toml``) when the page holds a chart, and the small table script below when it holds a
sortable table. Nothing is fetched: the file opens offline, from disk or an e-mail.

The pieces a section body is built from:

- ``table(rows, columns)``: a small static table (numbers right-aligned, ``None`` shown "n/a"),
  in a box that scrolls sideways rather than running off the page;
- ``data_table(rows, columns)``: a sortable, filterable, paginated table whose rows travel as JSON
  and are drawn page by page in the browser (click a heading to sort, type to filter); ``limit``
  caps the rows embedded, so a large run keeps a light page and says where the rest is;
- ``chart(figure, key)``: a plotly figure (zoom, pan, hover, toggling series, a PNG download from
  its toolbar); ``key`` makes its element id, so the same report gives the same bytes;
- ``paragraph``, ``lines`` (a list of lines, e.g. the overrides a study ran with), ``verdict``.

Every text passes through ``html.escape``; JSON inside a ``<script>`` element has ``<``, ``>`` and
``&`` escaped, so no value (a scenario's name, a trader's label) can close the element.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

escape = html.escape

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
nav { font-size: 90%; margin: 0.5em 0 1em; display: flex; flex-wrap: wrap; gap: 0.2em 1em; }
nav a { white-space: nowrap; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 90%; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; font-family: ui-monospace, monospace; white-space: nowrap; }
.ok { background: #d8f5d8; color: #135e13; font-weight: bold; }
.bad { background: #f8d7d7; color: #8a1010; font-weight: bold; }
.warn { background: #fff3cd; color: #6b5000; font-weight: bold; }
.note { color: #555; font-size: 90%; }
ul.lines { margin: 0.3em 0 1em; } ul.lines code { background: #f4f4f4; padding: 0 0.3em; }
pre { background: #f5f5f5; padding: 1em; overflow-x: auto; }
.chart { width: 100%; min-height: 380px; }
.dt-bar { display: flex; gap: 1em; align-items: center; font-size: 90%; margin-top: 0.5em; }
.dt-bar input { padding: 0.2em 0.4em; min-width: 16em; }
.dt table { font-size: 82%; } .dt td { white-space: nowrap; }
.dt th { cursor: pointer; user-select: none; white-space: nowrap; }
.dt th.asc::after { content: " \\25B2"; } .dt th.desc::after { content: " \\25BC"; }
"""

#: The sortable table: rows from the JSON beside each ``div.dt``, sorted, filtered and paged here.
TABLE_SCRIPT = """
document.querySelectorAll("div.dt").forEach(function (box) {
  var spec = JSON.parse(box.querySelector("script").textContent);
  var cols = spec.columns, all = spec.rows, size = spec.page, view = all.slice(), page = 0, key = -1, dir = 1;
  var bar = document.createElement("div"); bar.className = "dt-bar";
  var filter = document.createElement("input"); filter.type = "search"; filter.placeholder = "filter rows";
  var prev = document.createElement("button"); prev.textContent = "\\u2190 previous";
  var next = document.createElement("button"); next.textContent = "next \\u2192";
  var info = document.createElement("span");
  bar.append(filter, prev, next, info);
  var wrap = document.createElement("div"); wrap.className = "scroll";
  var table = document.createElement("table");
  var head = table.createTHead().insertRow(), body = table.createTBody();
  wrap.append(table); box.append(bar, wrap);
  function show(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "number") return v.toLocaleString("en-US", {maximumFractionDigits: 4});
    if (typeof v === "boolean") return v ? "yes" : "no";
    return String(v);
  }
  function draw() {
    var pages = Math.max(1, Math.ceil(view.length / size)); page = Math.min(page, pages - 1);
    body.replaceChildren();
    view.slice(page * size, page * size + size).forEach(function (row) {
      var tr = body.insertRow();
      row.forEach(function (v) {
        var td = tr.insertCell(); var text = show(v);
        if (typeof v === "number") td.className = "num";
        if (typeof v === "string" && /^0x[0-9a-fA-F]{12,}$/.test(v)) {
          td.title = v; text = v.slice(0, 8) + "\\u2026" + v.slice(-4);
        }
        td.textContent = text;
      });
    });
    info.textContent = (view.length ? page * size + 1 : 0) + "\\u2013" + Math.min(view.length, page * size + size) +
      " of " + view.length + " rows" + (view.length < all.length ? " (filtered from " + all.length + ")" : "");
    prev.disabled = page === 0; next.disabled = page >= pages - 1;
  }
  var query = "";
  function refresh() {
    view = query ? all.filter(function (row) {
      return row.some(function (v) {
        return String(v).toLowerCase().indexOf(query) >= 0 || show(v).toLowerCase().indexOf(query) >= 0;
      });
    }) : all.slice();
    if (key >= 0) view.sort(function (a, b) {
      var x = a[key], y = b[key];
      if (x === y) return 0; if (x === null) return 1; if (y === null) return -1;
      return (x < y ? -1 : 1) * dir;
    });
    page = 0; draw();
  }
  cols.forEach(function (name, i) {
    var th = document.createElement("th"); th.textContent = name; th.title = "sort by " + name; head.append(th);
    th.addEventListener("click", function () {
      dir = key === i ? -dir : 1; key = i;
      head.querySelectorAll("th").forEach(function (h) { h.className = ""; });
      th.className = dir > 0 ? "asc" : "desc";
      refresh();
    });
  });
  filter.addEventListener("input", function () { query = filter.value.toLowerCase(); refresh(); });
  prev.addEventListener("click", function () { page -= 1; draw(); });
  next.addEventListener("click", function () { page += 1; draw(); });
  draw();
});
"""

_CHART = "<!--chart-->"
_DATA_TABLE = "<!--data-table-->"


@dataclass(frozen=True)
class Section:
    """One part of a page: its heading and its HTML body (built with the helpers of this module)."""

    title: str
    body: str


def anchor(title: str) -> str:
    """The element id of a section heading: its title in lower case, words joined by dashes."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "section"


def number(value: Any, places: int = 4) -> str:
    """A value for reading: ``None`` "n/a", booleans yes/no, ints with separators, floats rounded."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "n/a"
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e9):
            return f"{value:,.4g}"
        return f"{value:,.{places}f}"
    return str(value)


_ESTIMATE = re.compile(r"^-?[\d,.]+(e[-+]?\d+)?( ± [\d,.]+(e[-+]?\d+)?)?$")


def _numeric(value: Any) -> bool:
    """A number, or a number as text (``"12.3 ± 4.5"``): right-aligned, never wrapped."""
    if isinstance(value, str):
        return bool(_ESTIMATE.match(value))
    return isinstance(value, int | float) and not isinstance(value, bool)


def table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    classes: Mapping[tuple[int, str], str] | None = None,
    places: int = 4,
) -> str:
    """A static table of ``rows`` (dicts) by ``columns`` (default: every key, first-seen order).

    ``headers`` renames columns for display; ``classes`` gives a cell (row index, column) a class
    (``ok``, ``bad``, ``warn``). Numbers are right-aligned; cells already HTML are never given.
    """
    if columns is None:
        seen: dict[str, None] = {}
        for row in rows:
            seen.update(dict.fromkeys(row))
        columns = list(seen)
    names = headers or {}
    marks = classes or {}
    head = "".join(f"<th>{escape(names.get(c, c))}</th>" for c in columns)
    body = []
    for index, row in enumerate(rows):
        cells = []
        for column in columns:
            value = row.get(column)
            klass = " ".join(k for k in ("num" if _numeric(value) else "", marks.get((index, column), "")) if k)
            attribute = f' class="{klass}"' if klass else ""
            cells.append(f"<td{attribute}>{escape(number(value, places))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def pairs(rows: Sequence[tuple[str, str]], header: tuple[str, str] | None = None) -> str:
    """A two-column table of (name, value already formatted)."""
    head = f"<thead><tr><th>{escape(header[0])}</th><th>{escape(header[1])}</th></tr></thead>" if header else ""
    body = "".join(f'<tr><th>{escape(k)}</th><td class="num">{escape(v)}</td></tr>' for k, v in rows)
    return f'<div class="scroll"><table>{head}<tbody>{body}</tbody></table></div>'


def _plain(value: Any) -> Any:
    """A cell for the JSON of a data table: numbers rounded to 10 significant digits, text as is."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else str(value)
    if isinstance(value, float):
        return float(f"{value:.10g}") if math.isfinite(value) else None
    return str(value)


def script_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def data_table(
    rows: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]],
    columns: Sequence[str],
    *,
    page_size: int = 25,
    limit: int | None = None,
    what: str = "rows",
    where: str = "",
    total: int | None = None,
) -> str:
    """A sortable, filterable, paginated table; at most ``limit`` rows are embedded (the first ones),
    with a note naming ``where`` the rest are. ``total``: how many rows there are, when ``rows`` holds
    only the first ones."""
    shown = rows if limit is None else rows[:limit]
    total = len(rows) if total is None else total
    data = [
        [_plain(row.get(c)) for c in columns] if isinstance(row, Mapping) else [_plain(v) for v in row] for row in shown
    ]
    note = ""
    if len(shown) < total:
        note = (
            f'<p class="note">The first {len(shown):,} of {total:,} {escape(what)} are here, to keep the page '
            f"light{'; all of them are in ' + escape(where) if where else ''}.</p>"
        )
    spec = script_json({"columns": list(columns), "rows": data, "page": page_size})
    return f'{_DATA_TABLE}{note}<div class="dt"><script type="application/json">{spec}</script></div>'


def chart(figure: Any, key: str) -> str:
    """A plotly figure as a ``div`` (its script included once per page by ``page``)."""
    import plotly.io as pio

    body = pio.to_html(
        figure,
        full_html=False,
        include_plotlyjs=False,
        div_id=f"chart-{anchor(key)}",
        config={"displaylogo": False, "responsive": True},
        default_width="100%",
    )
    return f'{_CHART}<div class="chart">{body}</div>'


def paragraph(text: str, klass: str = "") -> str:
    attribute = f' class="{klass}"' if klass else ""
    return f"<p{attribute}>{escape(text)}</p>"


def lines(items: Sequence[str], *, code: bool = False) -> str:
    """A bulleted list; ``code`` shows each item as code (``keeper.fee_bps = 2``)."""
    if not items:
        return ""
    wrap = (lambda t: f"<code>{escape(t)}</code>") if code else escape
    return '<ul class="lines">' + "".join(f"<li>{wrap(item)}</li>" for item in items) + "</ul>"


def verdict(text: str, ok: bool | None) -> str:
    """A one-line verdict, green when ``ok``, red when not, amber when ``None`` (not enough to say)."""
    klass = "warn" if ok is None else "ok" if ok else "bad"
    return f'<p><span class="{klass}">{escape(text)}</span></p>'


@cache
def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def page(title: str, sections: Sequence[Section], lead: str = "") -> bytes:
    """The whole self-contained page (see the module docstring)."""
    bodies = [s.body for s in sections]
    scripts = []
    if any(_CHART in body for body in bodies):
        scripts.append(f'<script type="text/javascript">{plotly_js()}</script>')
    nav = "".join(f'<a href="#{anchor(s.title)}">{escape(s.title)}</a>' for s in sections)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{STYLE}</style>",
        *scripts,
        "</head><body>",
        f"<h1>{escape(title)}</h1>",
        lead,
        f"<nav>{nav}</nav>" if len(sections) > 2 else "",
    ]
    for section in sections:
        body = section.body.replace(_CHART, "").replace(_DATA_TABLE, "")
        parts.append(f'<section id="{anchor(section.title)}"><h2>{escape(section.title)}</h2>{body}</section>')
    if any(_DATA_TABLE in body for body in bodies):
        parts.append(f"<script>{TABLE_SCRIPT}</script>")
    parts.append("</body></html>\n")
    return "\n".join(p for p in parts if p).encode()
