"""The log's own formats (định dạng), shared by what writes them and the offline verifier that
reads them: the evidence bundle's version and the checkpoint's key-registry extension line.
Constants only, so that the verifier needs nothing of the storage."""

from __future__ import annotations

BUNDLE_FORMAT = "hoso-bundle/v1"
# A checkpoint extension line: ``hoso-keys <version> <sha256>``, the key registry's head.
REGISTRY_HEAD_PREFIX = "hoso-keys "
