"""OAuth 1.0a signing against published vectors, and the stand-in side verifier."""

from __future__ import annotations

import logging

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import refund_core as rc
from refund_adapters import _http
from refund_adapters._oauth1 import (
    OAuth1Auth,
    OAuth1Credentials,
    OAuth1Error,
    OAuth1Failure,
    OAuth1Verifier,
    authorization_header,
    base_string_uri,
    collect_parameters,
    credentials_lookup,
    parse_authorization_header,
    percent_encode,
    sign,
    sign_request,
    signature_base_string,
)
from refund_adapters._standin import StandIn
from tests.contracts._run import run

# -- RFC 5849 section 3.4.1.1 example request (https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.1)
RFC_URL = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b"
RFC_BODY = b"c2&a3=2+q"
RFC_OAUTH = {
    "realm": "Example",
    "oauth_consumer_key": "9djdj82h48djs9d2",
    "oauth_token": "kkk9d7dh3k39sjv7",
    "oauth_signature_method": "HMAC-SHA1",
    "oauth_timestamp": "137131201",
    "oauth_nonce": "7d8f3e4a",
    "oauth_signature": "bYT5CMsGcbgUdFHObYMEfcx6bsw=",
}
RFC_BASE_STRING = (
    "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D"
    "%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a"
    "%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k"
    "39sjv7"
)

# -- Twitter's "Creating a signature" example
# (https://developer.twitter.com/en/docs/authentication/oauth-1-0a/creating-a-signature; the same
# key, base string and expected tnnArxj06cWHq44gCs1OSKk/jLY= appear in e.g. bennadel/Crypto.cfc
# examples/twitter_authentication.cfm).
TWITTER = OAuth1Credentials(
    consumer_key="xvz1evFS4wEEPTGEFPHBog",
    consumer_secret="kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
    token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
    token_secret="LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
)
TWITTER_URL = "https://api.twitter.com/1/statuses/update.json?include_entities=true"
TWITTER_FORM = {"status": "Hello Ladies + Gentlemen, a signed OAuth request!"}
TWITTER_NONCE = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"
TWITTER_TIMESTAMP = 1318622958

CREDS = OAuth1Credentials(
    consumer_key="ck-123", consumer_secret="cs-SECRET-1", token="tk-456", token_secret="ts-SECRET-2"
)


def _rfc_request() -> httpx.Request:
    return httpx.Request(
        "POST",
        RFC_URL,
        content=RFC_BODY,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def _signature_of(header: str) -> str:
    return parse_authorization_header(header)["oauth_signature"]


# -- published vectors ---------------------------------------------------------------------------


def test_rfc5849_base_string_example() -> None:
    """RFC 5849 3.4.1.1: query, form body and protocol parameters give the published base string."""
    request = _rfc_request()
    params = collect_parameters(request, RFC_OAUTH)
    assert signature_base_string(request.method, request.url, params) == RFC_BASE_STRING


def test_rfc5849_hmac_sha256_over_the_base_string_example() -> None:
    """The RFC 3.4.1.1 request signed with HMAC-SHA256 matches a published value.

    Source: Faithlife/FaithlifeOAuth tests/Faithlife.OAuth.Tests/OAuthHmacSha256Tests.cs
    ("RFC 5849, section 3.4.1.1, amended by errata 2550"): consumer secret j49sk3j29djd,
    token secret dh893hdasih9 -> ypAxjNip++Dm0fTM+gCl8wAo6ufSnseu1WHxL7py3BU=.
    """
    request = _rfc_request()
    params = collect_parameters(request, {**RFC_OAUTH, "oauth_signature_method": "HMAC-SHA256"})
    base = signature_base_string(request.method, request.url, params)
    assert sign(base, consumer_secret="j49sk3j29djd", token_secret="dh893hdasih9") == (
        "ypAxjNip++Dm0fTM+gCl8wAo6ufSnseu1WHxL7py3BU="
    )


def test_rfc5849_section_1_2_photos_request_hmac_sha256() -> None:
    """RFC 5849 1.2's photos request signed with HMAC-SHA256 matches a published value.

    Source: Faithlife/FaithlifeOAuth OAuthHmacSha256Tests.cs ("RFC 5849, section 1.2"):
    -> HtMwoX2zenlFjgGg/SNEoKEQmL7CzxYFEKzs7er044Y=.
    """
    request = httpx.Request(
        "GET", "http://photos.example.net/photos?file=vacation.jpg&size=original"
    )
    oauth = {
        "oauth_consumer_key": "dpf43f3p2l4k3l03",
        "oauth_nonce": "chapoH",
        "oauth_signature_method": "HMAC-SHA256",
        "oauth_timestamp": "137131202",
        "oauth_token": "nnch734d00sl2jdk",
    }
    base = signature_base_string("GET", request.url, collect_parameters(request, oauth))
    assert sign(base, consumer_secret="kd94hf93k423kf44", token_secret="pfkkdhi9sl3r4s00") == (
        "HtMwoX2zenlFjgGg/SNEoKEQmL7CzxYFEKzs7er044Y="
    )


def test_twitter_creating_a_signature_hmac_sha1() -> None:
    """Twitter's published example: the HMAC-SHA1 signature is tnnArxj06cWHq44gCs1OSKk/jLY=."""
    header = authorization_header(
        "POST",
        TWITTER_URL,
        TWITTER,
        nonce=TWITTER_NONCE,
        timestamp=TWITTER_TIMESTAMP,
        form=TWITTER_FORM,
        signature_method="HMAC-SHA1",
    )
    assert _signature_of(header) == "tnnArxj06cWHq44gCs1OSKk/jLY="
    assert 'oauth_signature="tnnArxj06cWHq44gCs1OSKk%2FjLY%3D"' in header


def test_twitter_example_hmac_sha256() -> None:
    """Twitter's example with HMAC-SHA256 matches a published value.

    Source: Faithlife/FaithlifeOAuth OAuthHmacSha256Tests.cs ("From
    https://dev.twitter.com/docs/auth/creating-signature").
    """
    header = authorization_header(
        "POST",
        TWITTER_URL,
        TWITTER,
        nonce=TWITTER_NONCE,
        timestamp=TWITTER_TIMESTAMP,
        form=TWITTER_FORM,
        signature_method="HMAC-SHA256",
    )
    assert _signature_of(header) == "lrpvd+UOGVsQnRf5skaXYTNeIPFJ0C+qK3OGpK/XB9Q="


# -- the pieces ----------------------------------------------------------------------------------


def test_percent_encoding_follows_rfc5849_3_6() -> None:
    """Unreserved characters stay, everything else (space, '+', '/', '*', UTF-8) becomes %XX."""
    assert percent_encode("AZaz09-._~") == "AZaz09-._~"
    assert percent_encode("a b+c/d*e!") == "a%20b%2Bc%2Fd%2Ae%21"
    assert percent_encode("é") == "%C3%A9"


def test_base_string_uri_normalizes_scheme_host_and_default_port() -> None:
    """RFC 5849 3.4.1.2: lower-case scheme and host, default port dropped, query dropped."""
    assert base_string_uri("HTTP://EXAMPLE.COM:80/r%20v/X?id=123") == "http://example.com/r%20v/X"
    assert base_string_uri("https://www.example.net:8080/?q=1") == "https://www.example.net:8080/"
    assert base_string_uri("https://www.example.net:443") == "https://www.example.net/"


def test_json_body_is_not_signed() -> None:
    """Only form bodies take part in the signature: a JSON body may change, the signature not."""
    first = httpx.Request("POST", "https://h.example/x", json={"a": 1})
    second = httpx.Request("POST", "https://h.example/x", json={"a": 2})
    sign_one = sign_request(first, CREDS, nonce="n1", timestamp=1)
    assert sign_one == sign_request(second, CREDS, nonce="n1", timestamp=1)


def test_form_body_is_signed() -> None:
    """A form body is part of the signature: changing it changes the signature."""
    first = httpx.Request("POST", "https://h.example/x", data={"a": "1"})
    second = httpx.Request("POST", "https://h.example/x", data={"a": "2"})
    assert sign_request(first, CREDS, nonce="n1", timestamp=1) != sign_request(
        second, CREDS, nonce="n1", timestamp=1
    )


def test_realm_is_in_the_header_but_not_in_the_signature() -> None:
    """The realm is sent in the header yet leaves the signature unchanged (RFC 5849 3.4.1.3.1)."""
    request = httpx.Request("GET", "https://h.example/x")
    with_realm = sign_request(request, CREDS, nonce="n", timestamp=5, realm="123456_SB1")
    without = sign_request(request, CREDS, nonce="n", timestamp=5)
    assert with_realm.startswith('OAuth realm="123456_SB1", ')
    assert _signature_of(with_realm) == _signature_of(without)


def test_parse_rejects_malformed_and_duplicate_parameters() -> None:
    """A header that is not OAuth, is garbled or repeats a parameter is refused as malformed."""
    for header in ("Bearer abc", 'OAuth oauth_nonce="a", garbage', 'OAuth a="1", a="2"'):
        with pytest.raises(OAuth1Error) as caught:
            parse_authorization_header(header)
        assert caught.value.reason is OAuth1Failure.MALFORMED_HEADER


# Any Unicode text but the C0 controls and DEL, which httpx refuses in a URL outright.
_URL_TEXT = st.characters(codec="utf-8", min_codepoint=0x20).filter(lambda c: c != "\x7f")


@given(
    path=st.text(_URL_TEXT, max_size=12),
    value=st.text(st.characters(codec="utf-8"), max_size=20),
    form=st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=8), max_size=3),
)
def test_every_signed_request_verifies(path: str, value: str, form: dict[str, str]) -> None:
    """Whatever the path, query and form body, what sign_request signs the verifier accepts."""
    url = httpx.URL(f"https://h.example/{percent_encode(path)}/x", params={"q": value})
    request = httpx.Request("POST", url, data=form or None)
    request.headers["Authorization"] = sign_request(request, CREDS, nonce="n", timestamp=100)
    verdict = OAuth1Verifier(credentials_lookup(CREDS)).verify(request, now=100)
    assert verdict.consumer_key == CREDS.consumer_key


# -- the verifier --------------------------------------------------------------------------------


def _signed(
    *, timestamp: int = 1_000, nonce: str = "abc123", realm: str | None = None
) -> httpx.Request:
    request = httpx.Request("GET", "https://h.example/services/rest/record/v1/invoice/1?x=1")
    request.headers["Authorization"] = sign_request(
        request, CREDS, nonce=nonce, timestamp=timestamp, realm=realm
    )
    return request


def _failure(verifier: OAuth1Verifier, request: httpx.Request, now: float) -> OAuth1Error:
    with pytest.raises(OAuth1Error) as caught:
        verifier.verify(request, now=now)
    return caught.value


def test_verifier_accepts_a_good_request() -> None:
    """A correctly signed, fresh request passes and the verdict names who signed it."""
    verdict = OAuth1Verifier(credentials_lookup(CREDS)).verify(_signed(), now=1_010)
    assert (verdict.consumer_key, verdict.token, verdict.nonce) == ("ck-123", "tk-456", "abc123")
    assert verdict.signature_method == "HMAC-SHA256"


def test_verifier_rejects_a_tampered_request() -> None:
    """A request changed after signing (another query) fails with bad_signature."""
    request = _signed()
    tampered = httpx.Request(
        "GET", "https://h.example/services/rest/record/v1/invoice/1?x=2", headers=request.headers
    )
    failure = _failure(OAuth1Verifier(credentials_lookup(CREDS)), tampered, 1_000)
    assert failure.reason is OAuth1Failure.BAD_SIGNATURE


def test_verifier_rejects_a_wrong_secret() -> None:
    """A request signed with another token secret fails with bad_signature."""
    wrong = OAuth1Credentials("ck-123", "cs-SECRET-1", "tk-456", "not-the-secret")
    request = httpx.Request("GET", "https://h.example/x")
    request.headers["Authorization"] = sign_request(request, wrong, nonce="n", timestamp=1_000)
    failure = _failure(OAuth1Verifier(credentials_lookup(CREDS)), request, 1_000)
    assert failure.reason is OAuth1Failure.BAD_SIGNATURE


def test_verifier_rejects_a_stale_timestamp() -> None:
    """A timestamp further than the window from now (either way) fails with stale_timestamp."""
    verifier = OAuth1Verifier(credentials_lookup(CREDS), window_s=300)
    assert (
        _failure(verifier, _signed(timestamp=1_000), 1_301).reason is OAuth1Failure.STALE_TIMESTAMP
    )
    assert _failure(verifier, _signed(timestamp=1_000), 699).reason is OAuth1Failure.STALE_TIMESTAMP
    assert verifier.verify(_signed(timestamp=1_000), now=1_300).timestamp == 1_000


def test_verifier_rejects_a_replayed_nonce() -> None:
    """The same nonce, consumer, token and timestamp a second time fails with replayed_nonce."""
    verifier = OAuth1Verifier(credentials_lookup(CREDS))
    verifier.verify(_signed(nonce="once"), now=1_000)
    assert _failure(verifier, _signed(nonce="once"), 1_001).reason is OAuth1Failure.REPLAYED_NONCE
    assert verifier.verify(_signed(nonce="twice"), now=1_001).nonce == "twice"


def test_nonce_memory_forgets_only_what_left_the_window() -> None:
    """Nonces are kept while a replay could pass the timestamp check, then forgotten (bounded)."""
    verifier = OAuth1Verifier(credentials_lookup(CREDS), window_s=300)
    for step in range(200):  # one request every 10 s, timestamps a little out of order
        now = 1_000 + 10 * step
        verifier.verify(_signed(nonce=f"n{step}", timestamp=now - step % 3), now=now)
        # Only the last 2 x 300 s of nonces are held, however long the stand-in runs.
        assert len(verifier._nonces.seen) <= 61
    last = 1_000 + 10 * 199
    replay = _signed(nonce="n199", timestamp=last - 199 % 3)
    assert _failure(verifier, replay, last + 5).reason is OAuth1Failure.REPLAYED_NONCE
    old = _signed(nonce="n0", timestamp=1_000)
    assert _failure(verifier, old, last).reason is OAuth1Failure.STALE_TIMESTAMP


def test_verifier_rejects_unknown_credentials_and_missing_parameters() -> None:
    """Unknown consumer/token and a missing oauth_* parameter are each named."""
    stranger = OAuth1Credentials("other", "s1", "tk-456", "s2")
    request = httpx.Request("GET", "https://h.example/x")
    request.headers["Authorization"] = sign_request(request, stranger, nonce="n", timestamp=1_000)
    verifier = OAuth1Verifier(credentials_lookup(CREDS))
    assert _failure(verifier, request, 1_000).reason is OAuth1Failure.UNKNOWN_CREDENTIALS

    bare = httpx.Request(
        "GET", "https://h.example/x", headers={"Authorization": 'OAuth oauth_nonce="n"'}
    )
    failure = _failure(verifier, bare, 1_000)
    assert failure.reason is OAuth1Failure.MISSING_PARAMETER
    assert "oauth_consumer_key" in str(failure)
    no_header = httpx.Request("GET", "https://h.example/x")
    assert _failure(verifier, no_header, 1_000).reason is OAuth1Failure.MISSING_HEADER


def test_verifier_checks_realm_and_signature_method() -> None:
    """With a realm configured, a missing or other realm fails; so does a refused method."""
    verifier = OAuth1Verifier(credentials_lookup(CREDS), realm="123456_SB1")
    assert _failure(verifier, _signed(), 1_000).reason is OAuth1Failure.WRONG_REALM
    assert _failure(verifier, _signed(realm="999"), 1_000).reason is OAuth1Failure.WRONG_REALM
    assert verifier.verify(_signed(realm="123456_SB1"), now=1_000).realm == "123456_SB1"

    sha256_only = OAuth1Verifier(credentials_lookup(CREDS), signature_methods=("HMAC-SHA256",))
    request = httpx.Request("GET", "https://h.example/x")
    request.headers["Authorization"] = sign_request(
        request, CREDS, nonce="n", timestamp=1_000, signature_method="HMAC-SHA1"
    )
    failure = _failure(sha256_only, request, 1_000)
    assert failure.reason is OAuth1Failure.UNSUPPORTED_SIGNATURE_METHOD


# -- secrets stay secret -------------------------------------------------------------------------


def test_secrets_never_appear_in_repr_or_errors() -> None:
    """Credentials' and the auth's repr and every verification error leave the secrets out."""
    texts = [repr(CREDS), str(CREDS), repr(OAuth1Auth(CREDS))]
    verifier = OAuth1Verifier(credentials_lookup(CREDS), realm="R")
    for request, now in ((_signed(), 1_000), (_signed(realm="R"), 9_999)):
        texts.append(str(_failure(verifier, request, now)))
    wrong = OAuth1Credentials("ck-123", "cs-SECRET-1", "tk-456", "other-SECRET")
    request = httpx.Request("GET", "https://h.example/x")
    request.headers["Authorization"] = sign_request(request, wrong, nonce="n", timestamp=1_000)
    texts.append(str(_failure(OAuth1Verifier(credentials_lookup(CREDS)), request, 1_000)))
    for text in texts:
        assert "SECRET" not in text, text
        assert _signature_of(request.headers["Authorization"]) not in text


def test_empty_credentials_are_a_configuration_error() -> None:
    """An empty key or secret is refused at construction, naming the field only."""
    with pytest.raises(rc.ConfigurationError, match="token_secret"):
        OAuth1Credentials("ck", "cs", "tk", "")


# -- re-signing on retry -------------------------------------------------------------------------


class _Echo(StandIn):
    """A stand-in that answers 200 to whatever passes its OAuth 1.0a verifier, 401 otherwise."""

    service = "echo"

    def __init__(self, verifier: OAuth1Verifier, now: float) -> None:
        super().__init__()
        self.verifier = verifier
        self.now = now

    async def handle(self, request: httpx.Request) -> httpx.Response:
        try:
            self.verifier.verify(request, now=self.now)
        except OAuth1Error as exc:
            return httpx.Response(401, json={"error": exc.reason.value})
        return httpx.Response(200, json={"ok": True})


def test_each_attempt_is_signed_afresh(caplog: pytest.LogCaptureFixture) -> None:
    """A 503 then 200 through _http.send: two different nonces and signatures, both valid."""
    verifier = OAuth1Verifier(credentials_lookup(CREDS), realm="123456_SB1")
    standin = _Echo(verifier, now=1_700_000_000)
    standin.fail_next(503)
    ticks = iter([1_700_000_000, 1_700_000_001])
    auth = OAuth1Auth(CREDS, realm="123456_SB1", clock=lambda: next(ticks))

    async def scenario() -> httpx.Response:
        async with httpx.AsyncClient(transport=standin.transport(), auth=auth) as client:

            async def no_sleep(_: float) -> None:
                return None

            return await _http.send(
                client,
                lambda: client.build_request("POST", "https://h.example/x", data={"a": "1"}),
                service="echo",
                sleep=no_sleep,
            )

    with caplog.at_level(logging.DEBUG):
        response = run(scenario())
    assert response.status_code == 200
    first, second = (r.headers["authorization"] for r in standin.requests)
    one, two = parse_authorization_header(first), parse_authorization_header(second)
    assert one["oauth_nonce"] != two["oauth_nonce"]
    assert one["oauth_signature"] != two["oauth_signature"]
    assert (one["oauth_timestamp"], two["oauth_timestamp"]) == ("1700000000", "1700000001")
    # The first attempt (answered 503 by the fault injector) verifies too, with a fresh verifier.
    OAuth1Verifier(credentials_lookup(CREDS), realm="123456_SB1").verify(
        standin.requests[0], now=1_700_000_000
    )
    assert "SECRET" not in caplog.text
    assert one["oauth_signature"] not in caplog.text
