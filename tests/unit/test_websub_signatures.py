"""X-Hub-Signature: good signatures pass for every method, bad and missing ones are refused."""

import hashlib
import hmac

import pytest

from pipeline.errors import SignatureError
from pipeline.websub.signatures import METHODS, new_secret, sign_body, verify_signature

SECRET = "s3cret-for-tests"
BODY = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>'


@pytest.mark.parametrize("method", sorted(METHODS))
def test_websub_signature_good_for_every_method(method):
    header = f"{method}={hmac.new(SECRET.encode(), BODY, getattr(hashlib, method)).hexdigest()}"
    assert sign_body(SECRET, BODY, method) == header
    assert verify_signature(SECRET, BODY, header) == method


def test_websub_signature_accepts_upper_case_hex_and_method():
    header = sign_body(SECRET, BODY, "sha1")
    assert verify_signature(SECRET, BODY, header.upper()) == "sha1"


@pytest.mark.parametrize("header", [None, "", "   "])
def test_websub_signature_missing_is_refused(header):
    with pytest.raises(SignatureError, match="no X-Hub-Signature"):
        verify_signature(SECRET, BODY, header)


@pytest.mark.parametrize(
    "header, message",
    [
        (sign_body("another-secret", BODY), "does not match"),
        (sign_body(SECRET, BODY + b" "), "does not match"),
        (sign_body(SECRET, BODY, "sha1").replace("sha1=", "sha256="), "does not match"),
        ("md5=" + hashlib.md5(BODY).hexdigest(), "not one of"),
        ("sha256", "not method=hexdigest"),
        ("sha256=", "not method=hexdigest"),
    ],
)
def test_websub_signature_bad_is_refused(header, message):
    with pytest.raises(SignatureError, match=message):
        verify_signature(SECRET, BODY, header)


def test_websub_signature_secrets_are_fresh_and_fit_the_hub_limit():
    first, second = new_secret(), new_secret()
    assert first != second
    assert len(first.encode()) < 200 and len(first) == 64


@pytest.mark.parametrize("header", ["sha256=é", "sha256=\u00ff" * 64, "sha256=zz", "sha256=" + "a" * 300, "\u2603=ab"])
def test_websub_signature_non_ascii_or_malformed_is_a_signature_error(header):
    """compare_digest raised TypeError on non-ASCII text: a 500 where a 403 is due (issue 14)."""
    with pytest.raises(SignatureError):
        verify_signature("secret", b"body", header)
