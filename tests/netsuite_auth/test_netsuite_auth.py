"""NetSuite authentication: account IDs, TBA against the stand-in side, OAuth 2.0 M2M tokens."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
from collections.abc import Callable
from importlib.machinery import ModuleSpec

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

import refund_core as rc
from refund_adapters import _http
from refund_adapters._oauth1 import OAuth1Auth, OAuth1Credentials, parse_authorization_header
from refund_adapters._standin import StandIn
from refund_adapters.netsuite import _jws
from refund_adapters.netsuite._auth import (
    CLIENT_ASSERTION_TYPE,
    M2MCredentials,
    NetSuiteAccount,
    NetSuiteOAuth2Auth,
    client_assertion,
    tba_auth,
)
from refund_adapters.netsuite._auth_server import (
    INVALID_LOGIN_DETAIL,
    NetSuiteAuthServer,
    invalid_login_response,
)
from tests.contracts._run import run

ACCOUNT = NetSuiteAccount("123456-sb1")
TBA = OAuth1Credentials(
    consumer_key="ns-consumer",
    consumer_secret="CONSUMER-SECRET-xyz",
    token="ns-token",
    token_secret="TOKEN-SECRET-xyz",
)
RECORD_PATH = "/services/rest/record/v1/creditMemo/42"


class Clock:
    """A settable clock for the client and the stand-in alike."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        """The current time in seconds."""
        return self.now


class AuthOnlyNetSuite(StandIn):
    """A NetSuite stand-in reduced to authentication: the token endpoint and one record."""

    service = "netsuite"

    def __init__(self, auth: NetSuiteAuthServer) -> None:
        super().__init__()
        self.auth = auth

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Token endpoint, then authentication, then a fixed record."""
        if self.auth.is_token_request(request):
            return self.auth.token_endpoint(request)
        denied = self.auth.authenticate(request)
        if denied is not None:
            return denied
        return httpx.Response(200, json={"id": "42"})


def _rsa_pem() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def _ec_pem() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


RSA_PRIVATE, RSA_PUBLIC = _rsa_pem()
EC_PRIVATE, EC_PUBLIC = _ec_pem()


def _get(
    standin: StandIn, auth: httpx.Auth, *, base_url: str | None = None, times: int = 1
) -> list[httpx.Response]:
    """Send ``times`` GETs of one record through a client carrying ``auth``."""

    async def scenario() -> list[httpx.Response]:
        transport = None if base_url else standin.transport()
        async with httpx.AsyncClient(transport=transport, auth=auth) as client:
            url = f"{base_url or 'https://' + ACCOUNT.rest_host}{RECORD_PATH}"
            return [await client.get(url) for _ in range(times)]

    return run(scenario())


def _tba_server(clock: Clock) -> tuple[NetSuiteAuthServer, AuthOnlyNetSuite]:
    server = NetSuiteAuthServer(ACCOUNT, clock=clock)
    server.register_tba(TBA)
    return server, AuthOnlyNetSuite(server)


def _assert_invalid_login(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/vnd.oracle.resource+json")
    body = response.json()
    assert body["status"] == 401
    assert body["title"] == "Unauthorized"
    assert body["o:errorDetails"] == [
        {"detail": INVALID_LOGIN_DETAIL, "o:errorCode": "INVALID_LOGIN"}
    ]


# -- account IDs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["123456-sb1", "123456_SB1", "123456_sb1", " 123456-SB1 "])
def test_sandbox_account_realm_and_host(given: str) -> None:
    """Any spelling of a sandbox ID gives realm 123456_SB1 and host 123456-sb1 (facts B2)."""
    account = NetSuiteAccount(given)
    assert account.realm == "123456_SB1"
    assert account.host_slug == "123456-sb1"
    assert account.rest_host == "123456-sb1.suitetalk.api.netsuite.com"
    assert account.token_url == (
        "https://123456-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"
    )
    assert account.is_sandbox


def test_production_and_release_preview_accounts() -> None:
    """A production ID keeps its digits; release preview and test drive IDs are accepted."""
    production = NetSuiteAccount("1234567")
    assert (production.realm, production.rest_host, production.is_sandbox) == (
        "1234567",
        "1234567.suitetalk.api.netsuite.com",
        False,
    )
    assert production.rest_base_url == "https://1234567.suitetalk.api.netsuite.com/services/rest"
    assert NetSuiteAccount("1234567_RP").host_slug == "1234567-rp"
    assert NetSuiteAccount("tstdrv1234567").realm == "TSTDRV1234567"


@pytest.mark.parametrize(
    "nonsense",
    ["", "   ", "12 34", "https://1234.app.netsuite.com", "123456_XX1", "123.456", "1234_SB", None],
)
def test_nonsense_account_ids_are_configuration_errors(nonsense: object) -> None:
    """An ID that cannot be a NetSuite account is refused with a ConfigurationError."""
    with pytest.raises(rc.ConfigurationError, match="account ID"):
        NetSuiteAccount(nonsense)


# -- TBA -----------------------------------------------------------------------------------------


def test_tba_request_is_accepted_with_the_account_realm() -> None:
    """tba_auth signs HMAC-SHA256 with realm = account ID; the stand-in accepts and audits it."""
    clock = Clock()
    server, standin = _tba_server(clock)
    (response,) = _get(standin, tba_auth(ACCOUNT, TBA, clock=clock))
    assert response.status_code == 200
    params = parse_authorization_header(standin.requests[0].headers["authorization"])
    assert params["realm"] == "123456_SB1"
    assert params["oauth_signature_method"] == "HMAC-SHA256"
    assert server.login_audit[-1].outcome == "ok"


def test_tba_over_a_real_loopback_server() -> None:
    """The signature survives a real HTTP round trip (Host header, raw path) to 127.0.0.1."""
    clock = Clock()
    server, standin = _tba_server(clock)
    with standin.serve() as loopback:
        responses = _get(standin, tba_auth(ACCOUNT, TBA, clock=clock), base_url=loopback.base_url)
    assert [r.status_code for r in responses] == [200]
    assert server.login_audit[-1].outcome == "ok"


@pytest.mark.parametrize(
    ("auth", "reason"),
    [
        (tba_auth(NetSuiteAccount("123456"), TBA), "wrong_realm"),
        (
            tba_auth(
                ACCOUNT, OAuth1Credentials("ns-consumer", "CONSUMER-SECRET-xyz", "ns-token", "x")
            ),
            "bad_signature",
        ),
        (
            tba_auth(ACCOUNT, OAuth1Credentials("other", "s", "ns-token", "t")),
            "unknown_credentials",
        ),
        (
            OAuth1Auth(TBA, realm="123456_SB1", signature_method="HMAC-SHA1"),
            "unsupported_signature_method",
        ),
        (tba_auth(ACCOUNT, TBA, clock=lambda: 1_700_000_000 - 301), "stale_timestamp"),
    ],
)
def test_tba_refusals_answer_invalid_login(auth: httpx.Auth, reason: str) -> None:
    """Wrong realm, secret, consumer, method or timestamp: 401 INVALID_LOGIN, reason audited."""
    server, standin = _tba_server(Clock())
    (response,) = _get(standin, auth)
    _assert_invalid_login(response)
    assert server.login_audit[-1].outcome == reason
    assert reason not in response.text


def test_tba_replayed_nonce_is_refused() -> None:
    """Two requests with the same nonce and timestamp: the second one is a replay (401)."""
    clock = Clock()
    server, standin = _tba_server(clock)
    auth = tba_auth(ACCOUNT, TBA, clock=clock, nonce=lambda: "fixednonce1")
    first, second = _get(standin, auth, times=2)
    assert first.status_code == 200
    _assert_invalid_login(second)
    assert server.login_audit[-1].outcome == "replayed_nonce"


def test_tba_retry_is_re_signed_and_both_attempts_verify() -> None:
    """A 503 then 200 through _http.send: nonces and signatures differ, and both verify."""
    clock = Clock()
    _, standin = _tba_server(clock)
    standin.fail_next(503)
    auth = tba_auth(ACCOUNT, TBA, clock=clock)

    async def no_sleep(_: float) -> None:
        clock.now += 1

    async def scenario() -> httpx.Response:
        async with httpx.AsyncClient(transport=standin.transport(), auth=auth) as client:
            return await _http.send(
                client,
                lambda: client.build_request("GET", f"https://{ACCOUNT.rest_host}{RECORD_PATH}"),
                service="netsuite",
                sleep=no_sleep,
            )

    assert run(scenario()).status_code == 200
    first, second = (
        parse_authorization_header(r.headers["authorization"]) for r in standin.requests
    )
    assert first["oauth_nonce"] != second["oauth_nonce"]
    assert first["oauth_signature"] != second["oauth_signature"]
    # The first attempt was answered by the fault injector; a fresh server accepts it too.
    fresh, _ = _tba_server(clock)
    assert fresh.authenticate(standin.requests[0]) is None


def test_invalid_login_response_shape() -> None:
    """The 401 body has NetSuite's error shape (facts B10): type, title, status, o:errorDetails."""
    response = invalid_login_response()
    _assert_invalid_login(response)
    assert response.json()["type"].startswith("https://")


# -- JWS machinery -------------------------------------------------------------------------------

# RFC 7515 appendix A.3 (https://www.rfc-editor.org/rfc/rfc7515#appendix-A.3): the ES256 example
# JWS and the P-256 public key it verifies with (x, y from the JWK in A.3.1).
RFC7515_A3_JWS = (
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
)
RFC7515_A3_X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
RFC7515_A3_Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"


def _rfc7515_a3_key() -> ec.EllipticCurvePublicKey:
    x = int.from_bytes(_jws.b64url_decode(RFC7515_A3_X), "big")
    y = int.from_bytes(_jws.b64url_decode(RFC7515_A3_Y), "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def test_rfc7515_a3_es256_example_verifies() -> None:
    """RFC 7515 A.3: the published ES256 JWS verifies with the published key."""
    header, payload, signing_input, signature = _jws.decode_compact(RFC7515_A3_JWS)
    assert header == {"alg": "ES256"}
    assert payload["iss"] == "joe"
    assert _jws.verify(signing_input, signature, _rfc7515_a3_key(), "ES256")


def test_rfc7515_a3_tampered_fails() -> None:
    """RFC 7515 A.3 with a changed payload, a changed signature or another alg does not verify."""
    head, body, sig = RFC7515_A3_JWS.split(".")
    key = _rfc7515_a3_key()
    other_body = _jws.b64url_encode(b'{"iss":"eve","exp":1300819380}')
    _, _, signing_input, signature = _jws.decode_compact(f"{head}.{other_body}.{sig}")
    assert not _jws.verify(signing_input, signature, key, "ES256")
    flipped = bytearray(_jws.b64url_decode(sig))
    flipped[5] ^= 0x01
    _, _, signing_input, signature = _jws.decode_compact(
        f"{head}.{body}.{_jws.b64url_encode(bytes(flipped))}"
    )
    assert not _jws.verify(signing_input, signature, key, "ES256")
    _, _, signing_input, signature = _jws.decode_compact(RFC7515_A3_JWS)
    assert not _jws.verify(signing_input, signature, key, "PS256")


# -- OAuth 2.0 client credentials ----------------------------------------------------------------


def _m2m(algorithm: str = "PS256") -> M2MCredentials:
    private = RSA_PRIVATE if algorithm == "PS256" else EC_PRIVATE
    return M2MCredentials(
        client_id="client-abc",
        certificate_id="cert-001",
        private_key_pem=private,
        algorithm=algorithm,  # type: ignore[arg-type]  # parametrized from a str
        scopes=("rest_webservices", "restlets"),
    )


def _oauth2_server(
    clock: Clock, *, public: bytes = RSA_PUBLIC
) -> tuple[NetSuiteAuthServer, AuthOnlyNetSuite]:
    server = NetSuiteAuthServer(ACCOUNT, clock=clock)
    server.register_m2m_client(
        client_id="client-abc",
        certificate_id="cert-001",
        public_key_pem=public,
        scopes=("rest_webservices", "restlets"),
    )
    return server, AuthOnlyNetSuite(server)


def _token_requests(standin: StandIn) -> list[httpx.Request]:
    return [r for r in standin.requests if r.url.path.endswith("/oauth2/v1/token")]


def _assertion_of(request: httpx.Request) -> str:
    form = dict(httpx.QueryParams(request.content.decode()))
    assert form["grant_type"] == "client_credentials"
    assert form["client_assertion_type"] == CLIENT_ASSERTION_TYPE
    return form["client_assertion"]


def _verify_independently(token: str, public_pem: bytes, algorithm: str) -> None:
    """Check a JWS with cryptography directly (not through _jws.verify)."""
    head, body, sig = token.split(".")
    key = serialization.load_pem_public_key(public_pem)
    signing_input = f"{head}.{body}".encode()
    signature = _jws.b64url_decode(sig)
    if algorithm == "PS256":
        assert isinstance(key, rsa.RSAPublicKey)
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        key.verify(signature, signing_input, pss, hashes.SHA256())
    else:
        assert isinstance(key, ec.EllipticCurvePublicKey)
        der = utils.encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize(("algorithm", "public"), [("PS256", RSA_PUBLIC), ("ES256", EC_PUBLIC)])
def test_assertion_has_netsuite_claims_and_verifies(algorithm: str, public: bytes) -> None:
    """The JWT: typ JWT, alg, kid = certificate ID; iss, scope, aud, iat, exp <= iat + 3600."""
    token = client_assertion(
        _m2m(algorithm), token_url=ACCOUNT.token_url, now=1_000, lifetime_s=3600
    )
    header, payload, _, _ = _jws.decode_compact(token)
    assert header == {"typ": "JWT", "alg": algorithm, "kid": "cert-001"}
    assert payload == {
        "iss": "client-abc",
        "scope": ["rest_webservices", "restlets"],
        "aud": ACCOUNT.token_url,
        "iat": 1_000,
        "exp": 4_600,
    }
    _verify_independently(token, public, algorithm)
    head, _, sig = token.split(".")
    forged = _jws.b64url_encode(json.dumps({**payload, "iss": "evil"}).encode())
    with pytest.raises(InvalidSignature):
        _verify_independently(f"{head}.{forged}.{sig}", public, algorithm)


def test_assertion_lifetime_over_an_hour_is_refused() -> None:
    """Oracle: exp must be less than 60 minutes after iat; longer is a configuration error."""
    with pytest.raises(rc.ConfigurationError, match="lifetime"):
        client_assertion(_m2m(), token_url=ACCOUNT.token_url, now=0, lifetime_s=3601)


@pytest.mark.parametrize(("algorithm", "public"), [("PS256", RSA_PUBLIC), ("ES256", EC_PUBLIC)])
def test_token_is_fetched_once_cached_then_refreshed_after_expiry(
    algorithm: str, public: bytes
) -> None:
    """One token serves many requests; after expires_in (minus the margin) a new one is fetched."""
    clock = Clock()
    server, standin = _oauth2_server(clock, public=public)
    auth = NetSuiteOAuth2Auth(
        _m2m(algorithm), token_url=ACCOUNT.token_url, clock=clock, refresh_margin_s=60
    )

    async def scenario() -> list[int]:
        statuses = []
        async with httpx.AsyncClient(transport=standin.transport(), auth=auth) as client:
            url = f"https://{ACCOUNT.rest_host}{RECORD_PATH}"
            statuses += [(await client.get(url)).status_code for _ in range(3)]
            assert auth.fetches == 1
            clock.now += 3600 - 61  # still 61 s left: reuse
            statuses.append((await client.get(url)).status_code)
            assert auth.fetches == 1
            clock.now += 2  # within the 60 s margin: refresh first
            statuses.append((await client.get(url)).status_code)
            assert auth.fetches == 2
        return statuses

    assert run(scenario()) == [200] * 5
    assert len(_token_requests(standin)) == 2
    for request in _token_requests(standin):
        _verify_independently(_assertion_of(request), public, algorithm)
    assert [e.outcome for e in server.login_audit].count("ok") == 7


def test_revoked_token_is_replaced_once() -> None:
    """A 401 to a cached token fetches a new token and resends the request once."""
    clock = Clock()
    server, standin = _oauth2_server(clock)
    auth = NetSuiteOAuth2Auth(_m2m(), token_url=ACCOUNT.token_url, clock=clock)
    assert _get(standin, auth)[0].status_code == 200
    server.revoke_tokens()
    assert _get(standin, auth)[0].status_code == 200
    assert auth.fetches == 2
    assert [e.outcome for e in server.login_audit if e.scheme == "OAuth2"] == [
        "ok",
        "unknown_token",
        "ok",
    ]


def test_concurrent_requests_share_one_token_fetch() -> None:
    """Eight requests at once with no token: one token request, the others wait for it."""
    clock = Clock()
    server, standin = _oauth2_server(clock)
    standin.faults.latency_s = 0.01  # the token request is still in flight as the others start
    auth = NetSuiteOAuth2Auth(_m2m(), token_url=ACCOUNT.token_url, clock=clock)

    async def scenario() -> list[int]:
        async with httpx.AsyncClient(transport=standin.transport(), auth=auth) as client:
            url = f"https://{ACCOUNT.rest_host}{RECORD_PATH}"
            responses = await asyncio.gather(*(client.get(url) for _ in range(8)))
        return [r.status_code for r in responses]

    assert run(scenario()) == [200] * 8
    assert auth.fetches == 1
    assert len(_token_requests(standin)) == 1
    assert [e.outcome for e in server.login_audit].count("ok") == 9


def test_concurrent_refusals_of_a_revoked_token_share_one_fetch() -> None:
    """After a revocation, requests refused at once fetch one new token between them."""
    clock = Clock()
    server, standin = _oauth2_server(clock)
    auth = NetSuiteOAuth2Auth(_m2m(), token_url=ACCOUNT.token_url, clock=clock)
    assert _get(standin, auth)[0].status_code == 200
    server.revoke_tokens()
    standin.faults.latency_s = 0.01

    async def scenario() -> list[int]:
        async with httpx.AsyncClient(transport=standin.transport(), auth=auth) as client:
            url = f"https://{ACCOUNT.rest_host}{RECORD_PATH}"
            responses = await asyncio.gather(*(client.get(url) for _ in range(4)))
        return [r.status_code for r in responses]

    assert run(scenario()) == [200] * 4
    assert auth.fetches == 2


def test_a_sync_client_fetches_and_reuses_the_token_too() -> None:
    """The synchronous flow (httpx.Client) fetches once and reuses the token."""
    clock = Clock()
    _, standin = _oauth2_server(clock)
    auth = NetSuiteOAuth2Auth(_m2m(), token_url=ACCOUNT.token_url, clock=clock)

    def handler(request: httpx.Request) -> httpx.Response:
        return run(standin(request))

    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
        url = f"https://{ACCOUNT.rest_host}{RECORD_PATH}"
        assert [client.get(url).status_code for _ in range(3)] == [200] * 3
    assert auth.fetches == 1


def _token_post(assertion: str, url: str = ACCOUNT.token_url) -> httpx.Request:
    return httpx.Request(
        "POST",
        url,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": assertion,
        },
    )


def test_expired_bearer_is_refused_by_the_stand_in() -> None:
    """The stand-in refuses a bearer token after its lifetime with 401 INVALID_LOGIN."""
    clock = Clock()
    server, _ = _oauth2_server(clock)
    response = server.token_endpoint(
        _token_post(client_assertion(_m2m(), token_url=ACCOUNT.token_url, now=int(clock.now)))
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    assert response.json()["token_type"] == "Bearer"
    clock.now += int(response.json()["expires_in"])
    request = httpx.Request("GET", f"https://{ACCOUNT.rest_host}{RECORD_PATH}")
    request.headers["Authorization"] = f"Bearer {token}"
    denied = server.authenticate(request)
    assert denied is not None
    _assert_invalid_login(denied)
    assert server.login_audit[-1].outcome == "expired_token"


def test_oauth2_over_a_real_loopback_server() -> None:
    """Token endpoint and bearer request over real HTTP: aud is the URL actually posted to."""
    clock = Clock()
    _, standin = _oauth2_server(clock)
    with standin.serve() as loopback:
        token_url = f"{loopback.base_url}/services/rest/auth/oauth2/v1/token"
        auth = NetSuiteOAuth2Auth(_m2m(), token_url=token_url, clock=clock)
        responses = _get(standin, auth, base_url=loopback.base_url, times=2)
    assert [r.status_code for r in responses] == [200, 200]
    assert auth.fetches == 1


def _token_failure(
    standin: StandIn, credentials: M2MCredentials, clock: Clock, token_url: str = ACCOUNT.token_url
) -> BaseException:
    auth = NetSuiteOAuth2Auth(credentials, token_url=token_url, clock=clock)
    with pytest.raises(_http.UpstreamError) as caught:
        _get(standin, auth)
    return caught.value


@pytest.mark.parametrize(
    ("make", "status", "code", "reason"),
    [
        (
            lambda: M2MCredentials("client-abc", "cert-999", RSA_PRIVATE),
            401,
            "invalid_client",
            "unknown_certificate",
        ),
        (
            lambda: M2MCredentials("client-abc", "cert-001", _rsa_pem()[0]),
            400,
            "invalid_grant",
            "bad_signature",
        ),
        (
            lambda: M2MCredentials("someone", "cert-001", RSA_PRIVATE),
            400,
            "invalid_grant",
            "wrong_issuer",
        ),
        (
            lambda: M2MCredentials(
                "client-abc", "cert-001", RSA_PRIVATE, scopes=("suite_analytics",)
            ),
            400,
            "invalid_grant",
            "scope_not_granted",
        ),
    ],
)
def test_token_endpoint_refusals_are_auth_errors(
    make: Callable[[], M2MCredentials], status: int, code: str, reason: str
) -> None:
    """Unknown certificate, wrong key, issuer or scope: UpstreamAuthError with the OAuth code."""
    clock = Clock()
    server, standin = _oauth2_server(clock)
    error = _token_failure(standin, make(), clock)
    assert isinstance(error, _http.UpstreamAuthError)
    assert (error.status, error.code) == (status, code)
    assert server.login_audit[-1].outcome == reason
    assert len(standin.requests) == 1  # the record request was never sent


@pytest.mark.parametrize(
    ("aud", "now_shift", "lifetime", "reason"),
    [
        ("https://other.example/services/rest/auth/oauth2/v1/token", 0, 300, "wrong_audience"),
        (ACCOUNT.token_url, 301, 300, "expired_assertion"),
        (ACCOUNT.token_url, -1000, 300, "issued_in_future"),
    ],
)
def test_assertion_audience_and_time_are_checked(
    aud: str, now_shift: int, lifetime: int, reason: str
) -> None:
    """Another aud, an expired assertion or one issued in the future: 400 invalid_grant."""
    clock = Clock()
    server, _ = _oauth2_server(clock)
    assertion = client_assertion(_m2m(), token_url=aud, now=int(clock.now), lifetime_s=lifetime)
    clock.now += now_shift
    response = server.token_endpoint(_token_post(assertion))
    assert (response.status_code, response.json()) == (400, {"error": "invalid_grant"})
    assert server.login_audit[-1].outcome == reason


def test_token_request_form_is_checked() -> None:
    """A wrong grant type, assertion type or a garbled assertion is refused with its code."""
    server, _ = _oauth2_server(Clock())
    wrong_grant = httpx.Request("POST", ACCOUNT.token_url, data={"grant_type": "password"})
    assert server.token_endpoint(wrong_grant).json() == {"error": "unsupported_grant_type"}
    wrong_type = httpx.Request(
        "POST",
        ACCOUNT.token_url,
        data={"grant_type": "client_credentials", "client_assertion_type": "x"},
    )
    assert server.token_endpoint(wrong_type).json() == {"error": "invalid_request"}
    garbled = server.token_endpoint(_token_post("not.a.jwt"))
    assert (garbled.status_code, garbled.json()) == (400, {"error": "invalid_grant"})
    assert server.login_audit[-1].outcome == "malformed_assertion"


def test_token_endpoint_unavailable_is_retryable_later() -> None:
    """A 503 from the token endpoint is an UpstreamUnavailableError (the engine retries later)."""
    clock = Clock()
    _, standin = _oauth2_server(clock)
    standin.fail_next(503, json_body={"error": "temporarily_unavailable"})
    error = _token_failure(standin, _m2m(), clock)
    assert isinstance(error, _http.UpstreamUnavailableError)
    assert error.code == "temporarily_unavailable"


@pytest.mark.parametrize(
    "body",
    [
        {"access_token": "abc", "expires_in": 3600, "token_type": "Bearer"},
        {"access_token": "abc", "expires_in": "3600", "token_type": "Bearer"},
    ],
)
def test_expires_in_as_number_or_string(body: dict[str, object]) -> None:
    """expires_in is accepted as a JSON number or a numeric string."""
    clock = Clock()
    _, standin = _oauth2_server(clock)
    standin.fail_next(200, json_body=body)
    auth = NetSuiteOAuth2Auth(_m2m(), token_url=ACCOUNT.token_url, clock=clock)
    response = _get(standin, auth)[0]
    assert standin.requests[1].headers["authorization"] == "Bearer abc"
    assert response.status_code == 401  # the stand-in never issued "abc"


@pytest.mark.parametrize(
    "body",
    [{"expires_in": 3600}, {"access_token": "abc"}, {"access_token": "abc", "expires_in": "soon"}],
)
def test_malformed_token_response_is_an_auth_error(body: dict[str, object]) -> None:
    """A 200 without access_token or a usable expires_in is an UpstreamAuthError."""
    clock = Clock()
    _, standin = _oauth2_server(clock)
    standin.fail_next(200, json_body=body)
    assert isinstance(_token_failure(standin, _m2m(), clock), _http.UpstreamAuthError)


# -- secrets -------------------------------------------------------------------------------------


def test_secrets_stay_out_of_repr_logs_and_errors(caplog: pytest.LogCaptureFixture) -> None:
    """Private keys, assertions, tokens and TBA secrets appear in no repr, log line or error."""
    clock = Clock()
    server, standin = _oauth2_server(clock)
    server.register_tba(TBA)
    credentials = _m2m()
    auth = NetSuiteOAuth2Auth(credentials, token_url=ACCOUNT.token_url, clock=clock)
    with caplog.at_level(logging.DEBUG):
        _get(standin, auth, times=2)
        _get(standin, tba_auth(ACCOUNT, TBA, clock=clock))
        error = _token_failure(
            standin, M2MCredentials("client-abc", "cert-001", _rsa_pem()[0]), clock
        )
    token = standin.requests[1].headers["authorization"].removeprefix("Bearer ")
    assertion = _assertion_of(standin.requests[0])
    texts = [
        repr(credentials),
        repr(auth),
        repr(tba_auth(ACCOUNT, TBA)),
        repr(server.login_audit),
        str(error),
        caplog.text,
    ]
    pem_body = RSA_PRIVATE.decode().splitlines()[1]
    for text in texts:
        for secret in (pem_body, token, assertion, "CONSUMER-SECRET", "TOKEN-SECRET"):
            assert secret not in text


def test_missing_cryptography_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without cryptography, OAuth 2.0 fails with a ConfigurationError naming the extra."""
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> ModuleSpec | None:
        return None if name == "cryptography" else real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(rc.ConfigurationError, match=r"refund-sync\[netsuite-oauth2\]"):
        NetSuiteOAuth2Auth(_m2m(), token_url=ACCOUNT.token_url)
    with pytest.raises(rc.ConfigurationError, match=r"refund-sync\[netsuite-oauth2\]"):
        client_assertion(_m2m(), token_url=ACCOUNT.token_url, now=0)
    with pytest.raises(rc.ConfigurationError, match=r"refund-sync\[netsuite-oauth2\]"):
        NetSuiteAuthServer(ACCOUNT).register_m2m_client(
            client_id="client-abc", certificate_id="cert-001", public_key_pem=RSA_PUBLIC
        )
