"""NetSuite authentication, server side: what the local NetSuite stand-in checks.

Intent: the stand-in refuses what NetSuite refuses, so the adapter's authentication is tested
for real. Two modes, as NetSuite offers them:

* TBA (``Authorization: OAuth realm="<ACCOUNT>", ...``): realm = the account's, HMAC-SHA256
  (HMAC-SHA1 ended with 2023.1), signature recomputed and compared in constant time, timestamp
  within a window, nonces never reused (:func:`verify_tba`).
* OAuth 2.0 client credentials: :meth:`NetSuiteAuthServer.token_endpoint` checks the client
  assertion JWT (registered certificate ID, issuer, audience, lifetime, signature with the
  certificate's public key) and issues a bearer token valid for ``token_lifetime_s``.

Like NetSuite, every refusal answers HTTP 401 with the generic ``INVALID_LOGIN`` error body and
keeps the reason in a login audit trail (:attr:`NetSuiteAuthServer.login_audit`), not in the
response. Nothing secret (secrets, signatures, tokens, assertions) is stored in the audit trail.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any, Literal
from urllib.parse import parse_qsl

import attrs
import httpx

from refund_adapters._oauth1 import (
    OAuth1Credentials,
    OAuth1Error,
    OAuth1Verdict,
    OAuth1Verifier,
)
from refund_adapters._standin import json_response

from . import _jws
from ._auth import CLIENT_ASSERTION_TYPE, MAX_ASSERTION_LIFETIME_S, TOKEN_PATH, NetSuiteAccount

__all__ = [
    "INVALID_LOGIN_DETAIL",
    "LoginAuditEntry",
    "NetSuiteAuthServer",
    "invalid_login_response",
    "verify_tba",
]

#: NetSuite's text for a refused login (jacobsvante/netsuite issue #27; facts file B10).
INVALID_LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
    "Setup > Users/Roles > User Management > View Login Audit Trail."
)
_ERROR_MEDIA_TYPE = "application/vnd.oracle.resource+json; type=error"
#: Allowed clock skew for the assertion's ``iat`` (the client's clock may run a little ahead).
_IAT_SKEW_S = 300


def invalid_login_response() -> httpx.Response:
    """NetSuite's 401 answer to a refused login: the B10 error shape, code ``INVALID_LOGIN``."""
    return json_response(
        401,
        {
            "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2",
            "title": "Unauthorized",
            "status": 401,
            "o:errorDetails": [{"detail": INVALID_LOGIN_DETAIL, "o:errorCode": "INVALID_LOGIN"}],
        },
        headers={"content-type": _ERROR_MEDIA_TYPE},
    )


def verify_tba(request: httpx.Request, verifier: OAuth1Verifier, *, now: float) -> OAuth1Verdict:
    """Check a TBA request as NetSuite does; raises :class:`OAuth1Error` saying what failed.

    ``verifier`` must be built with ``realm=account.realm`` and HMAC-SHA256 only (as
    :class:`NetSuiteAuthServer` does); it remembers nonces across calls.
    """
    return verifier.verify(request, now=now)


@attrs.frozen
class LoginAuditEntry:
    """One login attempt: the scheme used, ``ok`` or the reason it failed, and who tried."""

    scheme: Literal["TBA", "OAuth2", "token", "none"]
    outcome: str
    who: str | None = None


@attrs.frozen
class _M2MClient:
    client_id: str
    certificate_id: str
    public_key: Any = attrs.field(repr=False)
    scopes: frozenset[str]


@attrs.frozen
class _IssuedToken:
    client_id: str
    scopes: frozenset[str]
    expires_at: float


class NetSuiteAuthServer:
    """The authentication side of a NetSuite stand-in: TBA verification and OAuth 2.0 tokens.

    In the stand-in's ``handle``::

        if auth.is_token_request(request):
            return auth.token_endpoint(request)
        if (denied := auth.authenticate(request)) is not None:
            return denied
    """

    def __init__(
        self,
        account: NetSuiteAccount | str,
        *,
        clock: Callable[[], float] = time.time,
        window_s: int = 300,
        token_lifetime_s: int = 3600,
    ) -> None:
        self.account = account if isinstance(account, NetSuiteAccount) else NetSuiteAccount(account)
        self._clock = clock
        self._tba: dict[tuple[str, str], OAuth1Credentials] = {}
        self._verifier = OAuth1Verifier(
            self._lookup,
            realm=self.account.realm,
            window_s=window_s,
            signature_methods=("HMAC-SHA256",),
        )
        self._clients: dict[str, _M2MClient] = {}
        self._tokens: dict[str, _IssuedToken] = {}
        self._token_lifetime_s = token_lifetime_s
        self.login_audit: list[LoginAuditEntry] = []

    def _lookup(self, consumer_key: str, token: str) -> OAuth1Credentials | None:
        return self._tba.get((consumer_key, token))

    # -- registration ----------------------------------------------------------------------------

    def register_tba(self, credentials: OAuth1Credentials) -> None:
        """Accept TBA requests signed with ``credentials`` (an integration + access token)."""
        self._tba[(credentials.consumer_key, credentials.token)] = credentials

    def register_m2m_client(
        self,
        *,
        client_id: str,
        certificate_id: str,
        public_key_pem: bytes,
        scopes: Iterable[str] = ("rest_webservices",),
    ) -> None:
        """Map a certificate (ID and public key or certificate PEM) to an integration."""
        self._clients[certificate_id] = _M2MClient(
            client_id=client_id,
            certificate_id=certificate_id,
            public_key=_jws.load_public_key(public_key_pem),
            scopes=frozenset(scopes),
        )

    def revoke_tokens(self) -> None:
        """Forget every issued bearer token (as a revocation would)."""
        self._tokens.clear()

    # -- requests --------------------------------------------------------------------------------

    def is_token_request(self, request: httpx.Request) -> bool:
        """Whether ``request`` is addressed to the OAuth 2.0 token endpoint."""
        return request.url.path.rstrip("/").endswith(TOKEN_PATH)

    def authenticate(self, request: httpx.Request) -> httpx.Response | None:
        """None when ``request`` is authorized (TBA or bearer), else NetSuite's 401 response."""
        header = request.headers.get("authorization", "")
        scheme = header.split(" ", 1)[0].lower()
        if scheme == "oauth":
            try:
                verdict = verify_tba(request, self._verifier, now=self._clock())
            except OAuth1Error as exc:
                return self._deny("TBA", exc.reason.value)
            self.login_audit.append(LoginAuditEntry("TBA", "ok", verdict.consumer_key))
            return None
        if scheme == "bearer":
            issued = self._tokens.get(header.split(" ", 1)[1].strip() if " " in header else "")
            if issued is None:
                return self._deny("OAuth2", "unknown_token")
            if self._clock() >= issued.expires_at:
                return self._deny("OAuth2", "expired_token", issued.client_id)
            if "rest_webservices" not in issued.scopes:
                return self._deny("OAuth2", "scope_missing_rest_webservices", issued.client_id)
            self.login_audit.append(LoginAuditEntry("OAuth2", "ok", issued.client_id))
            return None
        return self._deny("none", "no_credentials")

    def _deny(
        self, scheme: Literal["TBA", "OAuth2", "none"], outcome: str, who: str | None = None
    ) -> httpx.Response:
        self.login_audit.append(LoginAuditEntry(scheme, outcome, who))
        return invalid_login_response()

    def token_endpoint(self, request: httpx.Request) -> httpx.Response:
        """Answer a client-credentials token request (RFC 6749 4.4 with a JWT assertion)."""
        if request.method != "POST":
            return self._token_error(405, "invalid_request", "method_not_post")
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type != "application/x-www-form-urlencoded":
            return self._token_error(400, "invalid_request", "not_form_encoded")
        form = dict(parse_qsl(request.content.decode("utf-8"), keep_blank_values=True))
        if form.get("grant_type") != "client_credentials":
            return self._token_error(400, "unsupported_grant_type", "grant_type")
        if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            return self._token_error(400, "invalid_request", "client_assertion_type")
        assertion = form.get("client_assertion", "")
        checked = self._check_assertion(assertion, audience=str(request.url.copy_with(query=None)))
        if isinstance(checked, str):
            status = 401 if checked == "unknown_certificate" else 400
            error = "invalid_client" if status == 401 else "invalid_grant"
            return self._token_error(status, error, checked)
        client, scopes = checked
        token = secrets.token_urlsafe(32)
        self._tokens[token] = _IssuedToken(
            client_id=client.client_id,
            scopes=scopes,
            expires_at=self._clock() + self._token_lifetime_s,
        )
        self.login_audit.append(LoginAuditEntry("token", "ok", client.client_id))
        return json_response(
            200,
            {
                "access_token": token,
                "expires_in": str(self._token_lifetime_s),
                "token_type": "Bearer",
            },
        )

    def _token_error(self, status: int, error: str, reason: str) -> httpx.Response:
        self.login_audit.append(LoginAuditEntry("token", reason))
        return json_response(status, {"error": error})

    def _check_assertion(
        self, assertion: str, *, audience: str
    ) -> tuple[_M2MClient, frozenset[str]] | str:
        """The client and granted scopes, or the reason the assertion is refused."""
        try:
            header, payload, signing_input, signature = _jws.decode_compact(assertion)
        except ValueError:
            return "malformed_assertion"
        if header.get("typ") != "JWT" or header.get("alg") not in ("PS256", "ES256"):
            return "unsupported_header"
        client = self._clients.get(str(header.get("kid")))
        if client is None:
            return "unknown_certificate"
        if not _jws.verify(signing_input, signature, client.public_key, str(header["alg"])):
            return "bad_signature"
        if payload.get("iss") != client.client_id:
            return "wrong_issuer"
        if payload.get("aud") != audience:
            return "wrong_audience"
        iat, exp = payload.get("iat"), payload.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int):
            return "missing_iat_or_exp"
        now = self._clock()
        if exp - iat > MAX_ASSERTION_LIFETIME_S or exp <= iat:
            return "lifetime_too_long"
        if now >= exp:
            return "expired_assertion"
        if iat > now + _IAT_SKEW_S:
            return "issued_in_future"
        scope = payload.get("scope")
        # Oracle's sample sends a JSON array; its prose says comma-separated: accept both.
        requested = (
            frozenset(part.strip() for part in scope.split(","))
            if isinstance(scope, str)
            else frozenset(str(part) for part in scope)
            if isinstance(scope, list)
            else frozenset()
        )
        if not requested or not requested <= client.scopes:
            return "scope_not_granted"
        return client, requested
