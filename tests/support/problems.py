"""Problem details (RFC 9457) as the API must answer them: status, type, title, detail, no trace."""

from __future__ import annotations

from typing import Any

PROBLEM = "application/problem+json"


def assert_problem(r: Any, status: int, kind: str) -> dict[str, Any]:
    """``r`` is a problem+json answer of ``status`` and type ``kind``, without a trace; its body."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    assert body["type"] == f"https://hoso.vn/problems/{kind}"
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in r.text
    return body
