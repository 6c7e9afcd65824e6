"""NetSuite authentication, client side: account IDs, TBA (OAuth 1.0a) and OAuth 2.0 M2M.

Intent: one place that knows how NetSuite names an account (realm ``123456_SB1``, host
``123456-sb1.suitetalk.api.netsuite.com``) and how to prove who we are:

* Token-Based Authentication: OAuth 1.0a, HMAC-SHA256 (HMAC-SHA1 ended with 2023.1), the
  account ID as realm; :func:`tba_auth` builds the shared :class:`OAuth1Auth` for it.
* OAuth 2.0 client credentials (machine to machine): a JWT assertion signed with the
  certificate's private key (PS256 by default, or ES256) is exchanged at the token endpoint for
  a bearer token that lives an hour. :class:`NetSuiteOAuth2Auth` fetches it through the same
  client, caches it until shortly before ``expires_in`` and fetches again afterwards; requests
  that find no valid token at once wait for one fetch instead of each fetching its own.

Signing needs ``cryptography`` (the ``refund-sync[netsuite-oauth2]`` extra), which only
:mod:`._jws` imports and checks for, so TBA users need not install it. Private keys, secrets,
assertions and tokens never appear in a ``repr``, a log line or an error message.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Generator, Iterable
from decimal import Decimal, InvalidOperation

import attrs
import httpx

import refund_core as rc
from refund_adapters._http import UpstreamAuthError, UpstreamUnavailableError
from refund_adapters._oauth1 import OAuth1Auth, OAuth1Credentials, new_nonce, non_empty

from . import _jws
from ._jws import JwsAlgorithm

__all__ = [
    "CLIENT_ASSERTION_TYPE",
    "TOKEN_PATH",
    "JwsAlgorithm",
    "M2MCredentials",
    "NetSuiteAccount",
    "NetSuiteOAuth2Auth",
    "client_assertion",
    "tba_auth",
]

log = logging.getLogger("refund_sync.netsuite.auth")

SERVICE = "netsuite"
TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Oracle: the assertion's ``exp`` must be less than 60 minutes after its ``iat``.
MAX_ASSERTION_LIFETIME_S = 3600

# Production "1234567", sandbox "1234567_SB1" (or its host form "1234567-sb1"), release preview
# "1234567_RP", test drives "TSTDRV1234567": letters and digits, then an optional environment.
_ACCOUNT_ID = re.compile(r"^([A-Za-z0-9]+)(?:[_-](SB\d+|RP))?$", re.IGNORECASE)


# -- account IDs ---------------------------------------------------------------------------------


def _clean_account_id(value: object) -> str:
    if not isinstance(value, str) or _ACCOUNT_ID.fullmatch(value.strip()) is None:
        raise rc.ConfigurationError(
            f"NetSuite account ID {value!r} is not valid: expected digits/letters such as "
            "'1234567', optionally with a sandbox suffix such as '1234567_SB1'"
        )
    return value.strip()


@attrs.frozen
class NetSuiteAccount:
    """A NetSuite account ID, as the realm (``123456_SB1``) and as the host (``123456-sb1``)."""

    account_id: str = attrs.field(converter=_clean_account_id)

    @property
    def realm(self) -> str:
        """The OAuth 1.0a realm: upper case with ``_`` (``123456_SB1``)."""
        return self.account_id.upper().replace("-", "_")

    @property
    def host_slug(self) -> str:
        """The host label: lower case with ``-`` (``123456-sb1``)."""
        return self.account_id.lower().replace("_", "-")

    @property
    def is_sandbox(self) -> bool:
        """Whether this is a sandbox account (``_SB<n>``)."""
        return re.search(r"_SB\d+$", self.realm) is not None

    @property
    def rest_host(self) -> str:
        """``<slug>.suitetalk.api.netsuite.com``."""
        return f"{self.host_slug}.suitetalk.api.netsuite.com"

    @property
    def rest_base_url(self) -> str:
        """``https://<rest_host>/services/rest``."""
        return f"https://{self.rest_host}/services/rest"

    @property
    def token_url(self) -> str:
        """The OAuth 2.0 token endpoint of this account."""
        return f"https://{self.rest_host}{TOKEN_PATH}"


def _account(account: NetSuiteAccount | str) -> NetSuiteAccount:
    return account if isinstance(account, NetSuiteAccount) else NetSuiteAccount(account)


# -- TBA -----------------------------------------------------------------------------------------


def tba_auth(
    account: NetSuiteAccount | str,
    credentials: OAuth1Credentials,
    *,
    clock: Callable[[], float] = time.time,
    nonce: Callable[[], str] = new_nonce,
) -> OAuth1Auth:
    """Token-Based Authentication for ``account``: OAuth 1.0a HMAC-SHA256, realm = account ID."""
    return OAuth1Auth(
        credentials,
        signature_method="HMAC-SHA256",
        realm=_account(account).realm,
        clock=clock,
        nonce=nonce,
    )


# -- OAuth 2.0 client credentials -----------------------------------------------------------------


_non_empty = non_empty("NetSuite OAuth 2.0 credentials")


def _as_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _scopes(_instance: object, _attribute: object, value: tuple[str, ...]) -> None:
    allowed = {"restlets", "rest_webservices", "suite_analytics"}
    if not value or not set(value) <= allowed:
        raise rc.ConfigurationError(
            f"NetSuite OAuth 2.0 scopes must be some of {sorted(allowed)}, got {list(value)}"
        )


@attrs.frozen
class M2MCredentials:
    """An integration's client ID and the certificate mapped to it (ID and private key).

    ``certificate_id`` is the Certificate ID shown by "OAuth 2.0 Client Credentials (M2M)
    Setup"; the private key (PEM) stays out of ``repr``.
    """

    client_id: str = attrs.field(validator=_non_empty)
    certificate_id: str = attrs.field(validator=_non_empty)
    private_key_pem: bytes = attrs.field(validator=_non_empty, repr=False)
    algorithm: JwsAlgorithm = attrs.field(
        default="PS256", validator=attrs.validators.in_(("PS256", "ES256"))
    )
    scopes: tuple[str, ...] = attrs.field(
        default=("rest_webservices",), converter=_as_tuple, validator=_scopes
    )


def client_assertion(
    credentials: M2MCredentials, *, token_url: str, now: int, lifetime_s: int = 300
) -> str:
    """The signed JWT NetSuite expects as ``client_assertion``.

    Header ``typ`` JWT, ``alg``, ``kid`` = certificate ID; payload ``iss`` = client ID,
    ``scope`` (list), ``aud`` = token endpoint URL, ``iat`` and ``exp`` (at most an hour later).
    """
    if not 0 < lifetime_s <= MAX_ASSERTION_LIFETIME_S:
        raise rc.ConfigurationError(
            f"assertion lifetime must be 1..{MAX_ASSERTION_LIFETIME_S} s, got {lifetime_s}"
        )
    header = {"typ": "JWT", "alg": credentials.algorithm, "kid": credentials.certificate_id}
    payload = {
        "iss": credentials.client_id,
        "scope": list(credentials.scopes),
        "aud": token_url,
        "iat": now,
        "exp": now + lifetime_s,
    }
    key = _jws.load_private_key(credentials.private_key_pem)
    return _jws.compact_sign(header, payload, key, credentials.algorithm)


@attrs.frozen
class _Token:
    value: str = attrs.field(repr=False)
    expires_at: float


def _token_error(response: httpx.Response) -> Exception:
    """Map a failed token endpoint answer to our error (the body is read, never echoed)."""
    code: str | None = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        code = body["error"]
    status = response.status_code
    if status == 429 or status >= 500:
        return UpstreamUnavailableError(
            "OAuth 2.0 token endpoint unavailable", service=SERVICE, status=status, code=code
        )
    return UpstreamAuthError(
        "OAuth 2.0 token request refused (check client ID, certificate ID, key and scopes)",
        service=SERVICE,
        status=status,
        code=code,
    )


def _parse_token(response: httpx.Response, now: float) -> _Token:
    try:
        body = response.json(parse_float=Decimal)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise UpstreamAuthError(
            "OAuth 2.0 token response is not a JSON object", service=SERVICE, status=200
        )
    token, expires_in = body.get("access_token"), body.get("expires_in")
    if not isinstance(token, str) or not token:
        raise UpstreamAuthError(
            "OAuth 2.0 token response has no access_token", service=SERVICE, status=200
        )
    try:
        # NetSuite documents expires_in as 3600; accept it as a number or a numeric string.
        lifetime = Decimal(str(expires_in))
    except InvalidOperation:
        lifetime = Decimal(-1)
    if not lifetime.is_finite() or lifetime <= 0:
        raise UpstreamAuthError(
            "OAuth 2.0 token response has no valid expires_in", service=SERVICE, status=200
        )
    return _Token(value=token, expires_at=now + float(lifetime))


class NetSuiteOAuth2Auth(httpx.Auth):
    """OAuth 2.0 client credentials for NetSuite, as an ``httpx.Auth`` on the AsyncClient.

    Before a request, if no token is cached or it expires within ``refresh_margin_s``, a fresh
    assertion is POSTed to ``token_url`` through the same client and the bearer token cached.
    A 401 answered to a cached token (revoked early) fetches a new one and resends once.
    Concurrent requests share one fetch: the first takes a lock (one per event loop, or a
    thread lock for a synchronous ``httpx.Client``) and the others, waiting on it, find the new
    token when they get it.
    """

    requires_response_body = True

    def __init__(
        self,
        credentials: M2MCredentials,
        *,
        token_url: str,
        clock: Callable[[], float] = time.time,
        refresh_margin_s: float = 60.0,
        assertion_lifetime_s: int = 300,
    ) -> None:
        if not 0 < assertion_lifetime_s <= MAX_ASSERTION_LIFETIME_S:
            raise rc.ConfigurationError(
                f"assertion lifetime must be 1..{MAX_ASSERTION_LIFETIME_S} s, "
                f"got {assertion_lifetime_s}"
            )
        _jws.require_cryptography()  # fail at configuration time, not on the first request
        self._credentials = credentials
        self._token_url = token_url
        self._clock = clock
        self._margin = refresh_margin_s
        self._assertion_lifetime_s = assertion_lifetime_s
        self._token: _Token | None = None
        self._thread_lock = threading.Lock()
        self._loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
        self._loop_locks = weakref.WeakKeyDictionary()
        #: How many tokens were fetched (for tests and metrics).
        self.fetches = 0

    def __repr__(self) -> str:
        return (
            f"NetSuiteOAuth2Auth(client_id={self._credentials.client_id!r}, "
            f"token_url={self._token_url!r})"
        )

    def _token_request(self) -> httpx.Request:
        assertion = client_assertion(
            self._credentials,
            token_url=self._token_url,
            now=int(self._clock()),
            lifetime_s=self._assertion_lifetime_s,
        )
        return httpx.Request(
            "POST",
            self._token_url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": assertion,
            },
            headers={"Accept": "application/json"},
        )

    def _usable(self, refused: _Token | None = None) -> _Token | None:
        """The cached token unless it is about to expire (or is the one just refused)."""
        token = self._token
        if token is None or token is refused or self._clock() >= token.expires_at - self._margin:
            return None
        return token

    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._loop_locks.get(loop)
        if lock is None:
            lock = self._loop_locks[loop] = asyncio.Lock()
        return lock

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Send ``request`` with a bearer token, fetching one under a thread lock if needed."""
        token = self._usable()
        fetched_now = token is None
        if token is None:
            with self._thread_lock:
                token = self._usable()
                if token is None:
                    token = yield from self._fetch()
        request.headers["Authorization"] = f"Bearer {token.value}"
        response = yield request
        if response.status_code == 401 and not fetched_now:
            log.info("netsuite: bearer token refused (HTTP 401), fetching a new one")
            with self._thread_lock:
                fresh = self._usable(refused=token)
                if fresh is None:
                    fresh = yield from self._fetch()
            request.headers["Authorization"] = f"Bearer {fresh.value}"
            yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """As :meth:`sync_auth_flow`; concurrent requests of one event loop share one fetch."""
        token = self._usable()
        fetched_now = token is None
        if token is None:
            async with self._loop_lock():
                token = self._usable()
                if token is None:
                    token = await self._fetch_async((yield self._token_request()))
        request.headers["Authorization"] = f"Bearer {token.value}"
        response = yield request
        if response.status_code == 401 and not fetched_now:
            log.info("netsuite: bearer token refused (HTTP 401), fetching a new one")
            async with self._loop_lock():
                fresh = self._usable(refused=token)
                if fresh is None:
                    fresh = await self._fetch_async((yield self._token_request()))
            request.headers["Authorization"] = f"Bearer {fresh.value}"
            yield request

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Fetch (or reuse) the bearer token, then send ``request`` with it."""
        yield from self.sync_auth_flow(request)

    def _fetch(self) -> Generator[httpx.Request, httpx.Response, _Token]:
        response = yield self._token_request()
        response.read()
        return self._take(response)

    async def _fetch_async(self, response: httpx.Response) -> _Token:
        await response.aread()
        return self._take(response)

    def _take(self, response: httpx.Response) -> _Token:
        if response.status_code != 200:
            raise _token_error(response)
        token = _parse_token(response, self._clock())
        self._token = token
        self.fetches += 1
        log.info("netsuite: OAuth 2.0 access token obtained (fetch %d)", self.fetches)
        return token
