"""Every operation of the OpenAPI document shows integrators an example of its answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from api.bootstrap import init_data_dir
from api.http.app import create_app
from tests.support.cast import T0


def _has_example(content: dict[str, Any], schemas: dict[str, Any]) -> bool:
    if "example" in content or "examples" in content:
        return True
    ref = content.get("schema", {}).get("$ref", "")
    return '"example' in json.dumps(schemas.get(ref.split("/")[-1], {}))


def test_every_operation_has_an_example(tmp_path: Path) -> None:
    settings = init_data_dir(tmp_path / "d", origin="test.hoso.vn/x", db=None, at=T0)
    spec = create_app(settings, integrate_every=None).openapi()
    schemas = spec["components"]["schemas"]
    missing = [
        f"{method.upper()} {path}"
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if not any(
            _has_example(content, schemas)
            for status, response in op["responses"].items()
            if str(status).startswith("2")
            for content in response.get("content", {}).values()
        )
    ]
    assert not missing, missing
    assert len(spec["paths"]) > 30
