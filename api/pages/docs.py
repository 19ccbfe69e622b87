"""The API's documentation page with its scripts served from here (FastAPI's own ``/docs`` loads
Swagger UI from a CDN, and is blank offline): the assets come from the ``fastapi-offline``
package (MIT), mounted under ``/static/docs``. There is no ``/redoc``: ReDoc fetches its logo
from its maker's CDN whatever it is given."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.pages.layout import STATIC

ASSETS = Path(fastapi_offline.__file__).parent / "static"
PREFIX = "/static/docs"
router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui() -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="hoso ledger · API",
        swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
        swagger_css_url=f"{PREFIX}/swagger-ui.css",
        swagger_favicon_url=f"{PREFIX}/favicon.png",
        # no deep links: Swagger UI puts them as links inside its operation buttons
        swagger_ui_parameters={"deepLinking": False},
    )
    html = bytes(page.body).decode()
    html = html.replace("<html>", '<html lang="en">', 1).replace(
        "</head>", f'<link rel="stylesheet" href="{STATIC}/docs.css"></head>', 1
    )
    return HTMLResponse(html)


def install(app: FastAPI) -> None:
    """The page, and its assets."""
    app.include_router(router)
    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")
