"""Create the TEST-ONLY signing keys used by the shared vectors (run once; existing keys are kept).

These keys are committed on purpose so that the vectors are reproducible. They protect nothing
and must never be configured in a real bridge or Moodle site.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

KEYS_DIR = Path(__file__).resolve().parent / "keys"

# name -> key type; "published" keys appear in the vector JWKS, the others never do.
TEST_KEYS = {
    "test_only_rsa_current": "rsa",  # published, signs new tokens
    "test_only_rsa_retired": "rsa",  # published, retired: no new tokens, old ones still valid
    "test_only_ec_current": "ec",  # published, ES256
    "test_only_rsa_removed": "rsa",  # retired and removed from the JWKS after its tokens expired
    "test_only_ec_unknown": "ec",  # never published: its kid is unknown to Moodle
}


def _new_key(kind: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    """Return a fresh private key of the given kind."""
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def main() -> None:
    """Write every missing key as an unencrypted PKCS#8 PEM file."""
    KEYS_DIR.mkdir(exist_ok=True)
    for name, kind in TEST_KEYS.items():
        path = KEYS_DIR / f"{name}.pem"
        if path.exists():
            continue
        pem = _new_key(kind).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.write_bytes(pem)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
