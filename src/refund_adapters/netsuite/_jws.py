"""JSON Web Signatures (RFC 7515) with PS256 and ES256, for NetSuite's OAuth 2.0 assertions.

Intent: the only module that imports ``cryptography`` (the ``refund-sync[netsuite-oauth2]``
extra), and the one place that checks for it: importing this module works without the extra
(TBA users and the local stand-ins never need it), and every function that needs it calls
:func:`require_cryptography` first, which names the extra in a ``ConfigurationError``. Keys are
never part of an error message.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
from typing import Any, Literal

import refund_core as rc

try:  # the optional extra: require_cryptography() reports its absence where it is needed
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
except ModuleNotFoundError:  # pragma: no cover - only without the extra
    _HAVE_CRYPTOGRAPHY = False
else:
    _HAVE_CRYPTOGRAPHY = True

__all__ = [
    "EXTRA",
    "JwsAlgorithm",
    "b64url_decode",
    "b64url_encode",
    "compact_sign",
    "decode_compact",
    "load_private_key",
    "load_public_key",
    "require_cryptography",
    "sign",
    "verify",
]

#: The package extra that brings ``cryptography``.
EXTRA = "refund-sync[netsuite-oauth2]"

#: The assertion signature algorithms the adapter and its stand-in support.
JwsAlgorithm = Literal["PS256", "ES256"]


def require_cryptography() -> None:
    """Raise a ConfigurationError naming the extra when ``cryptography`` is not installed."""
    if not _HAVE_CRYPTOGRAPHY or importlib.util.find_spec("cryptography") is None:
        raise rc.ConfigurationError(
            f"NetSuite OAuth 2.0 needs the 'cryptography' package: install {EXTRA}"
        )


def _pss() -> padding.PSS:
    """RFC 7518 3.5: PSS with MGF1(SHA-256) and a salt as long as the hash (32 bytes)."""
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Inverse of :func:`b64url_encode`; ValueError on anything that is not base64url."""
    if re.fullmatch(r"[A-Za-z0-9_-]*", text) is None or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_private_key(pem: bytes) -> PrivateKeyTypes:
    """An unencrypted PEM private key; ConfigurationError (without the key) if unreadable."""
    require_cryptography()
    try:
        return serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise rc.ConfigurationError(
            f"NetSuite OAuth 2.0 private key cannot be read ({type(exc).__name__})"
        ) from None


def load_public_key(pem: bytes) -> PublicKeyTypes:
    """A PEM public key, or the public key of a PEM X.509 certificate."""
    require_cryptography()
    try:
        if b"CERTIFICATE" in pem:
            return x509.load_pem_x509_certificate(pem).public_key()
        return serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise rc.ConfigurationError(
            f"NetSuite OAuth 2.0 public key cannot be read ({type(exc).__name__})"
        ) from None


def sign(signing_input: bytes, key: PrivateKeyTypes, algorithm: JwsAlgorithm) -> bytes:
    """The JWS signature (RFC 7518 3.4 / 3.5) of ``signing_input``; ES256 as raw ``r || s``."""
    require_cryptography()
    if algorithm == "PS256":
        if not isinstance(key, rsa.RSAPrivateKey):
            raise rc.ConfigurationError("PS256 needs an RSA private key")
        return key.sign(signing_input, _pss(), hashes.SHA256())
    if algorithm == "ES256":
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise rc.ConfigurationError("ES256 needs a P-256 EC private key")
        r, s = utils.decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    raise rc.ConfigurationError(f"unsupported JWS algorithm {algorithm!r}")


def verify(signing_input: bytes, signature: bytes, key: PublicKeyTypes, algorithm: str) -> bool:
    """Whether ``signature`` is a valid PS256/ES256 signature of ``signing_input`` by ``key``."""
    require_cryptography()
    try:
        if algorithm == "PS256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signing_input, _pss(), hashes.SHA256())
            return True
        if algorithm == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
            if len(signature) != 64 or key.curve.name != "secp256r1":
                return False
            r = int.from_bytes(signature[:32], "big")
            s = int.from_bytes(signature[32:], "big")
            key.verify(utils.encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
            return True
    except InvalidSignature:
        return False
    return False


def compact_sign(
    header: dict[str, Any], payload: dict[str, Any], key: PrivateKeyTypes, algorithm: JwsAlgorithm
) -> str:
    """A JWS compact serialization ``header.payload.signature`` of two JSON objects."""
    signing_input = ".".join(
        b64url_encode(json.dumps(part, separators=(",", ":")).encode())
        for part in (header, payload)
    )
    signature = sign(signing_input.encode("ascii"), key, algorithm)
    return f"{signing_input}.{b64url_encode(signature)}"


def decode_compact(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Split a compact JWS into header, payload, signing input and signature (not verified).

    ValueError when it is not three base64url parts with JSON objects in the first two.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("a compact JWS has three dot-separated parts")
    header = json.loads(b64url_decode(parts[0]))
    payload = json.loads(b64url_decode(parts[1]))
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ValueError("JWS header and payload must be JSON objects")
    signature = b64url_decode(parts[2])
    return header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature
