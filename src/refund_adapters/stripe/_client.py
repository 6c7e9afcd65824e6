"""The Stripe HTTP client: authentication, a pinned API version, retries and typed errors.

Intent: one place that knows how to talk to ``https://api.stripe.com``. Every request carries the
secret key as a bearer token and a pinned ``Stripe-Version`` (:data:`STRIPE_VERSION`,
``2026-07-29.dahlia``, the newest release named in the stored spec header), so a change of the
account's default version cannot change the shapes we read. POST bodies are form-encoded
(``a[b]=c``, ``expand[]=x``, ``items[0][k]=v``; amounts as integers in minor units, never
decimals or floats) and every POST carries an ``Idempotency-Key`` derived from the
plan's external ID (:func:`idempotency_key`), so a retried write is never performed twice.

Retries go through :func:`refund_adapters._http.send` with :func:`stripe_advice`: Stripe's own
``Stripe-Should-Retry`` header decides first (``true``/``false``), otherwise 429 and 5xx are
retried with a jittered, bounded exponential backoff never shorter than ``Retry-After`` (a
``Retry-After`` beyond the policy's cap gives up at once); other 4xx never are. Errors become the
shared ``Upstream*Error`` types carrying the ``Request-Id`` header and Stripe's ``error.code``
(also when retries run out), and say which parameter (``error.param``) was wrong.

The key is never logged and never shown by ``repr``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import httpx

from refund_adapters._decode import UpstreamDataError, parse_json
from refund_adapters._http import (
    RetryAdvice,
    RetryPolicy,
    Sleep,
    UpstreamAuthError,
    UpstreamError,
    UpstreamNotFoundError,
    UpstreamRejectedError,
    UpstreamUnavailableError,
    retry_after_seconds,
    send,
)
from refund_adapters._pacing import ConcurrencyLimiter

__all__ = [
    "DEFAULT_BASE_URL",
    "STRIPE_RETRY_POLICY",
    "STRIPE_VERSION",
    "FormValue",
    "StripeClient",
    "StripeRejectedError",
    "decode_form",
    "encode_form",
    "idempotency_key",
    "stripe_advice",
]

SERVICE = "stripe"

#: The API version every request pins (newest release in the stored spec header, [SOA-LATEST]).
STRIPE_VERSION = "2026-07-29.dahlia"

DEFAULT_BASE_URL = "https://api.stripe.com"

#: Key prefixes and the mode they belong to (docs.stripe.com/keys).
_KEY_MODES = (
    ("sk_live_", "live"),
    ("rk_live_", "live"),
    ("sk_test_", "test"),
    ("rk_test_", "test"),
)

#: Four attempts, 0.5 s base, 5 s cap: the shape of stripe-python's own backoff (A14), with one
#: more attempt because a sync run can afford to wait longer than an interactive caller.
STRIPE_RETRY_POLICY = RetryPolicy(max_attempts=4, base_delay_s=0.5, max_delay_s=5.0)

FormScalar = str | int | bool
FormValue = FormScalar | Sequence["FormValue"] | Mapping[str, "FormValue"] | None


def idempotency_key(external_id: str) -> str:
    """The ``Idempotency-Key`` for a write: a fixed function of the plan's external ID.

    Hashed so it stays under Stripe's 255-character limit whatever the external ID, and so the
    header does not repeat customer-identifying parts of the ID.
    """
    if not external_id or external_id != external_id.strip():
        raise ValueError(f"an idempotency key needs a non-empty external ID, got {external_id!r}")
    digest = hashlib.sha256(external_id.encode("utf-8")).hexdigest()
    return f"refund-sync-{digest}"


def _scalar(value: FormScalar) -> str:
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    return str(value)


def encode_form(params: Mapping[str, FormValue]) -> list[tuple[str, str]]:
    """Stripe's form encoding of nested parameters; None values are left out.

    ``{"metadata": {"a": "1"}, "expand": ["x"]}`` becomes ``metadata[a]=1`` and ``expand[]=x``;
    a list of hashes is indexed, ``{"items": [{"k": "v"}]}`` -> ``items[0][k]=v`` (with ``[]``
    Stripe could not tell which keys belong to which element). Decimals and floats are refused
    with a :class:`TypeError` naming the parameter: amounts go as integers in minor units, and
    ``str(Decimal)`` may even write ``1E+1``.
    """
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value: object) -> None:
        if value is None:
            return
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(f"{prefix}[{key}]", inner)
        elif isinstance(value, str | int):  # bool is an int
            pairs.append((prefix, _scalar(value)))
        elif isinstance(value, list | tuple):
            for index, inner in enumerate(value):
                nested = isinstance(inner, Mapping | list | tuple)
                walk(f"{prefix}[{index}]" if nested else f"{prefix}[]", inner)
        elif isinstance(value, float | Decimal):
            raise TypeError(
                f"form parameter {prefix!r} is a {type(value).__name__} ({value!r}); Stripe "
                "amounts are integers in the currency's minor unit"
            )
        else:
            raise TypeError(
                f"form parameter {prefix!r} has a {type(value).__name__}, which Stripe's form "
                "encoding has no form for"
            )

    for key, value in params.items():
        walk(key, value)
    return pairs


class _Array:
    """A bracketed array while decoding: elements by index, ``[]`` appending after the last."""

    def __init__(self) -> None:
        self.items: dict[int, Any] = {}

    def slot(self, part: str) -> int:
        if part.isdecimal() and part.isascii():
            return int(part)
        return max(self.items, default=-1) + 1


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The nested parameters behind Stripe's form encoding: :func:`encode_form` undone.

    ``a[b]=1`` and ``a[b][c]=2`` are hashes; ``a[]=x`` appends to an array, ``a[0]=x`` and
    ``a[0][k]=v`` fill its element 0 (so an element's keys stay together whatever their order);
    values stay strings, as on the wire. Raises :class:`ValueError` when a name is used both as
    a value and as a hash or array (``a=1&a[b]=2``).
    """
    root: dict[str, Any] = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        parts = [head, *rest[:-1].split("][")] if rest.endswith("]") else [key]
        node: Any = root
        for depth, part in enumerate(parts):
            slot: Any = node.slot(part) if isinstance(node, _Array) else part
            store = node.items if isinstance(node, _Array) else node
            if depth == len(parts) - 1:
                if isinstance(store.get(slot), dict | _Array):
                    raise ValueError(f"form parameter {key!r} is also a hash or an array")
                store[slot] = value
                break
            following = parts[depth + 1]
            want = _Array if following == "" or following.isdecimal() else dict
            child = store.get(slot)
            if child is None:
                child = store[slot] = want()
            elif not isinstance(child, want):
                raise ValueError(f"form parameter {key!r} mixes a value, a hash and an array")
            node = child
    decoded: dict[str, Any] = _finish(root)
    return decoded


def _finish(node: Any) -> Any:
    if isinstance(node, _Array):
        return [_finish(node.items[index]) for index in sorted(node.items)]
    if isinstance(node, dict):
        return {key: _finish(value) for key, value in node.items()}
    return node


def stripe_advice(response: httpx.Response) -> RetryAdvice:
    """Whether to retry a Stripe response: ``Stripe-Should-Retry`` first, then 429/5xx."""
    should = response.headers.get("stripe-should-retry")
    delay = retry_after_seconds(response)
    if should is not None:
        if should.strip().lower() == "true":
            return RetryAdvice(retry=True, delay_s=delay)
        if should.strip().lower() == "false":
            return RetryAdvice(retry=False)
    if response.status_code == 429 or response.status_code >= 500:
        return RetryAdvice(retry=True, delay_s=delay)
    return RetryAdvice(retry=False)


class StripeRejectedError(UpstreamRejectedError):
    """Stripe refused the request (4xx); ``param`` names the parameter it objected to, if any."""

    def __init__(self, message: str, *, param: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.param = param


def _endpoint(response: httpx.Response) -> str:
    """``GET /v1/refunds``: the request an answer belongs to (never its query: it may hold IDs)."""
    return f"{response.request.method} {response.request.url.path}"


def _error_of(response: httpx.Response) -> UpstreamError:
    """Map a non-2xx response to our error tree, with Stripe's code, param and request ID."""
    status = response.status_code
    request_id = response.headers.get("request-id")
    code: str | None = None
    param: str | None = None
    message = f"HTTP {status} from {response.request.method} {response.request.url.path}"
    try:
        body = parse_json(response.content, service=SERVICE, endpoint=_endpoint(response))
    except UpstreamDataError:
        body = None  # an error answer that is not Stripe's JSON: the status says enough
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        raw_code = error.get("code") or error.get("type")
        code = str(raw_code) if raw_code else None
        if error.get("param"):
            param = str(error["param"])
        if error.get("message"):
            message = str(error["message"])
    if param is not None:
        message = f"{message} [parameter {param!r}]"
    kwargs: dict[str, Any] = {
        "service": SERVICE,
        "status": status,
        "code": code,
        "request_id": request_id,
    }
    if status in (401, 403):
        # Stripe's own text echoes part of the key ("sk_test_****1234"): never repeat it.
        return UpstreamAuthError(f"Stripe refused the credentials (HTTP {status})", **kwargs)
    if status == 404:
        return UpstreamNotFoundError(message, **kwargs)
    if status == 429 or status >= 500:
        return UpstreamUnavailableError(message, **kwargs)
    return StripeRejectedError(message, param=param, **kwargs)


class StripeClient:
    """A thin async client for Stripe's v1 API over an injected :class:`httpx.AsyncClient`.

    ``secret_key`` is sent as a bearer token and kept out of ``repr`` and logs. ``sleep`` is
    injectable so backoff tests run instantly; ``limiter`` bounds requests in flight.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        secret_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_version: str = STRIPE_VERSION,
        policy: RetryPolicy = STRIPE_RETRY_POLICY,
        limiter: ConcurrencyLimiter | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not secret_key or secret_key != secret_key.strip():
            raise ValueError("the Stripe secret key is empty or has surrounding whitespace")
        self._http = http
        self._secret_key = secret_key
        self._base_url = base_url.rstrip("/")
        self.api_version = api_version
        self._policy = policy
        self._limiter = limiter
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"StripeClient(base_url={self._base_url!r}, api_version={self.api_version!r})"

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._secret_key}",
            "Stripe-Version": self.api_version,
            "Accept": "application/json",
        }

    async def _send(self, build: Callable[[], httpx.Request]) -> dict[str, Any]:
        response = await send(
            self._http,
            build,
            service=SERVICE,
            policy=self._policy,
            advise=stripe_advice,
            limiter=self._limiter,
            sleep=self._sleep,
            describe=_error_of,
        )
        await response.aread()
        if response.status_code >= 300:
            raise _error_of(response)
        # The one decoding boundary: Decimal fractions, no NaN, bounded depth, typed errors.
        body = parse_json(
            response.content,
            service=SERVICE,
            endpoint=_endpoint(response),
            status=response.status_code,
            request_id=response.headers.get("request-id"),
        )
        if not isinstance(body, dict):
            raise UpstreamDataError(
                f"expected a JSON object, got {type(body).__name__}",
                service=SERVICE,
                endpoint=_endpoint(response),
                status=response.status_code,
                request_id=response.headers.get("request-id"),
            )
        return body

    async def get(self, path: str, params: Mapping[str, FormValue] | None = None) -> dict[str, Any]:
        """GET ``path`` with Stripe-encoded query parameters; the decoded JSON object."""
        url = f"{self._base_url}{path}"
        query: list[tuple[str, str | int | float | bool | None]] = list(encode_form(params or {}))

        def build() -> httpx.Request:
            return self._http.build_request("GET", url, params=query, headers=self._headers())

        return await self._send(build)

    @property
    def key_mode(self) -> str | None:
        """``live`` or ``test`` by the key's prefix (docs.stripe.com/keys); None for another.

        Secret keys start ``sk_live_``/``sk_test_``, restricted keys ``rk_live_``/``rk_test_``.
        Only the mode is told: the key itself never leaves the client.
        """
        for prefix, mode in _KEY_MODES:
            if self._secret_key.startswith(prefix):
                return mode
        return None

    async def get_answer(
        self, path: str, params: Mapping[str, FormValue] | None = None
    ) -> httpx.Response:
        """GET ``path`` and return Stripe's answer as it came, whatever its status.

        For read-only checks that must see a refusal or a response header (``refund-sync
        doctor``): retried as every request is, never turned into an error; the caller decodes
        the body through :mod:`refund_adapters._decode`.
        """
        url = f"{self._base_url}{path}"
        query: list[tuple[str, str | int | float | bool | None]] = list(encode_form(params or {}))

        def build() -> httpx.Request:
            return self._http.build_request("GET", url, params=query, headers=self._headers())

        response = await send(
            self._http,
            build,
            service=SERVICE,
            policy=self._policy,
            advise=stripe_advice,
            limiter=self._limiter,
            sleep=self._sleep,
            describe=_error_of,
        )
        await response.aread()
        return response

    async def post(
        self, path: str, params: Mapping[str, FormValue], *, external_id: str
    ) -> dict[str, Any]:
        """POST a form-encoded body; the ``Idempotency-Key`` comes from ``external_id``."""
        url = f"{self._base_url}{path}"
        body = encode_form(params)
        headers = {**self._headers(), "Idempotency-Key": idempotency_key(external_id)}

        def build() -> httpx.Request:
            return self._http.build_request("POST", url, data=dict(_multi(body)), headers=headers)

        return await self._send(build)


def _multi(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Httpx takes repeated form keys as lists: ``expand[]`` may occur more than once."""
    merged: dict[str, str | list[str]] = {}
    for key, value in pairs:
        if key in merged:
            previous = merged[key]
            merged[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            merged[key] = value
    return merged
