"""Helpers shared by the vector generators: the TEST-ONLY keys, JWKs, RFC 7638 kids, raw JWS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

KEYS_DIR = Path(__file__).resolve().parent / "keys"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def compact_json(value: Any) -> bytes:
    """Serialise JSON the way the vectors sign it: no spaces, keys in insertion order."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def load_key(name: str) -> PrivateKey:
    """Load one committed test key by file stem."""
    key = serialization.load_pem_private_key((KEYS_DIR / f"{name}.pem").read_bytes(), password=None)
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise TypeError(f"{name}: unsupported key type")
    return key


def _int_b64(value: int, length: int | None = None) -> str:
    size = length if length is not None else (value.bit_length() + 7) // 8
    return b64url(value.to_bytes(size, "big"))


def public_jwk(key: PrivateKey) -> dict[str, str]:
    """Public JWK with kid = RFC 7638 thumbprint, use=sig and alg (PHP-JWT requires alg)."""
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.public_key().public_numbers()
        required = {"e": _int_b64(numbers.e), "kty": "RSA", "n": _int_b64(numbers.n)}
        alg = "RS256"
    else:
        point = key.public_key().public_numbers()
        required = {"crv": "P-256", "kty": "EC", "x": _int_b64(point.x, 32), "y": _int_b64(point.y, 32)}
        alg = "ES256"
    thumbprint = hashlib.sha256(compact_json(dict(sorted(required.items())))).digest()
    return {"kid": b64url(thumbprint), "use": "sig", "alg": alg, **required}


def public_pem(key: PrivateKey) -> bytes:
    """SubjectPublicKeyInfo PEM of the key's public half."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def sign(signing_input: bytes, alg: str, key: PrivateKey | bytes | None) -> bytes:
    """Raw JWS signature for alg; deterministic for every algorithm used here."""
    if alg == "none":
        return b""
    if alg == "HS256":
        assert isinstance(key, bytes)
        return hmac.new(key, signing_input, hashlib.sha256).digest()
    if alg in ("RS256", "RS384"):
        assert isinstance(key, rsa.RSAPrivateKey)
        digest = hashes.SHA256() if alg == "RS256" else hashes.SHA384()
        return key.sign(signing_input, padding.PKCS1v15(), digest)
    if alg == "ES256":
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        der = key.sign(signing_input, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        r, s = decode_dss_signature(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    raise ValueError(f"unsupported alg {alg}")


def jws(header: dict[str, Any], payload: Any, key: PrivateKey | bytes | None) -> str:
    """Compact JWS with exactly the given header (no defaults added)."""
    signing_input = f"{b64url(compact_json(header))}.{b64url(compact_json(payload))}".encode("ascii")
    signature = sign(signing_input, str(header["alg"]), key)
    return f"{signing_input.decode('ascii')}.{b64url(signature)}"
