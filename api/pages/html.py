"""Small pieces of page markup: tables and the links between periods. Every text escaped here."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from html import escape
from urllib.parse import quote

Cell = str | tuple[str, str]  # text, or (text, href)
_ids = itertools.count(1)
STACKED = ' class="stacked"'


def _cell(tag: str, cell: Cell, numeric: bool, label: str) -> str:
    attrs = (' class="num"' if numeric else "") + f' data-label="{escape(label)}"'
    if isinstance(cell, tuple):
        text, href = cell
        return f'<{tag}{attrs}><a href="{escape(href)}">{escape(text)}</a></{tag}>'
    return f"<{tag}{attrs}>{escape(cell)}</{tag}>"


def table(
    caption: str,
    head: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    numeric: Sequence[int] = (),
    row_headers: bool = True,
    stacked: bool = False,
) -> str:
    """A data table: a caption, column headers, the first cell of each row as its header;
    ``stacked``: on a phone each row is a card, each cell under its column's name."""
    th = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body = []
    for row in rows:
        cells = [
            _cell("th" if i == 0 and row_headers else "td", c, i in numeric, head[i])
            for i, c in enumerate(row)
        ]
        if row_headers and cells:
            cells[0] = cells[0].replace("<th", '<th scope="row"', 1)
        body.append("<tr>" + "".join(cells) + "</tr>")
    n = next(_ids)  # the caption above the scroller (it would scroll away inside the table)
    return (
        f'<p class="caption" id="table-{n}">{escape(caption)}</p>'
        f'<div class="scroll" role="region" tabindex="0" aria-labelledby="table-{n}">'
        f'<table aria-labelledby="table-{n}"{STACKED if stacked else ""}>'
        f"<thead><tr>{th}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def with_data(caption: str, chart: str, data_table: str) -> str:
    """A chart under its caption, with its numbers in a table a click away."""
    return (
        f"<figure><figcaption>{escape(caption)}</figcaption>"
        f'<div class="scroll" role="region" tabindex="0" aria-label="{escape(caption)}">'
        f"{chart}</div>"
        "<details><summary>"
        f"Số liệu · The numbers</summary>{data_table}</details></figure>"
    )


def href(path: str, **params: str) -> str:
    """``path`` with its query (values quoted)."""
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    return f"{path}?{query}" if query else path
