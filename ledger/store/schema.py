"""The side tables' schema: every ledger table beside the events (``hoso_events``, made by
``eventsourcing``), created when a store opens. ``{blob}`` is the dialect's bytes type."""

from __future__ import annotations

SIDE_TABLES = {
    # (Applicants' keys live apart from the events: ledger/store/keystore.py.)
    "file_pins": (
        "CREATE TABLE IF NOT EXISTS hoso_file_pins ("
        "file_code TEXT PRIMARY KEY, pin_hash TEXT NOT NULL)"
    ),
    # Wrong PINs in a row per code, known or not (ledger/store/pins.py PinFailures).
    "pin_failures": (
        "CREATE TABLE IF NOT EXISTS hoso_pin_failures ("
        "file_code TEXT PRIMARY KEY, failures INTEGER NOT NULL, locked_until TEXT)"
    ),
    "code_counters": (
        "CREATE TABLE IF NOT EXISTS hoso_code_counters ("
        "unit TEXT NOT NULL, day TEXT NOT NULL, last INTEGER NOT NULL, PRIMARY KEY (unit, day))"
    ),
    "meta": "CREATE TABLE IF NOT EXISTS hoso_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # The Merkle log (ledger/log/storage.py): one leaf per stored event, in notification order.
    "log_leaves": (
        "CREATE TABLE IF NOT EXISTS hoso_log_leaves ("
        "leaf_index BIGINT PRIMARY KEY, position BIGINT NOT NULL UNIQUE, "
        "stream TEXT NOT NULL, version INTEGER NOT NULL, leaf_hash {blob} NOT NULL, "
        "UNIQUE (stream, version))"
    ),
    # Complete subtrees above the leaves: level k, index i covers leaves [i*2^k, (i+1)*2^k).
    "log_nodes": (
        "CREATE TABLE IF NOT EXISTS hoso_log_nodes ("
        "level INTEGER NOT NULL, idx BIGINT NOT NULL, hash {blob} NOT NULL, "
        "PRIMARY KEY (level, idx))"
    ),
    "log_checkpoints": (
        "CREATE TABLE IF NOT EXISTS hoso_log_checkpoints ("
        "size BIGINT PRIMARY KEY, root {blob} NOT NULL, note TEXT NOT NULL, "
        "created_at TEXT NOT NULL)"
    ),
    "log_cosignatures": (
        "CREATE TABLE IF NOT EXISTS hoso_log_cosignatures ("
        "size BIGINT NOT NULL, witness TEXT NOT NULL, signature_line TEXT NOT NULL, "
        "PRIMARY KEY (size, witness))"
    ),
}
# API tokens (ledger/store/tokens.py): made on first use, by the first token command.
TOKENS_TABLE = (
    "CREATE TABLE IF NOT EXISTS hoso_tokens ("
    "token_hash TEXT PRIMARY KEY, token_id TEXT NOT NULL UNIQUE, actor TEXT NOT NULL,"
    " role TEXT NOT NULL, unit TEXT NOT NULL, units TEXT NOT NULL, created_at TEXT NOT NULL,"
    " revoked_at TEXT)"
)
