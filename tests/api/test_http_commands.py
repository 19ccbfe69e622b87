"""Commands over HTTP: server-side and client-side signing, refusals, races, the batch endpoint.

Every refusal must be problem+json and leave the store (and so the Merkle log) exactly as it was.
SQLite and PostgreSQL run the same tests.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.bootstrap import AUTHORITY, init_data_dir, open_ledger
from api.http.app import create_app
from api.http.schemas.actions import ACTIONS
from api.http.state import state_of
from api.settings import Settings
from api.tokens import ApiRole, create_token
from domain.deadlines import SupplementPolicy
from domain.portal import PortalStatus, portal_status
from ledger.chain.rule_replay import RuleSettings, replay_report
from ledger.chain.service import Ledger
from ledger.encoding.canonical import canonical_bytes
from ledger.log.storage import MerkleLog
from ledger.store import sql as db_sql
from signing import KeyDirectory, PrivateKeySigner, Signer, b64, generate_private_key, unb64
from signing.registry import Role
from tests.support.cast import T0, UNIT
from tests.support.clock import Clock
from tests.support.http import COMMANDS_ORIGIN, RECEIPT, START
from tests.support.problems import assert_problem

ORIGIN = COMMANDS_ORIGIN
OTHER = "PKHAC"
EVENT_FIELDS = {
    "v",
    "origin",
    "stream",
    "version",
    "type",
    "occurred_at",
    "recorded_at",
    "actor",
    "key_id",
    "payload",
    "prev_hash",
    "sig",
    "hash",
}
# name, registry role, unit, API role, does the server hold the key?
PEOPLE = [
    ("an", Role.OFFICER, UNIT, ApiRole.OFFICER, True),
    ("binh", Role.OFFICER, UNIT, ApiRole.OFFICER, True),
    ("chutich", Role.LEADER, UNIT, ApiRole.LEADER, True),
    ("dung", Role.OFFICER, UNIT, ApiRole.OFFICER, False),
    ("khac", Role.OFFICER, OTHER, ApiRole.OFFICER, True),
]


@dataclass
class Env:
    settings: Settings
    ledger: Ledger  # the test's own handle on the same database
    app: FastAPI
    http: TestClient
    clock: Clock
    tokens: dict[str, str]
    keys: dict[str, Signer]
    kids: dict[str, str]

    def post(self, who: str, path: str, body: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.http.post(path, json=body, headers=headers)

    def size(self) -> int:
        """Integrate everything stored, then the log's size (= the number of stored events)."""
        log = MerkleLog(self.ledger.store, ORIGIN)
        log.integrate()
        rows = db_sql.rows(self.ledger.store, "SELECT COUNT(*) AS n FROM hoso_events")
        assert log.size() == int(rows[0]["n"])
        return log.size()


@pytest.fixture(params=["sqlite", "postgres"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    db = None if request.param == "sqlite" else str(request.getfixturevalue("pg_schema"))
    settings = init_data_dir(tmp_path / "d", origin=ORIGIN, db=db, at=T0, seed=b"\x01" * 32)
    ledger = open_ledger(settings)
    directory = KeyDirectory(settings.keys_dir)
    authority = directory.signer(AUTHORITY)
    keys: dict[str, Signer] = {}
    kids: dict[str, str] = {}
    tokens: dict[str, str] = {}
    for n, (name, role, unit, api_role, held) in enumerate(PEOPLE):
        seed = bytes([20 + n]) * 32
        key = directory.create(name, seed) if held else PrivateKeySigner(generate_private_key(seed))
        keys[name] = key
        kids[name] = ledger.register_key(
            signer=authority,
            actor=AUTHORITY,
            holder=name,
            role=role,
            unit=unit,
            public_key=key.public_key,
            valid_from=T0,
            at=T0,
        )
        tokens[name] = create_token(
            ledger.store, actor=name, role=api_role, unit=unit, now=T0
        ).token
    for name, api_role in [("thanhtra", ApiRole.INSPECTOR), ("portal", ApiRole.INTEGRATION)]:
        tokens[name] = create_token(
            ledger.store, actor=name, role=api_role, unit=UNIT, now=T0
        ).token
    tokens["portal-khac"] = create_token(
        ledger.store, actor="portal-khac", role=ApiRole.INTEGRATION, unit=OTHER, now=T0
    ).token
    clock = Clock(START)
    ledger.clock = clock  # the tests' server time, for what the test's own ledger writes too
    app = create_app(settings, integrate_every=None)
    try:
        with TestClient(app) as http:
            state_of(app).ledger.clock = clock  # type: ignore[union-attr]
            yield Env(settings, ledger, app, http, clock, tokens, keys, kids)
    finally:
        ledger.store.close()


# ------------------------------------------------------------------------------ helpers
def receive(env: Env, who: str = "an") -> dict[str, Any]:
    r = env.post(who, "/files", RECEIPT)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def act(env: Env, who: str, code: str, action: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    r = env.post(who, f"/files/{code}/{action}", body)
    assert r.status_code == 201, r.text
    events: list[dict[str, Any]] = r.json()["events"]
    return events


def to_desk(officer: str, department: str = "tu-phap") -> dict[str, Any]:
    return {"to_desk": {"officer": officer, "department": department, "agency": UNIT}}


def prepare(env: Env, who: str, code: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
    actor = body.get("actor", who)
    r = env.post(who, f"/files/{code}/prepare/{action}", {**body, "key_id": env.kids[actor]})
    assert r.status_code == 200, r.text
    prepared: dict[str, Any] = r.json()
    return prepared


def sign(prepared: dict[str, Any], key: Signer) -> dict[str, Any]:
    message = unb64(prepared["signing_message"])
    body = prepared["envelope"]
    assert message == b"hoso/envelope/v1\x00" + canonical_bytes(body)
    return {**body, "sig": b64(key.sign(message))}


def submit(env: Env, who: str, code: str, *envelopes: dict[str, Any]) -> Any:
    return env.post(who, f"/files/{code}/events", {"envelopes": list(envelopes)})


def check_event(event: dict[str, Any]) -> None:
    assert set(event) == EVENT_FIELDS
    # The chain hash is over what the actor sent: every field but the server's recorded_at.
    rest = {k: v for k, v in event.items() if k not in ("hash", "recorded_at")}
    assert hashlib.sha256(canonical_bytes(rest)).hexdigest() == event["hash"]
    assert event["recorded_at"] is not None


def chain_is_whole(env: Env, code: str, versions: int) -> None:
    """Versions dense from 1, every link and signature verified by a fresh load."""
    stored = env.ledger.store.stream(code)
    assert [s.originator_version for s in stored] == list(range(1, versions + 1))
    loaded = env.ledger.load(code)
    assert len(loaded.envelopes) == versions


# ------------------------------------------------------------------------------- tests
def test_server_side_lifecycle(env: Env) -> None:
    receipt = receive(env)
    code = receipt["code"]
    assert len(receipt["pin"]) == 6 and receipt["pin"].isdigit()
    assert receipt["applicant_ref"].startswith("ap-")
    (received,) = receipt["events"]
    check_event(received)
    assert (received["type"], received["actor"], received["version"]) == ("FileReceived", "an", 1)
    assert env.ledger.check_pin(code, receipt["pin"])
    appointment = datetime.fromisoformat(receipt["appointment_at"])
    later = (appointment + timedelta(days=1)).isoformat()
    steps = [
        ("an", "hand-off", {**to_desk("binh"), "note": "Thẩm định"}),
        ("binh", "acknowledge-handoff", {}),  # the receiver's own signed step (issue 17)
        ("binh", "request-supplement", {"items": ["Bản sao CCCD"], "reason": "Thiếu CCCD"}),
        ("binh", "receive-supplement", {"items": ["Bản sao CCCD"]}),
        ("binh", "request-fee", {"amount_vnd": 4000, "description": "Lệ phí chứng thực"}),
        ("binh", "pay-fee", {"amount_vnd": 4000, "method": "counter"}),
        ("binh", "issue-apology", {"reason": "Chờ xác minh", "new_appointment_at": later}),
        ("binh", "submit-for-signature", {"leader": "chutich"}),
        ("chutich", "sign-result", {"document_sha256": "ab" * 32}),
        ("an", "return-result", {"method": "counter"}),
        ("an", "rate-satisfaction", {"rating": "satisfied"}),
    ]
    previous = received
    for n, (who, action, body) in enumerate(steps, start=2):
        (event,) = act(env, who, code, action, body)
        check_event(event)
        assert (event["version"], event["actor"], event["stream"]) == (n, who, code)
        assert event["prev_hash"] == previous["hash"]
        assert event["key_id"] == env.kids[who]
        assert event["occurred_at"] < event["recorded_at"]  # the server's clock, then its receipt
        previous = event
    assert previous["type"] == "SatisfactionRated"
    chain_is_whole(env, code, len(steps) + 1)
    assert env.ledger.load(code).file.state.value == "returned"
    # Closed: a further action is an illegal transition, and nothing is written.
    before = env.size()
    assert_problem(
        env.post("an", f"/files/{code}/refuse", {"reason": "x"}), 409, "illegal-transition"
    )
    assert env.size() == before


def test_papers_not_accepted_at_the_counter(env: Env) -> None:
    """Từ chối tiếp nhận (issue 17): its own event, distinct from a refusal during processing;
    the file opens closed with portal status 3, nothing may follow, and the audit's rule replay
    gives the very event back."""
    r = env.post("an", "/files", {**RECEIPT, "refusal": "Bản chính bị tẩy xóa"})
    assert r.status_code == 201, r.text
    doc = r.json()
    (event,) = doc["events"]
    check_event(event)
    assert (event["type"], event["version"]) == ("FileNotAccepted", 1)
    code = doc["code"]
    f = env.ledger.load(code).file
    assert (f.state.value, f.is_open, f.processing_ended_at) == ("not_accepted", False, None)
    assert portal_status(f) is PortalStatus.NOT_ACCEPTED
    assert env.ledger.reveal(f.closing_reason) == "Bản chính bị tẩy xóa"  # sealed text
    before = env.size()
    assert_problem(
        env.post("an", f"/files/{code}/hand-off", {**to_desk("binh"), "note": "x"}),
        409,
        "illegal-transition",
    )
    assert env.size() == before
    stored = [(n.id, n.state) for n in env.ledger.store.notifications(1, 10_000)]
    rules = replay_report(stored, RuleSettings(env.ledger.calendar, SupplementPolicy.EXTEND))
    assert rules.ok and rules.events >= 1, rules.failure


def test_client_side_lifecycle_gives_the_same_envelopes(env: Env) -> None:
    r = env.post("dung", "/files/prepare-receipt", {**RECEIPT, "key_id": env.kids["dung"]})
    assert r.status_code == 200, r.text
    prepared = r.json()
    code = prepared["code"]
    assert prepared["envelope"]["stream"] == code and prepared["envelope"]["version"] == 1
    receipt = sign(prepared, env.keys["dung"])
    r = submit(env, "dung", code, receipt)
    assert r.status_code == 201, r.text
    result = r.json()
    assert result["status"] == "stored" and len(result["pin"]) == 6
    assert env.ledger.check_pin(code, result["pin"])
    (stored,) = result["events"]
    check_event(stored)
    assert stored["occurred_at"] < stored["recorded_at"]
    # Resubmitting is a no-op: the same stored envelope, no PIN, nothing written.
    before = env.size()
    again = submit(env, "dung", code, receipt)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "already-stored" and again.json()["pin"] is None
    assert again.json()["events"] == [stored]
    assert env.size() == before
    # The applicant's data opens with the key stored at prepare time.
    f = env.ledger.load(code).file
    assert env.ledger.personal_data(f).full_name == RECEIPT["applicant"]["full_name"]

    # The same actions as the server-side test, prepared and signed by the officer's own key.
    hand_off = sign(prepare(env, "dung", code, "hand-off", to_desk("binh")), env.keys["dung"])
    r = submit(env, "dung", code, hand_off)
    assert r.status_code == 201, r.text
    client_event = r.json()["events"][0]
    check_event(client_event)
    assert client_event["prev_hash"] == stored["hash"]
    # The server-side twin of the same action on a server-side file: the same envelope form.
    other = receive(env)
    (server_event,) = act(env, "an", other["code"], "hand-off", to_desk("binh"))
    assert set(server_event) == set(client_event)
    assert server_event["type"] == client_event["type"] == "FileHandedOff"
    assert set(server_event["payload"]) == set(client_event["payload"])
    assert server_event["payload"]["to_desk"] == client_event["payload"]["to_desk"]
    # binh (server-held key) continues with his own key on his device; then the leader.
    to_leader = prepare(env, "binh", code, "submit-for-signature", {"leader": "chutich"})
    assert submit(env, "binh", code, sign(to_leader, env.keys["binh"])).status_code == 201
    lead = sign(
        prepare(env, "chutich", code, "sign-result", {"document_sha256": "cd" * 32}),
        env.keys["chutich"],
    )
    assert submit(env, "chutich", code, lead).status_code == 201
    chain_is_whole(env, code, 4)
    # dung's key is not on the server: server-side mode is refused, clearly.
    assert_problem(env.post("dung", "/files", RECEIPT), 403, "no-server-key")


def test_refused_envelopes_change_nothing(env: Env) -> None:
    code = receive(env)["code"]
    an = env.keys["an"]
    before = env.size()

    def refused(envelope: dict[str, Any], status: int, kind: str) -> dict[str, Any]:
        body = assert_problem(submit(env, "an", code, envelope), status, kind)
        assert env.size() == before
        chain_is_whole(env, code, 1)
        return body

    good = prepare(env, "an", code, "hand-off", to_desk("binh"))
    # A bad signature: a signature over different bytes.
    forged = {**sign(good, an), "sig": b64(an.sign(b"something else"))}
    refused(forged, 403, "bad-signature")
    # An unregistered key, even one that signs its envelope correctly.
    stranger = PrivateKeySigner(generate_private_key(b"\x63" * 32))
    unregistered = {**good["envelope"], "key_id": stranger.key_id}
    message = b"hoso/envelope/v1\x00" + canonical_bytes(unregistered)
    body = refused({**unregistered, "sig": b64(stranger.sign(message))}, 403, "key-not-valid")
    assert "not registered" in body["detail"]
    # Someone else's registered key.
    refused(sign(good, env.keys["binh"]), 403, "bad-signature")
    # A skewed occurred_at: prepared for 10 minutes ahead of the server's clock.
    ahead = (env.clock.now + timedelta(minutes=10)).isoformat()
    skewed = prepare(env, "an", code, "hand-off", {**to_desk("binh"), "at": ahead})
    body = refused(sign(skewed, an), 422, "refused")
    assert "server's clock" in body["detail"]
    # A malformed envelope: an extra field, or a payload that is not canonical JSON.
    assert_problem(
        submit(env, "an", code, {**sign(good, an), "recorded_at": "x"}), 422, "invalid-request"
    )
    bad_payload = {**good["envelope"], "payload": {"note": 1.5}}
    refused({**bad_payload, "sig": b64(an.sign(b"x"))}, 422, "malformed-envelope")
    # A stale prev_hash: two envelopes prepared on the same head; the second loses.
    first = sign(good, an)
    second = sign(prepare(env, "an", code, "hand-off", to_desk("chutich")), an)
    assert submit(env, "an", code, first).status_code == 201
    before = env.size()
    body = assert_problem(submit(env, "an", code, second), 409, "conflict")
    assert "older head" in body["detail"] or "different version" in body["detail"]
    assert env.size() == before
    chain_is_whole(env, code, 2)


def test_a_revoked_key_is_refused(env: Env) -> None:
    code = receive(env)["code"]
    when = env.clock.now
    prepared = prepare(
        env,
        "an",
        code,
        "hand-off",
        {**to_desk("binh"), "at": (when + timedelta(minutes=2)).isoformat()},
    )
    before = refused_after_revocation(
        env, code, prepared, when + timedelta(minutes=1), timedelta(minutes=2)
    )
    # Server-side too: the server holds the key, the registry says no.
    assert_problem(env.post("an", f"/files/{code}/hand-off", to_desk("binh")), 403, "key-not-valid")
    assert env.size() == before


def test_an_envelope_dated_before_the_revocation_is_refused_after_it(env: Env) -> None:
    """Issue 15, point 1: submitted after the revocation, dated 60 s before it (inside the
    clock-skew window): the key is judged at the server's receipt time, so 403."""
    code = receive(env)["code"]
    cut = env.clock.now + timedelta(minutes=1)
    prepared = prepare(
        env,
        "an",
        code,
        "hand-off",
        {**to_desk("binh"), "at": (cut - timedelta(seconds=60)).isoformat()},
    )
    refused_after_revocation(env, code, prepared, cut, timedelta(minutes=1, seconds=30))


def refused_after_revocation(
    env: Env, code: str, prepared: dict[str, Any], effective_at: datetime, later: timedelta
) -> int:
    """Revoke an's key (from ``effective_at``), let ``later`` pass, submit an's ``prepared``
    envelope: 403, nothing stored; the log's size."""
    env.ledger.revoke_key(
        signer=KeyDirectory(env.settings.keys_dir).signer(AUTHORITY),
        actor=AUTHORITY,
        kid=env.kids["an"],
        effective_at=effective_at,
        reason="lost laptop",
        at=env.clock.now,
    )
    env.clock.advance(later)
    before = env.size()
    body = assert_problem(
        submit(env, "an", code, sign(prepared, env.keys["an"])), 403, "key-not-valid"
    )
    assert "revoked" in body["detail"]
    assert env.size() == before
    chain_is_whole(env, code, 1)
    return before


def race(calls: list[Callable[[], Any]]) -> list[int]:
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = []
    lock = threading.Lock()

    def run(call: Callable[[], Any]) -> None:
        barrier.wait()
        r = call()
        with lock:
            statuses.append(r.status_code)
            if r.status_code >= 400:
                assert r.headers["content-type"] == "application/problem+json"

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(statuses)


def test_concurrent_conflicting_commands(env: Env) -> None:
    code = receive(env)["code"]
    statuses = race(
        [
            lambda: env.post("an", f"/files/{code}/hand-off", to_desk("binh")),
            lambda: env.post("an", f"/files/{code}/hand-off", to_desk("chutich", "lanh-dao")),
        ]
    )
    assert statuses == [201, 409]
    chain_is_whole(env, code, 2)
    # Client-side: two envelopes prepared on one head, submitted at once.
    binh = env.ledger.load(code).file.holder.officer
    assert binh in ("binh", "chutich")
    one = sign(prepare(env, binh, code, "refuse", {"reason": "Không đủ điều kiện"}), env.keys[binh])
    two = sign(prepare(env, binh, code, "withdraw", {"reason": "Công dân rút"}), env.keys[binh])
    statuses = race([lambda: submit(env, binh, code, one), lambda: submit(env, binh, code, two)])
    assert statuses == [201, 409]
    chain_is_whole(env, code, 3)
    assert env.size() == len(env.ledger.store.stream(code)) + len(env.ledger.store.stream("KEYS"))


def test_batch_is_all_or_nothing_per_file_and_idempotent(env: Env) -> None:
    codes = [receive(env)["code"] for _ in range(3)]
    an = env.keys["an"]
    envelopes = [
        sign(prepare(env, "portal", c, "hand-off", {**to_desk("binh"), "actor": "an"}), an)
        for c in codes
    ]
    envelopes[2]["sig"] = b64(an.sign(b"not this envelope"))
    before = env.size()
    r = env.post("portal", "/batch", {"envelopes": envelopes})
    assert r.status_code == 207, r.text
    results = r.json()["results"]
    assert [x["code"] for x in results] == codes
    assert [x["status"] for x in results] == ["stored", "stored", "refused"]
    assert results[2]["problem"]["type"] == "https://hoso.vn/problems/bad-signature"
    assert results[2]["problem"]["status"] == 403 and results[2]["events"] == []
    for x in results[:2]:
        (event,) = x["events"]
        check_event(event)
    assert env.size() == before + 2
    chain_is_whole(env, codes[0], 2)
    chain_is_whole(env, codes[2], 1)  # the refused file: nothing stored
    # Resubmitting: the stored files answer already-stored with the very same events.
    again = env.post("portal", "/batch", {"envelopes": envelopes})
    assert again.status_code == 207
    redo = again.json()["results"]
    assert [x["status"] for x in redo] == ["already-stored", "already-stored", "refused"]
    assert [x["events"] for x in redo[:2]] == [x["events"] for x in results[:2]]
    assert env.size() == before + 2
    clean = env.post("portal", "/batch", {"envelopes": envelopes[:2] + envelopes[:1]})
    assert clean.status_code == 200
    assert [x["status"] for x in clean.json()["results"]] == ["already-stored"] * 2
    assert env.size() == before + 2
    # Another unit's integration client, an officer, an inspector: refused.
    other = env.post("portal-khac", "/batch", {"envelopes": envelopes[2:]})
    assert other.status_code == 207
    assert other.json()["results"][0]["problem"]["type"].endswith("/forbidden")
    for who in ("an", "thanhtra"):
        assert_problem(env.post(who, "/batch", {"envelopes": envelopes}), 403, "forbidden")
    too_many = {"envelopes": envelopes[:1] * 1001}
    assert_problem(env.post("portal", "/batch", too_many), 422, "invalid-request")
    assert env.size() == before + 2


def example(model: Any) -> dict[str, Any]:
    found: dict[str, Any] = model.model_json_schema()["examples"][0]
    return found


def test_authorization(env: Env) -> None:
    code = receive(env)["code"]
    before = env.size()
    # An officer of another unit: not their file.
    assert_problem(env.post("khac", f"/files/{code}/hand-off", to_desk("khac")), 403, "forbidden")
    r = env.post(
        "khac", f"/files/{code}/prepare/hand-off", {**to_desk("khac"), "key_id": env.kids["khac"]}
    )
    assert_problem(r, 403, "forbidden")
    # An officer may only submit envelopes they signed as themselves.
    theirs = sign(prepare(env, "an", code, "hand-off", to_desk("binh")), env.keys["an"])
    assert_problem(submit(env, "binh", code, theirs), 403, "forbidden")
    assert_problem(submit(env, "khac", code, theirs), 403, "forbidden")
    # An inspector writes nothing, whatever the command.
    inspector = "thanhtra"
    assert_problem(env.post(inspector, "/files", RECEIPT), 403, "forbidden")
    assert_problem(env.post(inspector, "/files/prepare-receipt", RECEIPT), 403, "forbidden")
    assert_problem(submit(env, inspector, code, theirs), 403, "forbidden")
    for action in ACTIONS:
        body = example(action)
        assert_problem(env.post(inspector, f"/files/{code}/{action.path}", body), 403, "forbidden")
        path = f"/files/{code}/prepare/{action.path}"
        assert_problem(env.post(inspector, path, {**body, "key_id": "0" * 32}), 403, "forbidden")
    # No token at all.
    assert_problem(
        env.http.post(f"/files/{code}/refuse", json={"reason": "x"}), 401, "unauthorized"
    )
    assert env.size() == before
    # The integration client serving the unit may prepare for an officer, and must name one.
    r = env.post(
        "portal", f"/files/{code}/prepare/hand-off", {**to_desk("binh"), "key_id": env.kids["an"]}
    )
    assert_problem(r, 422, "invalid-value")
    assert_problem(
        env.post(
            "portal-khac",
            f"/files/{code}/prepare/hand-off",
            {**to_desk("binh"), "actor": "an", "key_id": env.kids["an"]},
        ),
        403,
        "forbidden",
    )


def test_bad_bodies_and_domain_refusals(env: Env) -> None:
    code = receive(env)["code"]
    before = env.size()
    cases = [
        (f"/files/{code}/hand-off", {**to_desk("binh"), "extra": 1}, 422, "invalid-request"),
        (f"/files/{code}/sign-result", {"document_sha256": "XYZ"}, 422, "invalid-request"),
        (f"/files/{code}/pay-fee", {"amount_vnd": 10, "method": "cheque"}, 422, "invalid-request"),
        ("/files/bad-code/refuse", {"reason": "x"}, 422, "invalid-request"),
        (
            f"/files/{code}/pay-fee",
            {"amount_vnd": 10, "method": "counter"},
            409,
            "illegal-transition",
        ),
        (f"/files/{code}/hand-off", to_desk("an", "mot-cua"), 409, "illegal-transition"),
        ("/files/PTEST-260302-0999/refuse", {"reason": "x"}, 404, "not-found"),
        ("/files", {**RECEIPT, "procedure": "no_such_thing"}, 422, "invalid-value"),
        ("/files", {**RECEIPT, "documents": []}, 422, "invalid-request"),
        ("/files", {**RECEIPT, "applicant_ref": "ap-" + "0" * 24}, 404, "not-found"),
        (
            "/files",
            {**RECEIPT, "channel": "online", "procedure": "land_use_certificate_first"},
            422,
            "invalid-value",
        ),
    ]
    for path, body, status, kind in cases:
        assert_problem(env.post("an", path, body), status, kind)
    unknown = {**RECEIPT, "key_id": env.kids["dung"], "applicant_ref": "ap-" + "0" * 24}
    assert_problem(env.post("dung", "/files/prepare-receipt", unknown), 404, "not-found")
    assert env.size() == before
    # A refused receipt reserves no number: the next receipt takes the next code.
    number = int(code.rsplit("-", 1)[1])
    assert int(receive(env)["code"].rsplit("-", 1)[1]) == number + 1
    # A receipt submitted for a code never reserved is refused.
    prepared = env.post(
        "dung", "/files/prepare-receipt", {**RECEIPT, "key_id": env.kids["dung"]}
    ).json()
    unreserved = {**prepared["envelope"], "stream": code[:-4] + "0099"}
    message = b"hoso/envelope/v1\x00" + canonical_bytes(unreserved)
    signed = {**unreserved, "sig": b64(env.keys["dung"].sign(message))}
    before = env.size()
    assert_problem(submit(env, "dung", unreserved["stream"], signed), 422, "refused")
    assert env.size() == before


def test_a_step_in_a_year_nobody_published_is_refused(env: Env) -> None:
    code = receive(env)["code"]
    before = env.size()
    env.clock.set(datetime(2028, 3, 1, 2, tzinfo=UTC))  # the ledger published 2025 to 2027
    for path, body in [("/files", RECEIPT), (f"/files/{code}/hand-off", to_desk("binh"))]:
        body = assert_problem(env.post("an", path, body), 409, "calendar-not-published")
        assert "the working calendar of 2028 is not published" in body["detail"]
        assert "hoso calendar publish 2028" in body["detail"]
    assert env.size() == before


def test_openapi_documents_every_command(env: Env) -> None:
    doc = env.http.get("/openapi.json").json()
    paths = doc["paths"]
    for action in ACTIONS:
        for path in (f"/files/{{code}}/{action.path}", f"/files/{{code}}/prepare/{action.path}"):
            op = paths[path]["post"]
            assert op["tags"] == ["commands"]
            assert set(op["responses"]) >= {"403", "409", "422"}
    for path in ("/files", "/files/prepare-receipt", "/files/{code}/events", "/batch"):
        assert "post" in paths[path]
    schemas = doc["components"]["schemas"]
    for name in ("HandOff", "PrepareHandOff", "CounterReceiptIn", "EventOut", "BatchOut",
                 "FileResult"):  # fmt: skip
        assert schemas[name].get("examples"), name
    assert "207" in paths["/batch"]["post"]["responses"]
    assert orjson.dumps(doc)  # serialisable as it stands


def test_a_relayed_envelope_is_authorized_as_its_signer(env: Env) -> None:
    """Issue 15, point 7: the integration client relays an envelope signed by an officer of
    another unit who does not hold the file. Their own token gets 403; so does the relay, with
    nothing stored; the same envelope signed by the holder goes through."""
    code = receive(env)["code"]
    prepared = prepare(env, "an", code, "hand-off", to_desk("binh"))
    body = {**prepared["envelope"], "actor": "khac", "key_id": env.kids["khac"]}
    message = b"hoso/envelope/v1\x00" + canonical_bytes(body)
    foreign = {**body, "sig": b64(env.keys["khac"].sign(message))}
    before = env.size()
    assert_problem(submit(env, "khac", code, foreign), 403, "forbidden")
    problem = assert_problem(submit(env, "portal", code, foreign), 403, "forbidden")
    assert "khac" in problem["detail"]
    batch = env.post("portal", "/batch", {"envelopes": [foreign]})
    assert batch.status_code == 207, batch.text
    assert batch.json()["results"][0]["problem"]["status"] == 403
    assert env.size() == before
    chain_is_whole(env, code, 1)
    r = submit(env, "portal", code, sign(prepared, env.keys["an"]))
    assert r.status_code == 201, r.text
    chain_is_whole(env, code, 2)


def test_control_characters_and_lone_surrogates_are_refused_before_anything_is_stored(
    env: Env,
) -> None:
    """Issue 16, point 1 (a first part): a NUL in a reason was accepted and then stopped the read
    models on PostgreSQL. Now the domain refuses it, and a lone surrogate, with 422."""
    code = receive(env)["code"]
    before = env.size()
    cases = [
        (f"/files/{code}/hand-off", {**to_desk("binh"), "note": "chuyển\u0000gấp"}),
        (f"/files/{code}/refuse", {"reason": "lý do\u0000x"}),
        (
            f"/files/{code}/issue-apology",
            {"reason": "lý do\u0000x", "new_appointment_at": "2026-04-30T10:00:00+07:00"},
        ),
    ]
    for path, body in cases:
        r = env.post("an", path, body)
        assert r.status_code == 422, r.text  # by the body's schema, or the domain's text rule
        assert r.json()["type"].rsplit("/", 1)[1] in ("invalid-value", "invalid-request")
    surrogate = env.http.post(  # JSON's own escape of a lone surrogate, as a client may send it
        f"/files/{code}/refuse",
        content=b'{"reason": "x\\ud800y"}',
        headers={"Authorization": f"Bearer {env.tokens['an']}", "Content-Type": "application/json"},
    )
    assert surrogate.status_code == 422, surrogate.text  # the body's schema refuses it
    assert env.size() == before
    ok = env.post("an", f"/files/{code}/hand-off", {**to_desk("binh"), "note": "dòng 1\ndòng 2"})
    assert ok.status_code == 201, ok.text
