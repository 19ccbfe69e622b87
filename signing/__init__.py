"""Ed25519 keys, signers and signature checks. Knows nothing of files or procedures."""

from signing.errors import (
    BadSignature,
    EncodingError,
    KeyFileError,
    MalformedKey,
    SigningError,
    VerificationError,
)
from signing.keys import (
    b64,
    generate_private_key,
    key_id,
    load_private_key_pem,
    load_public_key,
    public_key_raw,
    save_private_key_pem,
    signature_ok,
    unb64,
    verify_signature,
)
from signing.signer import KeyDirectory, KeyFileSigner, PrivateKeySigner, Signer

__all__ = [
    "BadSignature",
    "EncodingError",
    "KeyDirectory",
    "KeyFileError",
    "KeyFileSigner",
    "MalformedKey",
    "PrivateKeySigner",
    "Signer",
    "SigningError",
    "VerificationError",
    "b64",
    "generate_private_key",
    "key_id",
    "load_private_key_pem",
    "load_public_key",
    "public_key_raw",
    "save_private_key_pem",
    "signature_ok",
    "unb64",
    "verify_signature",
]
