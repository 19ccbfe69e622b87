"""Charts drawn on the server as SVG (biểu đồ): no script, no library, nothing fetched; every text
escaped. Each chart is an image with a title and a description for screen readers, and the page
shows the same numbers as a table beside it.

Pure: numbers in, markup out. Shares are ``Fraction`` (exact), drawn as percentages.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from fractions import Fraction
from html import escape

__all__ = ["PALETTE", "bar_chart", "share_line_chart", "stacked_bars"]

PALETTE = ("#1d4ed8", "#15803d", "#b45309", "#7c3aed", "#be123c", "#0f766e")
"""Colours that keep 4.5:1 against white (the text drawn in them too)."""

_ids = itertools.count(1)
_W = 640  # the view box's width; the SVG scales to its container


def _frame(title: str, desc: str, height: int, body: str) -> str:
    n = next(_ids)
    return (
        f'<svg class="chart" viewBox="0 0 {_W} {height}" role="img" '
        f'aria-labelledby="chart-t{n} chart-d{n}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-t{n}">{escape(title)}</title>'
        f'<desc id="chart-d{n}">{escape(desc)}</desc>{body}</svg>'
    )


def _label_width(labels: Sequence[str], font: int) -> int:
    """Room for the longest label at ``font`` px (about 0.6 em a character), 80 to 320."""
    longest = max((len(label) for label in labels), default=0)
    return int(min(320, max(80, 16 + longest * font * 0.6)))


def _percent(share: Fraction) -> str:
    return f"{float(share * 100):.1f}%"


def share_line_chart(
    title: str, labels: Sequence[str], shares: Sequence[Fraction | None], desc: str = ""
) -> str:
    """A line of shares (0 to 100%) over ``labels`` (months); a period with nothing to judge
    (None) leaves a gap and says "—"."""
    if len(labels) != len(shares):
        raise ValueError("one share per label")
    left, right, top, bottom, height = 48, 16, 16, 40, 240
    plot_w, plot_h = _W - left - right, height - top - bottom
    step = plot_w / max(1, len(labels) - 1) if len(labels) > 1 else 0.0
    parts = []
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        parts.append(
            f'<line x1="{left}" x2="{_W - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d1d5db"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#374151">{tick}%</text>'
        )
    points: list[tuple[float, float] | None] = []
    for i, (label, share) in enumerate(zip(labels, shares, strict=True)):
        x = left + (step * i if len(labels) > 1 else plot_w / 2)
        parts.append(
            f'<text x="{x:.1f}" y="{height - 16}" text-anchor="middle" font-size="12" '
            f'fill="#374151">{escape(label)}</text>'
        )
        if share is None:
            points.append(None)
            continue
        y = top + plot_h * (1 - float(share))
        points.append((x, y))
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{PALETTE[0]}"/>'
            f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" font-size="11" '
            f'fill="#111827">{_percent(share)}</text>'
        )
    for run in _runs(points):
        if len(run) > 1:
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>'
            )
    return _frame(title, desc, height, "".join(parts))


def _runs(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    runs: list[list[tuple[float, float]]] = [[]]
    for p in points:
        if p is None:
            runs.append([])
        else:
            runs[-1].append(p)
    return [r for r in runs if r]


def bar_chart(title: str, items: Sequence[tuple[str, int]], desc: str = "") -> str:
    """Horizontal bars of counts, one per label, each with its count written after it."""
    row, top = 28, 8
    left = _label_width([label for label, _v in items], 13)
    height = top * 2 + row * max(1, len(items))
    most = max((v for _l, v in items), default=0) or 1
    width = _W - left - 70
    parts = []
    for i, (label, value) in enumerate(items):
        if value < 0:
            raise ValueError("a count is never negative")
        y = top + row * i
        w = width * value / most
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<text x="{left - 8}" y="{y + 18}" text-anchor="end" font-size="13" '
            f'fill="#111827">{escape(label)}</text>'
            f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="{row - 10}" fill="{colour}"/>'
            f'<text x="{left + w + 6:.1f}" y="{y + 18}" font-size="13" '
            f'fill="#111827">{value:,}</text>'
        )
    return _frame(title, desc, height, "".join(parts))


def stacked_bars(
    title: str,
    rows: Sequence[tuple[str, Sequence[int]]],
    legend: Sequence[str],
    desc: str = "",
) -> str:
    """One horizontal bar per row, split into ``legend``'s parts (counts, drawn as shares of
    the row), with the legend above and the row's total after it."""
    row, top = 30, 40
    left = _label_width([label for label, _c in rows], 12)
    height = top + row * max(1, len(rows)) + 8
    width = _W - left - 60
    parts = []
    for i, name in enumerate(legend):
        lx = 8 + i * 105
        parts.append(
            f'<rect x="{lx}" y="8" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{lx + 16}" y="19" font-size="12" fill="#111827">{escape(name)}</text>'
        )
    for r, (label, counts) in enumerate(rows):
        if len(counts) != len(legend) or any(c < 0 for c in counts):
            raise ValueError("one count (never negative) per legend entry")
        y = top + row * r
        total = sum(counts)
        parts.append(
            f'<text x="{left - 8}" y="{y + 18}" text-anchor="end" font-size="12" '
            f'fill="#111827">{escape(label)}</text>'
        )
        x = float(left)
        for i, c in enumerate(counts):
            w = width * c / total if total else 0.0
            if w > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row - 10}" '
                    f'fill="{PALETTE[i % len(PALETTE)]}"/>'
                )
            x += w
        parts.append(
            f'<text x="{left + width + 6}" y="{y + 18}" font-size="12" '
            f'fill="#111827">{total:,}</text>'
        )
    return _frame(title, desc, height, "".join(parts))
