"""Ed25519 keys, signers, key files and signature checks (signing/)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1
from cryptography.hazmat.primitives.asymmetric.ec import generate_private_key as ec_key

from signing import (
    BadSignature,
    EncodingError,
    KeyDirectory,
    KeyFileError,
    KeyFileSigner,
    MalformedKey,
    PrivateKeySigner,
    Signer,
    SigningError,
    VerificationError,
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

SEED = bytes(range(32))
SEED_PUBLIC = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
SEED_KEY_ID = "db376b595fc2fddc929a0507e32a4ed7"

# RFC 8032 section 7.1, TEST 1 and TEST 2: (secret key, public key, message, signature).
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


@pytest.fixture
def signer() -> PrivateKeySigner:
    return PrivateKeySigner(generate_private_key(SEED))


# --- keys ---------------------------------------------------------------------------------------


def test_seeded_key_is_deterministic() -> None:
    a = generate_private_key(SEED)
    b = generate_private_key(SEED)
    assert public_key_raw(a) == public_key_raw(b) == bytes.fromhex(SEED_PUBLIC)
    assert public_key_raw(a.public_key()) == bytes.fromhex(SEED_PUBLIC)


def test_random_keys_differ() -> None:
    assert public_key_raw(generate_private_key()) != public_key_raw(generate_private_key())


@pytest.mark.parametrize("seed", [b"", bytes(31), bytes(33)])
def test_seed_must_be_32_bytes(seed: bytes) -> None:
    with pytest.raises(SigningError, match="32 bytes"):
        generate_private_key(seed)


def test_key_id_is_stable_for_fixed_seed(signer: PrivateKeySigner) -> None:
    assert key_id(bytes.fromhex(SEED_PUBLIC)) == SEED_KEY_ID
    assert signer.key_id == SEED_KEY_ID
    assert len(SEED_KEY_ID) == 32


@pytest.mark.parametrize("raw", [b"", bytes(31), bytes(33), bytes(64)])
def test_bad_public_key_lengths_are_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedKey):
        load_public_key(raw)
    with pytest.raises(MalformedKey):
        key_id(raw)


def test_load_public_key_round_trip() -> None:
    raw = bytes.fromhex(SEED_PUBLIC)
    assert public_key_raw(load_public_key(raw)) == raw


def test_b64_round_trip() -> None:
    for n in range(8):
        data = bytes(range(n))
        assert unb64(b64(data)) == data
    assert b64(b"\xfb\xff") == "+/8="


@pytest.mark.parametrize("text", ["QQ", "QR==", "QQ==\n", " QQ==", "-_8=", "Q=Q=", "é", "QQ=="[:3]])
def test_unb64_is_strict(text: str) -> None:
    with pytest.raises(EncodingError):
        unb64(text)


def test_encoding_error_is_value_error_and_verification_error() -> None:
    with pytest.raises(ValueError):
        unb64("!")
    with pytest.raises(VerificationError):
        unb64("!")


# --- RFC 8032 vectors ---------------------------------------------------------------------------


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC8032)
def test_rfc8032_vectors(secret: str, public: str, message: str, signature: str) -> None:
    s = PrivateKeySigner(generate_private_key(bytes.fromhex(secret)))
    msg = bytes.fromhex(message)
    assert s.public_key == bytes.fromhex(public)
    assert s.sign(msg) == bytes.fromhex(signature)
    verify_signature(bytes.fromhex(public), msg, bytes.fromhex(signature))
    assert signature_ok(bytes.fromhex(public), msg, bytes.fromhex(signature))


# --- tampering ----------------------------------------------------------------------------------


def test_sign_and_verify(signer: PrivateKeySigner) -> None:
    msg = b"FileReceived 000.00.01.H01-250101-0001"
    sig = signer.sign(msg)
    assert len(sig) == 64
    verify_signature(signer.public_key, msg, sig)


def test_every_message_byte_flip_fails(signer: PrivateKeySigner) -> None:
    msg = b"hand_off: counter 3 -> justice"
    sig = signer.sign(msg)
    for i in range(len(msg)):
        with pytest.raises(BadSignature):
            verify_signature(signer.public_key, flip(msg, i), sig)
        assert not signature_ok(signer.public_key, flip(msg, i), sig)


def test_every_signature_byte_flip_fails(signer: PrivateKeySigner) -> None:
    msg = b"short"
    sig = signer.sign(msg)
    for i in range(64):
        with pytest.raises(BadSignature):
            verify_signature(signer.public_key, msg, flip(sig, i))
        assert not signature_ok(signer.public_key, msg, flip(sig, i))


def test_every_public_key_byte_flip_fails(signer: PrivateKeySigner) -> None:
    msg = b"short"
    sig = signer.sign(msg)
    for i in range(32):
        with pytest.raises(VerificationError):
            verify_signature(flip(signer.public_key, i), msg, sig)
        assert not signature_ok(flip(signer.public_key, i), msg, sig)


def test_appended_or_truncated_message_fails(signer: PrivateKeySigner) -> None:
    msg = b"short"
    sig = signer.sign(msg)
    assert not signature_ok(signer.public_key, msg + b"\x00", sig)
    assert not signature_ok(signer.public_key, msg[:-1], sig)


@pytest.mark.parametrize("length", [0, 63, 65, 128])
def test_wrong_signature_length_is_bad_signature(signer: PrivateKeySigner, length: int) -> None:
    sig = (signer.sign(b"m") * 2)[:length]
    with pytest.raises(BadSignature, match="64 bytes"):
        verify_signature(signer.public_key, b"m", sig)


def test_wrong_key_fails(signer: PrivateKeySigner) -> None:
    other = PrivateKeySigner(generate_private_key(bytes(32)))
    with pytest.raises(BadSignature):
        verify_signature(other.public_key, b"m", signer.sign(b"m"))


def test_malformed_key_is_reported(signer: PrivateKeySigner) -> None:
    with pytest.raises(MalformedKey):
        verify_signature(b"\x00" * 31, b"m", signer.sign(b"m"))
    assert not signature_ok(b"", b"m", signer.sign(b"m"))


def test_bad_signature_wraps_cryptography_error(signer: PrivateKeySigner) -> None:
    with pytest.raises(BadSignature) as info:
        verify_signature(signer.public_key, b"m", bytes(64))
    assert info.value.__cause__ is not None


# --- Signer protocol ----------------------------------------------------------------------------


def test_signers_satisfy_protocol(signer: PrivateKeySigner, tmp_path: Path) -> None:
    assert isinstance(signer, Signer)
    assert isinstance(KeyDirectory(tmp_path / "keys").create("a", SEED), Signer)
    assert SEED_KEY_ID in repr(signer)
    assert "PRIVATE" not in repr(signer)


# --- key files ----------------------------------------------------------------------------------


def test_saved_key_file_has_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "new" / "k.pem"
    save_private_key_pem(path, generate_private_key(SEED))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) & 0o077 == 0
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_key_raw(load_private_key_pem(path)).hex() == SEED_PUBLIC


def test_overwrite_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    save_private_key_pem(path, generate_private_key(SEED))
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        save_private_key_pem(path, generate_private_key())
    assert path.read_bytes() == before


def test_symlink_target_not_written(tmp_path: Path) -> None:
    target = tmp_path / "target"
    (tmp_path / "k.pem").symlink_to(target)
    with pytest.raises(KeyFileError):
        save_private_key_pem(tmp_path / "k.pem", generate_private_key(SEED))
    assert not target.exists()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_open_key_file_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "k.pem"
    save_private_key_pem(path, generate_private_key(SEED))
    os.chmod(path, mode)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_private_key_pem(path)
    with pytest.raises(KeyFileError, match="too open"):
        KeyFileSigner.from_file(path)


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="not found"):
        load_private_key_pem(tmp_path / "nope.pem")


def write_0600(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def test_non_ed25519_key_refused(tmp_path: Path) -> None:
    pem = ec_key(SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_0600(tmp_path / "ec.pem", pem)
    with pytest.raises(KeyFileError, match="not an Ed25519"):
        load_private_key_pem(tmp_path / "ec.pem")


def test_garbage_and_encrypted_key_files_refused(tmp_path: Path) -> None:
    write_0600(tmp_path / "junk.pem", b"not a key\n")
    with pytest.raises(KeyFileError):
        load_private_key_pem(tmp_path / "junk.pem")
    encrypted = generate_private_key(SEED).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    write_0600(tmp_path / "enc.pem", encrypted)
    with pytest.raises(KeyFileError):
        load_private_key_pem(tmp_path / "enc.pem")


def test_directory_is_not_a_key_file(tmp_path: Path) -> None:
    (tmp_path / "d.pem").mkdir(mode=0o700)
    with pytest.raises(KeyFileError):
        load_private_key_pem(tmp_path / "d.pem")


# --- key directory ------------------------------------------------------------------------------


def test_key_directory_create_and_load(tmp_path: Path) -> None:
    root = tmp_path / "keys"
    keys = KeyDirectory(root)
    assert keys.names() == []
    created = keys.create("officer-01", SEED)
    assert stat.S_IMODE(os.stat(root).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(root / "officer-01.pem").st_mode) == 0o600
    assert created.key_id == SEED_KEY_ID
    assert created.path == root / "officer-01.pem"
    keys.create("leader.vice_chair")
    assert keys.exists("officer-01")
    assert not keys.exists("officer-02")
    assert keys.names() == ["leader.vice_chair", "officer-01"]
    loaded = keys.signer("officer-01")
    assert loaded.key_id == SEED_KEY_ID
    verify_signature(loaded.public_key, b"m", created.sign(b"m"))


def test_key_directory_refuses_existing(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path)
    keys.create("a", SEED)
    with pytest.raises(KeyFileError, match="already exists"):
        keys.create("a")
    assert keys.signer("a").key_id == SEED_KEY_ID


def test_key_directory_missing_key(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError):
        KeyDirectory(tmp_path).signer("ghost")


@pytest.mark.parametrize(
    "name",
    [
        "",
        "a/b",
        "../a",
        "..",
        ".",
        "a..b",
        ".hidden",
        "/etc/passwd",
        "a\\b",
        "a b",
        "é",
        "a\n",
        "x" * 65,
    ],
)
def test_key_directory_refuses_bad_names(tmp_path: Path, name: str) -> None:
    keys = KeyDirectory(tmp_path / "keys")
    with pytest.raises(KeyFileError, match="invalid key name"):
        keys.create(name, SEED)
    with pytest.raises(KeyFileError, match="invalid key name"):
        keys.signer(name)
    with pytest.raises(KeyFileError, match="invalid key name"):
        keys.exists(name)
    assert not (tmp_path / "keys").exists()


def test_key_directory_names_ignores_other_files(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path)
    keys.create("good", SEED)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "bad name.pem").write_text("x")
    (tmp_path / "sub.pem").mkdir()
    assert keys.names() == ["good"]
