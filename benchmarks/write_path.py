"""Which modules of the project a server-signed hand-off runs code in, from the first middleware
to the answer: ``python -m benchmarks.write_path`` (SQLite, a fresh data directory).

ARCHITECTURE.md tells this path step by step; this script counts it again. A profiler records the
file of every Python function called while the request is served (all threads), after one
warm-up request on another file so that first-use work (imports, caches) does not count.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from fastapi.testclient import TestClient

from api.bootstrap import AUTHORITY, init_data_dir, open_ledger
from api.http.app import create_app
from api.settings import load_settings
from api.tokens import ApiRole, create_token
from signing import KeyDirectory
from signing.registry import Role

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "domain", "ledger", "projections", "signing")
UNIT = "PDEMO"
RECEIPT = {
    "procedure": "certified_copy",
    "channel": "in_person",
    "counter": "Q01",
    "department": "mot-cua",
    "documents": ["Bản chính"],
    "applicant": {"full_name": "A", "id_number": "001190054321", "phone": "0900000000",
                  "address": "Hà Nội"},
}  # fmt: skip
HAND_OFF = {"to_desk": {"officer": "binh", "department": "tu-phap", "agency": UNIT}, "note": ""}


def _prepare(data: Path) -> str:
    """A data directory with officers ``an`` and ``binh`` (keys held by the server); a token."""
    now = datetime.now(UTC)
    settings = init_data_dir(data, origin="bench.hoso.vn/write-path", db=None, at=now)
    keys = KeyDirectory(settings.keys_dir)
    ledger = open_ledger(settings)
    try:
        authority = keys.signer(AUTHORITY)
        for name in ("an", "binh"):
            ledger.register_key(
                signer=authority, actor=AUTHORITY, holder=name, role=Role.OFFICER, unit=UNIT,
                public_key=keys.create(name).public_key, valid_from=now, at=now,
            )  # fmt: skip
        return create_token(
            ledger.store, actor="an", role=ApiRole.OFFICER, unit=UNIT, now=now
        ).token
    finally:
        ledger.close()


def modules_of_one_hand_off() -> list[str]:
    """The project's modules (paths from the root) that run code for one hand-off request."""
    seen: set[str] = set()
    active = [False]

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        if event != "call" or not active[0]:
            return
        try:
            rel = Path(frame.f_code.co_filename).resolve().relative_to(ROOT)
        except ValueError:
            return
        if rel.parts and rel.parts[0] in PACKAGES:
            seen.add(str(rel))

    hook: Callable[[FrameType, str, Any], None] = profile
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "d"
        token = _prepare(data)
        headers = {"Authorization": f"Bearer {token}"}
        threading.setprofile(hook)  # the app's threads start inside TestClient
        sys.setprofile(hook)
        try:
            with TestClient(create_app(load_settings(data, None), integrate_every=None)) as c:
                codes = [c.post("/files", json=RECEIPT, headers=headers).json()["code"]]
                codes.append(c.post("/files", json=RECEIPT, headers=headers).json()["code"])
                warm = c.post(f"/files/{codes[0]}/hand-off", json=HAND_OFF, headers=headers)
                assert warm.status_code == 201, warm.text
                active[0] = True
                r = c.post(f"/files/{codes[1]}/hand-off", json=HAND_OFF, headers=headers)
                active[0] = False
                assert r.status_code == 201, r.text
        finally:
            sys.setprofile(None)
            threading.setprofile(None)
    return sorted(seen)


def main() -> None:
    found = modules_of_one_hand_off()
    for name in found:
        print(name)
    print(f"{len(found)} modules run code for one server-signed hand-off")


if __name__ == "__main__":
    main()
