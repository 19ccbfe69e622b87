"""Pages in a real browser (issue 18): Debian's Chromium driven by Playwright's Python package
(``executable_path``: Playwright's own download cannot work here), every request a page makes
recorded and required to stay on this machine, axe-core run in the page, and screenshots at a
phone's and a desktop's width written under ``tests/e2e/results/`` (not committed).

Without Chromium, or without axe-core and an npm registry to fetch it from, the browser tests
skip saying what to install; under ``CI=true`` they fail (``.ci/run`` installs Chromium)."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.support.outside import skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "tests" / "e2e" / "results"
AXE_VERSION = "4.14.1"
AXE_DIR = ROOT / "tests" / "e2e" / ".axe"
WIDTHS = {"phone": 360, "desktop": 1280}
LOCAL = frozenset({"127.0.0.1", "localhost", "::1"})


def chromium() -> Path:
    if not CHROMIUM.is_file():
        skip_or_fail(
            f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium)",
            what="the browser tests",
        )
    return CHROMIUM


def axe_source() -> str:
    """axe-core's script, from the npm registry once (kept in ``tests/e2e/.axe``, ignored)."""
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        npm = shutil.which("npm")
        if npm is None:
            skip_or_fail("npm is not installed: axe-core cannot be fetched", what="the a11y checks")
        done = subprocess.run(
            [npm, "install", "--prefix", str(AXE_DIR), "--no-save", "--no-audit", "--no-fund",
             f"axe-core@{AXE_VERSION}"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if done.returncode != 0 or not script.is_file():
            skip_or_fail(f"npm could not install axe-core: {done.stderr[-500:]}", what="a11y")
    return script.read_text()


@dataclass
class Visit:
    """One page as a person saw it: every URL it asked for."""

    page: Any
    requests: list[str] = field(default_factory=list)

    def all_local(self) -> None:
        away = [
            u
            for u in self.requests
            if urlsplit(u).hostname not in LOCAL
            and not u.startswith(("blob:http://127.0.0.1", "data:"))
        ]
        assert not away, f"requests left this machine: {away}"

    def accessible(self) -> None:
        """axe-core finds no serious or critical violation."""
        result = self.page.evaluate(axe_source() + "\n;axe.run(document)")
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, f"accessibility violations: {bad}"

    def looked_at(self, name: str) -> list[Path]:
        """At a phone's and a desktop's width: axe-core finds nothing serious, and a full-page
        screenshot is written under ``RESULTS``; the paths."""
        RESULTS.mkdir(parents=True, exist_ok=True)
        shots = []
        for label, width in WIDTHS.items():
            self.page.set_viewport_size({"width": width, "height": 800})
            self.accessible()
            path = RESULTS / f"{re.sub(r'[^a-z0-9-]', '-', name)}-{label}.png"
            self.page.screenshot(path=str(path), full_page=True)
            shots.append(path)
        return shots


@contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium, closed afterwards."""
    path = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(path), args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


_addresses = itertools.count(1)


def new_address() -> str:
    """Another client address, as the test server's trusted proxy says (``X-Forwarded-For``):
    each visit is its own citizen for the lookup's per-address limit."""
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


@contextmanager
def visit(b: Any, url: str, width: int = 1280) -> Iterator[Visit]:
    """A fresh context (no cookies, no cache, its own address) on ``url``, its requests
    recorded."""
    context = b.new_context(
        viewport={"width": width, "height": 800},
        locale="vi-VN",
        extra_http_headers={"X-Forwarded-For": new_address()},
    )
    page = context.new_page()
    seen = Visit(page)
    page.on("request", lambda r: seen.requests.append(r.url))
    try:
        page.goto(url)
        yield seen
    finally:
        context.close()
