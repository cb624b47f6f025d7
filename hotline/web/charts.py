"""Server-drawn SVG charts for the report pages: bars, and a 7x24 heat map.

Hand-written, on purpose: no maintained server-side SVG chart library fits the stack (the
usual ones either draw in the browser with JavaScript, which the pages do without, or pull in
a plotting stack far larger than two chart shapes need). Each chart is an SVG element, inline
in the page (`ident` keeps its ids unique there), with a `<title>` and a `<desc>` (its
numbers in words), and colours and sizes as presentation attributes (`fill=`, `width=`),
never `style=`, which the pages' CSP forbids.
Every page that shows a chart also shows its numbers as a table and offers them as CSV.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

WIDTH = 720
BAR_AREA = 220
LEFT = 48
BOTTOM = 40
TOP = 16
BAR = "#1f5f99"
AXIS = "#333333"


def _svg(ident: str, width: int, height: int, title: str, desc: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(desc)}</desc>'
        + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, words: str, *, anchor: str = "middle", size: int = 11) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="sans-serif" font-size="{size}" '
            f'fill="{AXIS}" text-anchor={quoteattr(anchor)}>{escape(words)}</text>')


def bars(ident: str, title: str, desc: str, values: Sequence[tuple[str, float]], *,
         label_every: int = 1) -> str:
    """A bar per (label, value), value axis from zero to the largest value; each bar carries
    its own `<title>` (label: value) for readers who hover or focus it."""
    count = max(1, len(values))
    height = TOP + BAR_AREA + BOTTOM
    top = max((value for _, value in values), default=0) or 1
    slot = (WIDTH - LEFT - 8) / count
    body = [
        f'<line x1="{LEFT}" y1="{TOP + BAR_AREA}" x2="{WIDTH - 8}" y2="{TOP + BAR_AREA}" '
        f'stroke="{AXIS}" stroke-width="1"/>',
        _text(LEFT - 6, TOP + 8, _number(top), anchor="end"),
        _text(LEFT - 6, TOP + BAR_AREA, "0", anchor="end"),
    ]
    for index, (label, value) in enumerate(values):
        tall = BAR_AREA * value / top
        x = LEFT + index * slot + slot * 0.1
        body.append(
            f'<rect x="{x:.1f}" y="{TOP + BAR_AREA - tall:.1f}" width="{slot * 0.8:.1f}" '
            f'height="{tall:.1f}" fill="{BAR}"><title>{escape(label)}: {_number(value)}'
            "</title></rect>")
        if index % label_every == 0:
            body.append(_text(x + slot * 0.4, TOP + BAR_AREA + 16, label, size=10))
    return _svg(ident, WIDTH, height, title, desc, body)


def heat_map(ident: str, title: str, desc: str, rows: Sequence[str], columns: Sequence[str],
             cells: Sequence[Sequence[int]]) -> str:
    """A grid of cells shaded from white (0) to dark (the largest); each cell's `<title>`
    names its row, column and count, and non-zero counts are written in the cell."""
    cell, left, top = 26, 44, 22
    width, height = left + cell * len(columns) + 4, top + cell * len(rows) + 4
    most = max((value for row in cells for value in row), default=0) or 1
    body = [_text(left + cell * c + cell / 2, top - 6, name, size=10)
            for c, name in enumerate(columns)]
    for r, name in enumerate(rows):
        body.append(_text(left - 6, top + cell * r + cell / 2 + 4, name, anchor="end"))
        for c, value in enumerate(cells[r]):
            shade = value / most
            fill = _blend(shade)
            x, y = left + cell * c, top + cell * r
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell - 1}" height="{cell - 1}" fill="{fill}" '
                f'stroke="#cccccc" stroke-width="0.5"><title>{escape(name)} '
                f"{escape(columns[c])}: {value}</title></rect>")
            if value:
                colour = "#ffffff" if shade > 0.5 else AXIS
                body.append(
                    f'<text x="{x + cell / 2:.1f}" y="{y + cell / 2 + 4:.1f}" '
                    f'font-family="sans-serif" font-size="10" fill="{colour}" '
                    f'text-anchor="middle">{value}</text>')
    return _svg(ident, width, height, title, desc, body)


def _blend(share: float) -> str:
    """White to the bar colour by `share` in [0, 1]."""
    start, end = (255, 255, 255), (0x1f, 0x5f, 0x99)
    mixed = [round(a + (b - a) * share) for a, b in zip(start, end, strict=True)]
    return "#" + "".join(f"{part:02x}" for part in mixed)


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
