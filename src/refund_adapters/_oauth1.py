"""OAuth 1.0a (RFC 5849) request signing and verification, HMAC-SHA256 and HMAC-SHA1.

Intent: NetSuite Token-Based Authentication and Magento integrations both sign every request
with OAuth 1.0a. The client side is :class:`OAuth1Auth`, an :class:`httpx.Auth` that signs each
request as it is sent, so a retried request gets a fresh nonce, timestamp and signature (a
resent old signature is refused as a replay). The server side, :class:`OAuth1Verifier`, is what
the local stand-ins use to check requests the way a vendor does: parse the header, recompute
the signature, compare in constant time, bound the timestamp and refuse replayed nonces.

Secrets (consumer secret, token secret) never appear in a ``repr``, a log line or an error
message; neither do signatures. Errors name the parameter or the check that failed.

Errors::

    OAuth1Error(RefundSyncError, PermissionError)   .reason: OAuth1Failure says which check failed
"""

from __future__ import annotations

import base64
import enum
import heapq
import hmac
import re
import secrets
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, unquote

import attrs
import httpx

import refund_core as rc

__all__ = [
    "CredentialLookup",
    "OAuth1Auth",
    "OAuth1Credentials",
    "OAuth1Error",
    "OAuth1Failure",
    "OAuth1Verdict",
    "OAuth1Verifier",
    "SignatureMethod",
    "authorization_header",
    "base_string_uri",
    "collect_parameters",
    "credentials_lookup",
    "new_nonce",
    "non_empty",
    "normalize_parameters",
    "parse_authorization_header",
    "percent_encode",
    "sign",
    "sign_request",
    "signature_base_string",
]

SignatureMethod = Literal["HMAC-SHA256", "HMAC-SHA1"]

#: Digest names for :func:`hmac.new`, per signature method.
_HASHES: Mapping[str, str] = {"HMAC-SHA256": "sha256", "HMAC-SHA1": "sha1"}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
#: Parameters every signed request must carry (``oauth_token`` too: we only do token requests).
_REQUIRED = (
    "oauth_consumer_key",
    "oauth_token",
    "oauth_signature_method",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
)


# -- credentials ---------------------------------------------------------------------------------


def non_empty(what: str) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """An attrs validator refusing an empty or non-text value of ``what`` (a credentials kind).

    Text is ``str`` or ``bytes`` (a PEM key); the error names the field, never its value.
    """

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str | bytes) or not value:
            raise rc.ConfigurationError(f"{what}: {attribute.name} must be set")

    return check


_non_empty = non_empty("OAuth 1.0a credentials")


@attrs.frozen
class OAuth1Credentials:
    """A consumer (the integration) and a token (the user/role it acts as), with their secrets.

    The secrets are left out of ``repr`` (and so out of logs and tracebacks).
    """

    consumer_key: str = attrs.field(validator=_non_empty)
    consumer_secret: str = attrs.field(validator=_non_empty, repr=False)
    token: str = attrs.field(validator=_non_empty)
    token_secret: str = attrs.field(validator=_non_empty, repr=False)


# -- RFC 5849 section 3.4 / 3.6: the signature ---------------------------------------------------


def percent_encode(value: str) -> str:
    """RFC 5849 3.6: UTF-8, then every byte outside ``ALPHA / DIGIT / - . _ ~`` as ``%XX``."""
    # quote() never escapes ALPHA, DIGIT and "_.-~"; safe="" makes it escape "/" too.
    return quote(value.encode("utf-8"), safe="")


def base_string_uri(url: httpx.URL | str) -> str:
    """RFC 5849 3.4.1.2: scheme and host lower-case, default port dropped, path, no query."""
    url = httpx.URL(url)
    scheme = url.scheme.lower()
    host = url.raw_host.decode("ascii").lower()  # IDNA-encoded, as in the Host header
    if ":" in host:  # an IPv6 literal goes back into brackets
        host = f"[{host}]"
    port = url.port
    authority = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = url.raw_path.split(b"?", 1)[0].decode("ascii") or "/"
    return f"{scheme}://{authority}{path}"


def normalize_parameters(params: Iterable[tuple[str, str]]) -> str:
    """RFC 5849 3.4.1.3.2: encode names and values, sort by name then value, join with ``&``."""
    encoded = sorted((percent_encode(name), percent_encode(value)) for name, value in params)
    return "&".join(f"{name}={value}" for name, value in encoded)


def signature_base_string(
    method: str, url: httpx.URL | str, params: Iterable[tuple[str, str]]
) -> str:
    """RFC 5849 3.4.1.1: ``METHOD&encoded base string URI&encoded normalized parameters``."""
    return "&".join(
        (
            percent_encode(method.upper()),
            percent_encode(base_string_uri(url)),
            percent_encode(normalize_parameters(params)),
        )
    )


def sign(
    base_string: str,
    *,
    consumer_secret: str,
    token_secret: str,
    method: SignatureMethod = "HMAC-SHA256",
) -> str:
    """RFC 5849 3.4.2 (and the same construction with SHA-256): base64 of the HMAC."""
    digest = _HASHES.get(method)
    if digest is None:
        raise rc.ConfigurationError(f"unsupported OAuth 1.0a signature method {method!r}")
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}"
    mac = hmac.new(key.encode("ascii"), base_string.encode("ascii"), digest)
    return base64.b64encode(mac.digest()).decode("ascii")


def _form_parameters(request: httpx.Request) -> list[tuple[str, str]]:
    """The body's parameters, only for a single-part form body (RFC 5849 3.4.1.3.1)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != _FORM_MEDIA_TYPE:
        return []
    body = request.content.decode("utf-8")
    return parse_qsl(body, keep_blank_values=True)


def _query_parameters(url: httpx.URL) -> list[tuple[str, str]]:
    return parse_qsl(url.query.decode("ascii"), keep_blank_values=True)


def collect_parameters(
    request: httpx.Request, oauth_params: Mapping[str, str]
) -> list[tuple[str, str]]:
    """RFC 5849 3.4.1.3.1: query + form body + protocol parameters (not signature or realm)."""
    protocol = [
        (name, value)
        for name, value in oauth_params.items()
        if name not in ("oauth_signature", "realm")
    ]
    return _query_parameters(request.url) + _form_parameters(request) + protocol


def new_nonce() -> str:
    """A fresh nonce: 32 hex characters from :mod:`secrets` (alphanumeric, as vendors require)."""
    return secrets.token_hex(16)


def _header_value(params: Mapping[str, str], realm: str | None) -> str:
    parts = [f'realm="{percent_encode(realm)}"'] if realm is not None else []
    parts += [f'{percent_encode(name)}="{percent_encode(value)}"' for name, value in params.items()]
    return "OAuth " + ", ".join(parts)


def sign_request(
    request: httpx.Request,
    credentials: OAuth1Credentials,
    *,
    nonce: str,
    timestamp: int,
    signature_method: SignatureMethod = "HMAC-SHA256",
    realm: str | None = None,
) -> str:
    """The ``Authorization`` header value for ``request`` (its body must have been read)."""
    oauth = {
        "oauth_consumer_key": credentials.consumer_key,
        "oauth_token": credentials.token,
        "oauth_signature_method": signature_method,
        "oauth_timestamp": str(timestamp),
        "oauth_nonce": nonce,
        "oauth_version": "1.0",
    }
    base = signature_base_string(request.method, request.url, collect_parameters(request, oauth))
    oauth["oauth_signature"] = sign(
        base,
        consumer_secret=credentials.consumer_secret,
        token_secret=credentials.token_secret,
        method=signature_method,
    )
    return _header_value(oauth, realm)


def authorization_header(
    method: str,
    url: httpx.URL | str,
    credentials: OAuth1Credentials,
    *,
    nonce: str,
    timestamp: int,
    form: Mapping[str, str] | None = None,
    signature_method: SignatureMethod = "HMAC-SHA256",
    realm: str | None = None,
) -> str:
    """The ``Authorization`` header for ``method url`` (plus an optional form body)."""
    request = httpx.Request(method, url, data=dict(form) if form else None)
    return sign_request(
        request,
        credentials,
        nonce=nonce,
        timestamp=timestamp,
        signature_method=signature_method,
        realm=realm,
    )


class OAuth1Auth(httpx.Auth):
    """Sign every request sent through an httpx client, each time it is sent.

    ``client.send`` runs this flow once per call, so a request that ``refund_adapters._http.send``
    retries is signed again with a new nonce and timestamp.
    """

    requires_request_body = True

    def __init__(
        self,
        credentials: OAuth1Credentials,
        *,
        signature_method: SignatureMethod = "HMAC-SHA256",
        realm: str | None = None,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = new_nonce,
    ) -> None:
        if signature_method not in _HASHES:
            raise rc.ConfigurationError(
                f"unsupported OAuth 1.0a signature method {signature_method!r}"
            )
        self._credentials = credentials
        self._signature_method: SignatureMethod = signature_method
        self._realm = realm
        self._clock = clock
        self._nonce = nonce

    def __repr__(self) -> str:
        return (
            f"OAuth1Auth(consumer_key={self._credentials.consumer_key!r}, "
            f"signature_method={self._signature_method!r}, realm={self._realm!r})"
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set a freshly signed ``Authorization`` header and send the request."""
        request.headers["Authorization"] = sign_request(
            request,
            self._credentials,
            nonce=self._nonce(),
            timestamp=int(self._clock()),
            signature_method=self._signature_method,
            realm=self._realm,
        )
        yield request


# -- verification (for stand-ins) ----------------------------------------------------------------


class OAuth1Failure(enum.Enum):
    """Which check a request failed; the value is a short machine-readable code."""

    MISSING_HEADER = "missing_header"
    MALFORMED_HEADER = "malformed_header"
    MISSING_PARAMETER = "missing_parameter"
    UNSUPPORTED_SIGNATURE_METHOD = "unsupported_signature_method"
    UNSUPPORTED_VERSION = "unsupported_version"
    WRONG_REALM = "wrong_realm"
    UNKNOWN_CREDENTIALS = "unknown_credentials"
    BAD_SIGNATURE = "bad_signature"
    STALE_TIMESTAMP = "stale_timestamp"
    REPLAYED_NONCE = "replayed_nonce"


class OAuth1Error(rc.RefundSyncError, PermissionError):
    """A request's OAuth 1.0a authorization was refused; ``reason`` says which check failed.

    The message names parameters and checks, never secrets or signatures.
    """

    def __init__(self, reason: OAuth1Failure, message: str) -> None:
        super().__init__(f"OAuth 1.0a: {message} ({reason.value})")
        self.reason = reason


@attrs.frozen
class OAuth1Verdict:
    """A request that passed every check: who signed it, how and when."""

    consumer_key: str
    token: str
    signature_method: SignatureMethod
    timestamp: int
    nonce: str
    realm: str | None


#: Finds the credentials for ``(consumer_key, token)``, or None when either is unknown.
CredentialLookup = Callable[[str, str], OAuth1Credentials | None]


def credentials_lookup(*known: OAuth1Credentials) -> CredentialLookup:
    """A :data:`CredentialLookup` over a fixed set of credentials."""
    table = {(c.consumer_key, c.token): c for c in known}

    def lookup(consumer_key: str, token: str) -> OAuth1Credentials | None:
        return table.get((consumer_key, token))

    return lookup


_PARAM = re.compile(r'\s*([A-Za-z0-9_.~%-]+)\s*=\s*"([^"]*)"\s*(?:,|$)')


def parse_authorization_header(value: str | None) -> dict[str, str]:
    """The parameters of an ``Authorization: OAuth ...`` header, percent-decoded.

    Raises :class:`OAuth1Error` when the header is absent, of another scheme, malformed or
    repeats a parameter.
    """
    if value is None or not value.strip():
        raise OAuth1Error(OAuth1Failure.MISSING_HEADER, "no Authorization header")
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "oauth":
        raise OAuth1Error(
            OAuth1Failure.MALFORMED_HEADER, f"Authorization scheme is {scheme!r}, not OAuth"
        )
    params: dict[str, str] = {}
    position = 0
    rest = rest.strip()
    while position < len(rest):
        match = _PARAM.match(rest, position)
        if match is None:
            raise OAuth1Error(
                OAuth1Failure.MALFORMED_HEADER,
                f"cannot parse the Authorization header at character {position}",
            )
        name, raw = unquote(match.group(1)), match.group(2)
        if name in params:
            raise OAuth1Error(OAuth1Failure.MALFORMED_HEADER, f"parameter {name} given twice")
        params[name] = unquote(raw)
        position = match.end()
    return params


@attrs.define
class _NonceMemory:
    """Nonces seen within the timestamp window, per consumer and token (RFC 5849 3.3).

    A set answers "seen before?" in O(1); a heap ordered by the requests' timestamps lets each
    check forget exactly the nonces that fell out of the window (amortised O(log n)), instead
    of scanning every remembered nonce. A request outside the window is refused as stale before
    its nonce is checked, so a forgotten nonce can never be replayed.
    """

    window_s: int
    seen: set[tuple[str, str, str, int]] = attrs.field(factory=set)
    _expiry: list[tuple[int, tuple[str, str, str, int]]] = attrs.field(factory=list)

    def check_and_remember(self, key: tuple[str, str, str, int], now: float) -> bool:
        """False when ``key`` was seen before; else remember it and return True."""
        horizon = now - 2 * self.window_s
        while self._expiry and self._expiry[0][0] < horizon:
            _stamp, old = heapq.heappop(self._expiry)
            self.seen.discard(old)
        if key in self.seen:
            return False
        self.seen.add(key)
        heapq.heappush(self._expiry, (key[3], key))
        return True


class OAuth1Verifier:
    """Check OAuth 1.0a requests as a vendor does; keeps the nonces it has seen.

    ``realm``: when given, the header must carry exactly this realm (NetSuite requires the
    account ID). ``window_s``: how far the timestamp may be from ``now``, either way.
    """

    def __init__(
        self,
        lookup: CredentialLookup,
        *,
        realm: str | None = None,
        window_s: int = 300,
        signature_methods: Iterable[SignatureMethod] = ("HMAC-SHA256", "HMAC-SHA1"),
    ) -> None:
        self._lookup = lookup
        self._realm = realm
        self._window_s = window_s
        self._methods = frozenset(signature_methods)
        self._nonces = _NonceMemory(window_s)

    def verify(self, request: httpx.Request, *, now: float) -> OAuth1Verdict:
        """The verdict for ``request`` (body already read), or :class:`OAuth1Error`."""
        params = parse_authorization_header(request.headers.get("authorization"))
        for name in _REQUIRED:
            if not params.get(name):
                raise OAuth1Error(OAuth1Failure.MISSING_PARAMETER, f"parameter {name} is missing")
        version = params.get("oauth_version", "1.0")
        if version != "1.0":
            raise OAuth1Error(
                OAuth1Failure.UNSUPPORTED_VERSION, f"oauth_version {version!r} is not 1.0"
            )
        method = params["oauth_signature_method"]
        if method not in self._methods:
            raise OAuth1Error(
                OAuth1Failure.UNSUPPORTED_SIGNATURE_METHOD,
                f"signature method {method!r} is not accepted",
            )
        realm = params.get("realm")
        if self._realm is not None and realm != self._realm:
            raise OAuth1Error(
                OAuth1Failure.WRONG_REALM,
                "realm is missing" if realm is None else f"realm {realm!r} is not this account's",
            )
        try:
            timestamp = int(params["oauth_timestamp"])
        except ValueError:
            raise OAuth1Error(
                OAuth1Failure.MALFORMED_HEADER, "oauth_timestamp is not an integer"
            ) from None
        consumer_key, token = params["oauth_consumer_key"], params["oauth_token"]
        credentials = self._lookup(consumer_key, token)
        if credentials is None:
            raise OAuth1Error(OAuth1Failure.UNKNOWN_CREDENTIALS, "unknown consumer key or token")
        base = signature_base_string(
            request.method, request.url, collect_parameters(request, params)
        )
        expected = sign(
            base,
            consumer_secret=credentials.consumer_secret,
            token_secret=credentials.token_secret,
            method="HMAC-SHA1" if method == "HMAC-SHA1" else "HMAC-SHA256",
        )
        if not hmac.compare_digest(expected.encode("ascii"), params["oauth_signature"].encode()):
            raise OAuth1Error(OAuth1Failure.BAD_SIGNATURE, "signature does not match the request")
        if abs(now - timestamp) > self._window_s:
            raise OAuth1Error(
                OAuth1Failure.STALE_TIMESTAMP,
                f"timestamp is {int(now - timestamp)} s away from now (window {self._window_s} s)",
            )
        nonce = params["oauth_nonce"]
        if not self._nonces.check_and_remember((consumer_key, token, nonce, timestamp), now):
            raise OAuth1Error(OAuth1Failure.REPLAYED_NONCE, "nonce was already used")
        return OAuth1Verdict(
            consumer_key=consumer_key,
            token=token,
            signature_method="HMAC-SHA1" if method == "HMAC-SHA1" else "HMAC-SHA256",
            timestamp=timestamp,
            nonce=nonce,
            realm=realm,
        )
