"""Signing-key cryptography: generation, RFC 7638 kids, public JWKs, encryption at rest.

Private keys are stored as AES-256-GCM ciphertext of their PKCS#8 DER form. The AES key is
derived with HKDF-SHA256 from BRIDGE_SECRET_KEY, and the kid is the associated data, so a
ciphertext copied onto another key's row does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

ALGORITHMS = ("RS256", "ES256")
RSA_KEY_BITS = 2048
_FORMAT = b"\x01"  # version byte of the stored blob: 1 = AES-256-GCM, 12-byte nonce
_NONCE_BYTES = 12
_KEY_ENCRYPTION_INFO = b"moodle-bridge signing-key encryption v1"
_SESSION_INFO = b"moodle-bridge session tokens v1"


class KeyDecryptionError(Exception):
    """A stored private key does not decrypt: BRIDGE_SECRET_KEY changed, or the row was altered."""


def as_utc(value: datetime) -> datetime:
    """A stored timestamp as aware UTC (SQLite hands them back naive)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(value: int, length: int | None = None) -> str:
    return b64url(value.to_bytes(length or (value.bit_length() + 7) // 8, "big"))


def generate_private_key(alg: str) -> PrivateKey:
    """A fresh private key for RS256 (RSA 2048) or ES256 (P-256)."""
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unsupported signing algorithm {alg!r}; use one of {ALGORITHMS}")


def thumbprint(required: dict[str, str]) -> str:
    """RFC 7638 JWK thumbprint: SHA-256 of the required members, sorted, no whitespace."""
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":")).encode()
    return b64url(hashlib.sha256(canonical).digest())


def public_jwk(key: PrivateKey) -> dict[str, str]:
    """The public half as a JWK with kid (thumbprint), use and alg (PHP-JWT needs alg)."""
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.public_key().public_numbers()
        required = {"e": _int_b64(numbers.e), "kty": "RSA", "n": _int_b64(numbers.n)}
        alg = "RS256"
    else:
        point = key.public_key().public_numbers()
        required = {"crv": "P-256", "kty": "EC", "x": _int_b64(point.x, 32),
                    "y": _int_b64(point.y, 32)}
        alg = "ES256"
    return {"kid": thumbprint(required), "use": "sig", "alg": alg, **required}


def derive_key(secret: str, info: bytes) -> bytes:
    """A 256-bit key for one purpose, derived from the bridge's secret."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"moodle-bridge", info=info)
    return hkdf.derive(secret.encode())


def session_signing_key(secret: str) -> bytes:
    """The HMAC key of the bridge's own session tokens (never used for SSO tokens)."""
    return derive_key(secret, _SESSION_INFO)


def encrypt_private_key(key: PrivateKey, *, kid: str, secret: str) -> bytes:
    """The stored form of a private key: version byte, nonce, AES-GCM ciphertext and tag."""
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    nonce = os.urandom(_NONCE_BYTES)
    aead = AESGCM(derive_key(secret, _KEY_ENCRYPTION_INFO))
    return _FORMAT + nonce + aead.encrypt(nonce, der, kid.encode())


@lru_cache(maxsize=32)
def decrypt_private_key(blob: bytes, *, kid: str, secret: str) -> PrivateKey:
    """The private key from its stored form (cached: loading an RSA key is slow)."""
    if blob[:1] != _FORMAT:
        raise KeyDecryptionError(f"key {kid}: unknown storage format")
    nonce, ciphertext = blob[1:1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES:]
    try:
        der = AESGCM(derive_key(secret, _KEY_ENCRYPTION_INFO)).decrypt(
            nonce, ciphertext, kid.encode()
        )
    except InvalidTag:
        raise KeyDecryptionError(f"key {kid} does not decrypt with BRIDGE_SECRET_KEY") from None
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyDecryptionError(f"key {kid}: unexpected key type")
    return key


def jwks_document(jwks: list[dict[str, Any]]) -> bytes:
    """The JWKS body, serialised the same way every time so that its ETag is stable."""
    return json.dumps({"keys": jwks}, sort_keys=True, separators=(",", ":")).encode()
