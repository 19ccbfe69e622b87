"""The API's documentation in a real browser (issue 18, point 7): ``/docs`` renders the operations
from this server's own assets, with no request leaving the machine."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.conftest import Site
from tests.support.browser import visit


def test_swagger_ui_renders_offline(site: Site, chrome: Any) -> None:
    with visit(chrome, f"{site.server.url}/docs") as seen:
        seen.page.wait_for_selector(".opblock", timeout=20_000)
        assert seen.page.locator(".opblock").count() > 20  # the operations, drawn
        assert seen.page.locator("[data-path='/public/results']").count() == 1
        seen.all_local()
        assert any("/static/docs/swagger-ui-bundle.js" in u for u in seen.requests)
        seen.accessible()


def test_there_is_no_redoc_to_call_a_cdn(site: Site) -> None:
    assert httpx.get(f"{site.server.url}/redoc").status_code == 404
