"""Login with Amazon (LWA): a seller's refresh token becomes a short-lived access token.

``POST https://api.amazon.com/auth/o2/token`` with ``grant_type=refresh_token``, the refresh
token and the app's client ID and secret answers ``{"access_token", "expires_in", ...}``; every
SP-API call then carries it as ``x-amz-access-token`` (AWS SigV4 signing is no longer required
since 2023-10-02). Tokens live an hour; the cache hands one out until ``refresh_margin`` before
it expires, by an injected clock, and fetches a new one after that.

Secrets never appear in ``repr``, logs or error messages: only status codes, LWA's error code
and the request ID.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta

import attrs
import httpx

from refund_adapters._http import (
    RetryPolicy,
    Sleep,
    UpstreamAuthError,
    UpstreamRejectedError,
    UpstreamUnavailableError,
    send,
)

from ._wire import AmazonPayloadError, parse_json

_DEFAULT_POLICY = RetryPolicy()

__all__ = [
    "LWA_TOKEN_URL",
    "AccessTokenCache",
    "LwaCredentials",
    "Region",
    "endpoint",
]

log = logging.getLogger("refund_sync.amazon")

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
_SERVICE = "amazon-lwa"


class Region(enum.StrEnum):
    """SP-API regions, each served by its own host."""

    #: North America: CA, US, MX, BR.
    NA = "na"
    #: Europe (with IN, AE, SA, EG, TR, ZA).
    EU = "eu"
    #: Far East: SG, AU, JP.
    FE = "fe"


def endpoint(region: Region | str, *, sandbox: bool = False) -> str:
    """The SP-API base URL of ``region`` (``sandbox.`` hosts answer with canned data)."""
    code = Region(region).value
    prefix = "sandbox." if sandbox else ""
    return f"https://{prefix}sellingpartnerapi-{code}.amazon.com"


@attrs.frozen
class LwaCredentials:
    """An app's LWA client ID and secret and one seller's refresh token; repr hides secrets."""

    client_id: str = attrs.field(validator=attrs.validators.min_len(1))
    client_secret: str = attrs.field(repr=False, validator=attrs.validators.min_len(1))
    refresh_token: str = attrs.field(repr=False, validator=attrs.validators.min_len(1))


@attrs.frozen
class _Token:
    value: str = attrs.field(repr=False)
    expires_at: datetime


class AccessTokenCache:
    """Fetches access tokens and keeps one until ``refresh_margin`` before it expires."""

    def __init__(
        self,
        credentials: LwaCredentials,
        *,
        clock: Callable[[], datetime],
        token_url: str = LWA_TOKEN_URL,
        refresh_margin: timedelta = timedelta(seconds=60),
        policy: RetryPolicy = _DEFAULT_POLICY,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._credentials = credentials
        self._clock = clock
        self._token_url = token_url
        self._margin = refresh_margin
        self._policy = policy
        self._sleep = sleep
        self._token: _Token | None = None
        #: How many tokens were fetched (tests check caching with it).
        self.fetches = 0

    def __repr__(self) -> str:
        state = "cached" if self._token is not None else "empty"
        return f"AccessTokenCache(client_id={self._credentials.client_id!r}, {state})"

    def invalidate(self) -> None:
        """Forget the cached token (the API refused it), so the next call fetches a new one."""
        self._token = None

    async def access_token(self, client: httpx.AsyncClient) -> str:
        """A valid access token, from the cache or freshly fetched."""
        now = self._clock()
        token = self._token
        if token is not None and now < token.expires_at - self._margin:
            return token.value
        self._token = await self._fetch(client, now)
        return self._token.value

    async def _fetch(self, client: httpx.AsyncClient, now: datetime) -> _Token:
        creds = self._credentials

        def build() -> httpx.Request:
            return client.build_request(
                "POST",
                self._token_url,
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": creds.refresh_token,
                    "client_id": creds.client_id,
                    "client_secret": creds.client_secret,
                },
                headers={"accept": "application/json"},
            )

        response = await send(
            client, build, service=_SERVICE, policy=self._policy, sleep=self._sleep
        )
        request_id = response.headers.get("x-amzn-requestid")
        if response.status_code != 200:
            # The status decides; the body only adds LWA's error code when it is LWA's JSON (a
            # proxy or load balancer in between answers with HTML or nothing at all).
            code = _error_code(response.content)
            # LWA says invalid_grant / invalid_client / unauthorized_client for bad credentials.
            error_type: type[UpstreamRejectedError | UpstreamAuthError | UpstreamUnavailableError]
            if response.status_code in (400, 401, 403):
                error_type = UpstreamAuthError
            elif response.status_code < 500:
                error_type = UpstreamRejectedError
            else:
                error_type = UpstreamUnavailableError
            raise error_type(
                "could not exchange the refresh token for an access token",
                service=_SERVICE,
                status=response.status_code,
                code=code,
                request_id=request_id,
            )
        body = (
            parse_json(response.content, where="LWA token response", endpoint="POST /auth/o2/token")
            if response.content
            else {}
        )
        if not isinstance(body, dict):
            raise UpstreamRejectedError(
                "token response is not an object", service=_SERVICE, request_id=request_id
            )
        value = body.get("access_token")
        expires_in = body.get("expires_in", 3600)
        if not isinstance(value, str) or not _ACCESS_TOKEN.fullmatch(value):
            # It goes back in a header: printable ASCII only (never echoed: it is a secret).
            raise AmazonPayloadError(
                "token response has no access_token, or one that is not printable ASCII",
                endpoint="POST /auth/o2/token",
                path="$.access_token",
                request_id=request_id,
            )
        if (
            isinstance(expires_in, bool)
            or not isinstance(expires_in, int)
            or not 0 < expires_in <= _LONGEST_TOKEN_S
        ):
            raise AmazonPayloadError(
                f"token response has an invalid expires_in ({str(expires_in)[:40]!r})",
                endpoint="POST /auth/o2/token",
                path="$.expires_in",
                request_id=request_id,
            )
        self.fetches += 1
        log.debug("amazon: fetched an LWA access token valid %d s", expires_in)
        return _Token(value=value, expires_at=now + timedelta(seconds=expires_in))


#: An LWA access token: printable ASCII, as every header value must be.
_ACCESS_TOKEN = re.compile(r"[\x21-\x7e]{1,8192}")
#: No token lives longer than a day (LWA's last an hour); a longer one is a malformed answer.
_LONGEST_TOKEN_S = 86_400


def _error_code(content: bytes) -> str | None:
    """LWA's ``error`` code (``invalid_grant``...) when the body is its JSON; else None."""
    try:
        body = parse_json(content, where="LWA error response")
    except AmazonPayloadError:
        return None
    code = body.get("error") if isinstance(body, dict) else None
    return code if isinstance(code, str) and code else None
