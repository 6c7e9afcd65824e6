"""How the adapter authenticates to Magento: a bearer token, or OAuth 1.0a integration signing.

Magento integrations sign every request with OAuth 1.0a (HMAC-SHA256; the shared
:mod:`refund_adapters._oauth1`). Sending an integration's access token as a plain bearer token
is switched off by default on current 2.4.x stores (config path
``oauth/consumer/enable_integration_as_bearer``), so signing is the default choice; admin tokens
(4 hours) and re-enabled integration tokens go through :class:`BearerToken`. Neither ever shows
a secret in a ``repr`` or a log line.
"""

from __future__ import annotations

from collections.abc import Generator

import httpx

import refund_core as rc

from .._oauth1 import OAuth1Auth, OAuth1Credentials

__all__ = ["BearerToken", "MagentoAuth", "integration_auth"]

#: What :class:`~refund_adapters.magento.MagentoStorefront` accepts as credentials.
MagentoAuth = httpx.Auth


class BearerToken(httpx.Auth):
    """``Authorization: Bearer <token>`` on every request (admin or integration access token)."""

    def __init__(self, token: str) -> None:
        if not isinstance(token, str) or not token.strip():
            raise rc.ConfigurationError("Magento bearer token must be set")
        self._token = token

    def __repr__(self) -> str:
        return "BearerToken(<redacted>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the header and send the request."""
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def integration_auth(
    *, consumer_key: str, consumer_secret: str, access_token: str, access_token_secret: str
) -> OAuth1Auth:
    """OAuth 1.0a HMAC-SHA256 signing with a Magento integration's four credentials."""
    return OAuth1Auth(
        OAuth1Credentials(
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            token=access_token,
            token_secret=access_token_secret,
        ),
        signature_method="HMAC-SHA256",
    )
