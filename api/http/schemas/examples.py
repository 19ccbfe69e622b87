"""Examples shown in the OpenAPI document (documentation only: never used as data)."""

from __future__ import annotations

CHECKPOINT_EXAMPLE = (
    "demo.hoso.vn/phuong-ba-dinh\n1697\nkT3nL0tqg1bqF3Ok3p7o1ifXkq0H6cFZ0jvQKqkUo9w=\n"
    "hoso-keys 30 5c2f0b1e6a0d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3\n\n"
    "— demo.hoso.vn/phuong-ba-dinh V4z2dQ8v...base64 signature...\n"
)
INCLUSION_EXAMPLE = {
    "leaf_index": 12,
    "tree_size": 1697,
    "root": "kT3nL0tqg1bqF3Ok3p7o1ifXkq0H6cFZ0jvQKqkUo9w=",
    "proof": ["3c9pYt8K0m2rX4bJd1fQe7uA5wZ6nV0hLs9gT2yR4kE="],
}
CONSISTENCY_EXAMPLE = {
    "size1": 1000,
    "size2": 1697,
    "root1": "Qm8xWv2Tn4Lk7Jh1Gf5Dd3Ss9Aa0Pp6Oo2Ii8Uu4Yy=",
    "root2": "kT3nL0tqg1bqF3Ok3p7o1ifXkq0H6cFZ0jvQKqkUo9w=",
    "proof": ["3c9pYt8K0m2rX4bJd1fQe7uA5wZ6nV0hLs9gT2yR4kE="],
}
BUNDLE_EXAMPLE = {
    "format": "hoso-bundle/v2",
    "origin": "demo.hoso.vn/phuong-ba-dinh",
    "file": "PBADINH-260212-0003",
    "checkpoint": CHECKPOINT_EXAMPLE,
    "entries": [{"leaf_index": 40, "entry": "eyJhY3RvciI6InF1YXkwMyIs...", "inclusion_proof": []}],
    "registry": [
        {"leaf_index": 0, "entry": "eyJhY3RvciI6ImF1dGhvcml0eSIs...", "inclusion_proof": []}
    ],
}
