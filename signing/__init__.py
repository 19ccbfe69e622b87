"""Ed25519 keys, signers and signature checks. Knows nothing of files or procedures."""
