"""Content signatures of pushed bodies: `X-Hub-Signature: method=hexdigest`.

WebSub (W3C, section 8) has the hub sign each content distribution with the secret the
subscriber gave when subscribing: an HMAC of the raw body, with the method named in
the header. A subscriber that gave a secret must refuse a body without a signature or
with a wrong one, since anyone who guesses the callback URL could otherwise inject
articles. The comparison is constant-time so the digest cannot be guessed byte by byte.
"""

from __future__ import annotations

import hmac
import re
import secrets

from pipeline.errors import SignatureError

SIGNATURE_HEADER = "X-Hub-Signature"
#: the methods the recommendation names; sha1 is still what most hubs send
METHODS: dict[str, str] = {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
DEFAULT_METHOD = "sha256"
_HEX = re.compile(r"[0-9a-f]{1,256}")


def sign_body(secret: str, body: bytes, method: str = DEFAULT_METHOD) -> str:
    """The `X-Hub-Signature` value a hub sends for `body` (what hub simulators and tests use)."""
    if method not in METHODS:
        raise SignatureError(f"signature method {method!r} is not one of {', '.join(METHODS)}")
    digest = hmac.new(secret.encode("utf-8"), body, METHODS[method]).hexdigest()
    return f"{method}={digest}"


def verify_signature(secret: str, body: bytes, header: str | None) -> str:
    """Check `header` against `body`; the method used, or `SignatureError` saying why not."""
    if header is None or not header.strip():
        raise SignatureError(f"push has no {SIGNATURE_HEADER} header; the hub must sign with the subscription's secret")
    method, sep, given = header.strip().partition("=")
    method, given = method.strip().lower(), given.strip().lower()
    if not sep or not _HEX.fullmatch(given):  # compare_digest raises TypeError on non-ASCII text
        raise SignatureError(f"{SIGNATURE_HEADER} {header[:40]!r} is not method=hexdigest")
    if method not in METHODS:
        raise SignatureError(f"{SIGNATURE_HEADER} method {method[:20]!r} is not one of {', '.join(METHODS)}")
    expected = hmac.new(secret.encode("utf-8"), body, METHODS[method]).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body ({method}); refused")
    return method


def new_secret() -> str:
    """A fresh per-subscription secret: 64 hex characters (the hub allows up to 200 bytes)."""
    return secrets.token_hex(32)
