"""URL canonicalisation: one spelling per article, so that feeds and pages dedupe.

The same story reaches us as `HTTP://Example.com:80/a/./b?utm_source=x&b=2&a=1#top`
and as `http://example.com/a/b?a=1&b=2`; `canonicalize_url` gives both the second
form, and `url_hash` a short stable key for it. Only presentation and tracking are
normalised: the path keeps its case and its trailing slash, since servers may treat
`/a` and `/a/` as different documents.

Canonicalisation never raises: a string that is not an absolute http(s) URL comes
back stripped but otherwise unchanged, so that hashing any link is always possible.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import re
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import idna
from publicsuffixlist import PublicSuffixList

__all__ = [
    "TRACKING_PARAMS",
    "canonicalize_url",
    "host_of",
    "http_url_problem",
    "is_http_url",
    "registrable_domain",
    "resolve_url",
    "url_hash",
]

# Query keys (compared lower-cased) that identify a campaign or a click, not a document.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "twclid", "ttclid", "li_fat_id", "igshid", "mc_cid", "mc_eid", "ocid", "cmpid",
        "_ga", "_gl", "ref", "ref_src", "ref_url", "referrer", "mkt_tok", "_hsenc",
        "_hsmi", "hsctatracking", "__twitter_impression", "wt.mc_id", "wt.mc_ev",
        "s_cid", "icid", "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname",
        "ns_fee", "at_medium", "at_campaign", "smid", "soc_src", "soc_trk",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "vero_", "oly_")
DEFAULT_PORTS = {"http": 80, "https": 443}
#: a longer URL is refused where it is read (browsers and servers stop well before)
MAX_URL_CHARS = 8192
#: DNS names are at most 253 characters; a longer host is left as it is, not IDNA-encoded
MAX_HOST_CHARS = 253
HASH_CHARS = 32  # 128 bits of sha256: collisions are not a concern at news scale

# RFC 3986 unreserved characters never need percent-encoding; everything else that
# is not reserved, plus "%" itself when not starting an escape, must be encoded.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_KEY_SAFE = _UNRESERVED | frozenset("!$'()*+,;:@/?")  # "&" and "=" separate pairs
_VALUE_SAFE = _KEY_SAFE | {"="}
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")


def is_http_url(url: str) -> bool:
    """True for an absolute http or https URL with a host and a valid port."""
    return http_url_problem(url) is None


def http_url_problem(url: str) -> str | None:
    """Why `url` is no fetchable http(s) URL (one line), or None when it is one.

    The checks `urlsplit` leaves to first use (`.port` raises ValueError for port 99999)
    are done here, where a URL from outside is first read, so that no later stage meets them.
    """
    if len(url) > MAX_URL_CHARS:
        return f"URL longer than {MAX_URL_CHARS} characters"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:  # "Port out of range 0-65535", "Invalid IPv6 URL", a bad port number
        return f"invalid URL ({exc})"
    if parts.scheme.lower() not in DEFAULT_PORTS:
        return f"unsupported URL scheme {parts.scheme.lower()!r}; only http and https are fetched"
    if not parts.hostname:
        return "URL without a host"
    if port == 0:
        return "invalid URL (port 0)"
    if any(ord(char) < 0x20 or char == "\x7f" for char in url.strip()):
        return "URL with a control character"
    return None


def resolve_url(base: str, link: str) -> str:
    """`link` made absolute against `base` (a feed URL or xml:base); whitespace stripped.

    An empty link stays empty: it is a missing link, not a link to `base`.
    """
    link = link.strip()
    if not base or not link:
        return link
    try:
        return urljoin(base.strip(), link)
    except ValueError:
        return link


def canonicalize_url(url: str) -> str:
    """The one spelling of `url` used to recognise the same page under other spellings.

    Lower-cases scheme and host, converts an internationalised host to punycode,
    drops the default port, the fragment (except `#!` routes) and tracking query
    parameters, sorts the remaining parameters by key (keeping the order of repeated
    keys), removes `.`/`..` path segments and normalises percent-encoding.
    """
    url = url.strip()
    if len(url) > MAX_URL_CHARS:
        return url  # no page has it (`http_url_problem` refuses it): not worth normalising
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.netloc:
        return url
    netloc = _canonical_netloc(parts, scheme)
    if netloc is None:
        return url
    path = _normalize_percent(_remove_dot_segments(parts.path), _PATH_SAFE) or "/"
    query = _canonical_query(parts.query)
    fragment = parts.fragment if parts.fragment.startswith("!") else ""
    return urlunsplit((scheme, netloc, path, query, fragment))


def url_hash(url: str) -> str:
    """First 32 hex characters of the sha256 of the canonical URL: the dedupe key."""
    return hashlib.sha256(canonicalize_url(url).encode("utf-8")).hexdigest()[:HASH_CHARS]


def host_of(url: str) -> str:
    """The canonical host of `url` (lower case, punycode, no port); "" when there is none."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return ""
    return _canonical_host(host) or host


def registrable_domain(url: str) -> str:
    """The registrable domain of `url`'s host (eTLD+1: `bbc.co.uk`, `alice.github.io`); "" without a host.

    From the Public Suffix List bundled with the `publicsuffixlist` package (private
    suffixes included, so two github.io sites are two owners); nothing is downloaded.
    An IP address, a single-label host or a public suffix itself is its own domain.
    """
    host = host_of(url)
    if not host:
        return ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return _suffix_list().privatesuffix(host) or host
    return host


@functools.cache
def _suffix_list() -> PublicSuffixList:
    """The bundled Public Suffix List, read once per process (about 10k rules)."""
    return PublicSuffixList()


def _canonical_netloc(parts: SplitResult, scheme: str) -> str | None:
    try:
        port = parts.port
    except ValueError:
        return None
    host = _canonical_host(parts.hostname or "")
    if not host:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    netloc = f"{userinfo}@{host}" if userinfo else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return netloc


def _canonical_host(host: str) -> str:
    """Lower case, no trailing dot, IDN labels as punycode (IDNA 2008, UTS 46 mapping)."""
    host = host.strip().rstrip(".").lower()
    if not host or host.isascii() or len(host) > MAX_HOST_CHARS:
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        try:
            return host.encode("idna").decode("ascii")  # IDNA 2003, more permissive
        except UnicodeError:
            return host


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4: resolve `.` and `..` segments, keep the trailing slash."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def _normalize_percent(text: str, safe: frozenset[str]) -> str:
    """Decode escapes of unreserved characters, upper-case the others, encode the unsafe."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "%":
            match = _PERCENT.match(text, index)
            if match:
                decoded = chr(int(match.group(1), 16))
                out.append(decoded if decoded in _UNRESERVED else match.group(0).upper())
                index += 3
                continue
            out.append("%25")
        elif char in safe:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        index += 1
    return "".join(out)


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs: list[tuple[str, str, bool]] = []
    for item in query.split("&"):
        if not item:
            continue
        key, has_value, value = item.partition("=")
        bare = _PERCENT.sub(lambda m: chr(int(m.group(1), 16)), key).lower()
        if bare in TRACKING_PARAMS or bare.startswith(TRACKING_PREFIXES):
            continue
        key = _normalize_percent(key, _KEY_SAFE)
        pairs.append((key, _normalize_percent(value, _VALUE_SAFE), bool(has_value)))
    pairs.sort(key=lambda pair: pair[0])
    return "&".join(f"{key}={value}" if has_value else key for key, value, has_value in pairs)
