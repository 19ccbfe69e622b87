"""The log's own formats (định dạng), shared by what writes them and the offline verifier that
reads them: the evidence bundle's version and the checkpoint's extension lines (the key
registry's head, the map of file heads).
Constants only, so that the verifier needs nothing of the storage."""

from __future__ import annotations

BUNDLE_FORMAT = "hoso-bundle/v2"
# A checkpoint extension line: ``hoso-keys <version> <sha256>``, the key registry's head.
REGISTRY_HEAD_PREFIX = "hoso-keys "
# A checkpoint extension line: ``hoso-heads <base64 root>``, the map of file heads
# (``ledger.log.headmap``): a bundle proves its file's last event is the file's head.
HEADS_PREFIX = "hoso-heads "
RESULT_FORMAT = "hoso-result-proof/v1"
"""A signed result's proof: the event that signed it, its inclusion proof, the checkpoint."""
