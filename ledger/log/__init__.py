"""The RFC 9162 Merkle log: pure tree math, its storage and integrator, checkpoints, tiles,
evidence bundles and their offline verifier.
"""
