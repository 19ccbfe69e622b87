"""Tile paths of C2SP tlog-tiles: ``<L>/<N>[.p/<W>]`` and ``entries/<N>[.p/<W>]``.

``<N>`` is written in zero-padded groups of three digits, every group but the last prefixed
with ``x`` (1234067 is ``x001/x234/067``), and without leading ``x000`` groups. Only that one
canonical spelling is accepted, so every tile has exactly one URL (and one cache entry).
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.errors import BadTilePath

TILE_WIDTH = 256
MAX_LEVEL = 63


@dataclass(frozen=True)
class TileRef:
    level: int  # tile level L (hash level 8*L); -1 for entry bundles
    index: int
    width: int  # 256 for a full tile, 1..255 for a partial one

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH


def encode_index(n: int) -> str:
    if n < 0:
        raise BadTilePath(f"negative tile index {n}")
    groups = [f"{n % 1000:03d}"]
    n //= 1000
    while n > 0:
        groups.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(groups))


def tile_path(ref: TileRef) -> str:
    head = "entries" if ref.level < 0 else str(ref.level)
    tail = "" if ref.full else f".p/{ref.width}"
    return f"{head}/{encode_index(ref.index)}{tail}"


def _decimal(text: str, what: str) -> int:
    if not text.isascii() or not text.isdigit() or (len(text) > 1 and text[0] == "0"):
        raise BadTilePath(f"{what} {text!r} is not a decimal number without leading zeros")
    return int(text)


def parse_index_and_width(parts: list[str]) -> tuple[int, int]:
    """``["x001", "x234", "067.p", "12"]`` -> (1234067, 12); full tiles have width 256."""
    if not parts or not parts[0]:
        raise BadTilePath("the tile index is missing")
    width = TILE_WIDTH
    if parts[-1].endswith(".p"):
        raise BadTilePath("a partial tile needs its width after .p/")
    if len(parts) >= 2 and parts[-2].endswith(".p"):
        width = _decimal(parts[-1], "tile width")
        if not 1 <= width < TILE_WIDTH:
            raise BadTilePath(f"a partial tile's width must be 1..255, not {width}")
        parts = [*parts[:-2], parts[-2].removesuffix(".p")]
    index = 0
    for i, group in enumerate(parts):
        last = i == len(parts) - 1
        digits = group if last else group.removeprefix("x")
        if (not last and not group.startswith("x")) or len(digits) != 3:
            raise BadTilePath(f"tile index group {group!r} is not in the form xNNN/.../NNN")
        if not digits.isascii() or not digits.isdigit():
            raise BadTilePath(f"tile index group {group!r} is not three digits")
        index = index * 1000 + int(digits)
    if encode_index(index) != "/".join(parts):
        raise BadTilePath(f"the canonical path of tile index {index} is {encode_index(index)}")
    return index, width


def parse_tile_path(path: str) -> TileRef:
    """Parse the part after ``tile/``: ``<L>/<N>[.p/<W>]`` or ``entries/<N>[.p/<W>]``."""
    head, _, rest = path.partition("/")
    if head == "entries":
        level = -1
    else:
        level = _decimal(head, "tile level")
        if level > MAX_LEVEL:
            raise BadTilePath(f"tile level {level} is above {MAX_LEVEL}")
    index, width = parse_index_and_width(rest.split("/"))
    return TileRef(level, index, width)
