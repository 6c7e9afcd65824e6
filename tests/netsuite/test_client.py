"""The client's pieces: error mapping, exact JSON, base URLs and the package's public surface."""

from __future__ import annotations

from collections.abc import Generator
from decimal import Decimal

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import refund_core as rc
from refund_adapters import netsuite
from refund_adapters._http import (
    UpstreamAuthError,
    UpstreamRejectedError,
    UpstreamUnavailableError,
)
from refund_adapters.netsuite import (
    NetSuiteNotFoundError,
    NetSuiteRejectedError,
    _json,
    rest_base_url,
)
from refund_adapters.netsuite._client import raise_for_error
from tests.contracts._run import run

ERROR_BODY = {
    "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
    "title": "Bad Request",
    "status": 400,
    "o:errorDetails": [
        {
            "detail": "Invalid value for the field amount.",
            "o:errorCode": "USER_ERROR",
            "o:errorPath": "apply.items[0].amount",
        }
    ],
}


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, NetSuiteRejectedError),
        (401, UpstreamAuthError),
        (403, UpstreamAuthError),
        (404, NetSuiteNotFoundError),
        (409, NetSuiteRejectedError),
        (500, UpstreamUnavailableError),
    ],
)
def test_statuses_map_to_our_error_types(status: int, error_type: type[Exception]) -> None:
    """Each NetSuite error status becomes the error type the engine acts on."""
    with pytest.raises(error_type) as caught:
        raise_for_error(httpx.Response(status, json=ERROR_BODY), "write rs-cr-1")
    assert "write rs-cr-1" in str(caught.value)
    assert "USER_ERROR" in str(caught.value)


def test_rejection_carries_netsuites_code_path_and_detail() -> None:
    """A 400 says what (detail, code) and where (the JSON path into our body)."""
    with pytest.raises(NetSuiteRejectedError) as caught:
        raise_for_error(httpx.Response(400, json=ERROR_BODY), "write rs-cr-1")
    error = caught.value
    assert isinstance(error, UpstreamRejectedError)
    assert isinstance(error, rc.InvalidInputError)
    assert (error.code, error.error_path) == ("USER_ERROR", "apply.items[0].amount")
    assert error.details[0].detail == "Invalid value for the field amount."
    assert "(at apply.items[0].amount)" in str(error)


def test_an_error_body_not_in_netsuites_shape_still_maps() -> None:
    """An HTML error page (a proxy's) is still a typed error, just without details."""
    response = httpx.Response(400, text="<html>bad gateway</html>")
    with pytest.raises(NetSuiteRejectedError) as caught:
        raise_for_error(response, "SuiteQL query")
    assert caught.value.details == ()


def test_success_raises_nothing() -> None:
    """2xx and 3xx responses pass."""
    raise_for_error(httpx.Response(204), "write")


def test_json_numbers_are_exact_both_ways() -> None:
    """Decimals go out as JSON numbers written exactly and come back as Decimals (MNY-1)."""
    text = _json.dumps({"amount": Decimal("0.10"), "items": [Decimal("1234.565")], "ok": True})
    assert text == '{"amount":0.10,"items":[1234.565],"ok":true}'
    assert _json.loads(text) == {
        "amount": Decimal("0.10"),
        "items": [Decimal("1234.565")],
        "ok": True,
    }


def test_floats_are_never_sent() -> None:
    """A float in a request body is a programming error, refused before it goes out."""
    with pytest.raises(TypeError):
        _json.dumps({"amount": 0.1})


@pytest.mark.parametrize(
    ("account", "url"),
    [
        ("1234567", "https://1234567.suitetalk.api.netsuite.com/services/rest"),
        ("123456_SB1", "https://123456-sb1.suitetalk.api.netsuite.com/services/rest"),
    ],
)
def test_rest_base_url_follows_netsuites_host_rules(account: str, url: str) -> None:
    """Account IDs become lower-case hosts with '-' for '_' (sandbox IDs)."""
    assert rest_base_url(account) == url


def test_client_needs_an_account_or_a_base_url() -> None:
    """Without either, the client is a configuration error, not a request to nowhere."""
    with pytest.raises(rc.ConfigurationError):
        netsuite.NetSuiteClient(httpx.AsyncClient)


def test_public_surface_is_what_we_mean() -> None:
    """The package's __all__ names each export once, every one importable."""
    assert len(set(netsuite.__all__)) == len(netsuite.__all__)
    for name in netsuite.__all__:
        assert getattr(netsuite, name) is not None
    assert {"NetSuiteClient", "NetSuiteLedger", "NetSuiteStandIn", "tba_auth"} <= set(
        netsuite.__all__
    )


@pytest.mark.parametrize("account", ["", "12 34", "acme.evil.com/x", "123456_XX9", "../etc"])
def test_rest_base_url_refuses_what_is_no_account_id(account: str) -> None:
    """A bad account ID is a ConfigurationError (NetSuiteAccount's rules), never a garbage URL."""
    with pytest.raises(rc.ConfigurationError):
        rest_base_url(account)
    with pytest.raises(rc.ConfigurationError):
        netsuite.NetSuiteClient(httpx.AsyncClient, account=account)


def test_rest_base_url_is_the_accounts() -> None:
    """The client's base URL is exactly NetSuiteAccount.rest_base_url (one rule, one place)."""
    account = netsuite.NetSuiteAccount("tstdrv1234567_SB2")
    assert rest_base_url(account) == account.rest_base_url
    assert rest_base_url("TSTDRV1234567_SB2") == account.rest_base_url


def test_an_auth_that_fetches_tokens_is_refused_as_the_clients_auth() -> None:
    """OAuth 2.0 (it sends token requests) cannot be NetSuiteClient(auth=...): say so at once."""
    pem = _rsa_private_pem()
    auth = netsuite.NetSuiteOAuth2Auth(
        netsuite.M2MCredentials("client", "cert", pem),
        token_url=netsuite.NetSuiteAccount("123456").token_url,
    )
    with pytest.raises(rc.ConfigurationError, match=r"httpx\.AsyncClient"):
        netsuite.NetSuiteClient(httpx.AsyncClient, account="123456", auth=auth)


class _TokenFirstAuth(httpx.Auth):
    """An auth that, like a token flow, sends a request of its own before the real one."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Ask for a token first, then send the request."""
        yield httpx.Request("POST", "https://example.invalid/token")
        yield request


def test_an_auth_flow_that_sends_its_own_request_is_refused_not_sent() -> None:
    """A flow whose first request is not ours is a ConfigurationError; nothing is sent."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"items": [], "hasMore": False})

    client = netsuite.NetSuiteClient(
        lambda: httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        base_url="https://123456.suitetalk.api.netsuite.com/services/rest",
        auth=_TokenFirstAuth(),
    )
    with pytest.raises(rc.ConfigurationError, match="requests of its own"):
        run(client.suiteql("SELECT t.id FROM transaction t"))
    assert sent == []


def _rsa_private_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
