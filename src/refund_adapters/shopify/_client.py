"""A small Shopify Admin GraphQL client: one POST per operation, paced by query cost.

Shopify budgets GraphQL calls per app and store as a leaky bucket of cost points: every response
carries ``extensions.cost`` (``requestedQueryCost``, ``actualQueryCost`` and ``throttleStatus``
with ``maximumAvailable``, ``currentlyAvailable`` and ``restoreRate``). The client keeps a
:class:`~refund_adapters._pacing.RatePacer` in step with ``throttleStatus`` and waits before an
operation whose last known cost the bucket cannot pay. A throttled call comes back as HTTP 200
with ``errors[].extensions.code == "THROTTLED"`` (some reports say 429: both are handled) and is
retried after the time the bucket needs to refill, through :func:`refund_adapters._http.send`.

Errors map to the shared tree: 401/403 -> :class:`UpstreamAuthError`, other 4xx and GraphQL
request errors -> :class:`UpstreamRejectedError`, retries run out ->
:class:`UpstreamUnavailableError`. A mutation's ``userErrors`` become
:class:`ShopifyUserError`, naming each field path. The access token is sent in
``X-Shopify-Access-Token`` and never logged or shown in a ``repr``.

HTTP clients: an ``http_client`` given to the constructor is used as is and never closed here
(its owner closes it, in the event loop it belongs to). Otherwise the admin client makes its own,
one per running event loop (a connection pool belongs to the loop that opened it, and the
engine's synchronous entry points run one ``asyncio.run`` each), and closes each in its loop:
:meth:`ShopifyAdminClient.aclose`, or by itself when ``asyncio.run`` shuts that loop down.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import re
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import httpx

import refund_core as rc

from .._decode import UpstreamDataError, parse_json
from .._http import (
    RetryAdvice,
    RetryPolicy,
    UpstreamAuthError,
    UpstreamNotFoundError,
    UpstreamRejectedError,
    UpstreamUnavailableError,
    default_advice,
    send,
)
from .._pacing import ConcurrencyLimiter, RatePacer

__all__ = [
    "API_VERSION",
    "PREVIOUS_ATTEMPT_FAILED",
    "SERVICE",
    "ShopifyAdminClient",
    "ShopifyUserError",
    "UserErrorDetail",
]

log = logging.getLogger("refund_sync.shopify")

#: The Admin API version the adapter speaks. The 2026-01 schema is the one the stand-in validates
#: every query against; the adapter always sends ``@idempotent``, which 2026-04 makes mandatory.
API_VERSION = "2026-01"
SERVICE = "shopify"

#: A first guess of an operation's cost before Shopify has told us (then its last requested cost).
_DEFAULT_COST_ESTIMATE = 50.0
#: Shopify's documented bucket for the standard plan, until ``throttleStatus`` says otherwise.
_DEFAULT_BUCKET = 2000.0
_DEFAULT_RESTORE_RATE = 100.0

_DEFAULT_POLICY = RetryPolicy()
#: Request-level error codes that mean "not now" rather than "never".
_TRY_LATER_CODES = frozenset({"IDEMPOTENCY_CONCURRENT_REQUEST", "INTERNAL_SERVER_ERROR"})
#: "A previous request with this idempotency key failed. Retry with a new idempotency key."
#: (Admin 2026-01 schema, on the error-code enums of the ``@idempotent`` mutations.) Reported as
#: an :class:`UpstreamRejectedError` with this code: the same request can never succeed.
PREVIOUS_ATTEMPT_FAILED = "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"
_SHOP_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")

Sleep = Callable[[float], Awaitable[None]]


@attrs.frozen
class UserErrorDetail:
    """One of a mutation's ``userErrors``: the input field path and Shopify's message."""

    field: tuple[str, ...]
    message: str

    @property
    def path(self) -> str:
        """The field path as ``input.refundLineItems.0.quantity`` (``-`` when none)."""
        return ".".join(self.field) if self.field else "-"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ShopifyUserError(UpstreamRejectedError):
    """A mutation answered with ``userErrors``: the input was refused, field by field."""

    def __init__(
        self, mutation: str, errors: Sequence[UserErrorDetail], *, request_id: str | None = None
    ) -> None:
        self.mutation = mutation
        self.errors = tuple(errors)
        listed = "; ".join(str(error) for error in self.errors)
        super().__init__(
            f"{mutation} refused: {listed}",
            service=SERVICE,
            status=200,
            code="USER_ERRORS",
            request_id=request_id,
        )


def _shop_host(shop: str) -> str:
    name = shop.strip().lower().removesuffix(".myshopify.com")
    if not _SHOP_NAME.match(name):
        raise UpstreamRejectedError(
            f"shop must be a shop name like 'my-store' or 'my-store.myshopify.com', got {shop!r}",
            service=SERVICE,
        )
    return f"{name}.myshopify.com"


def _json(response: httpx.Response, operation: str) -> Any:
    """The answer's JSON through the one decoding boundary (exact numbers, no NaN, bounded)."""
    # Shopify sends money as strings; parse any JSON number exactly anyway (MNY-1).
    return parse_json(
        response.content or b"null",
        service=SERVICE,
        endpoint=f"POST graphql.json {operation}",
        status=response.status_code,
        request_id=_request_id(response),
    )


def _request_id(response: httpx.Response) -> str | None:
    value = response.headers.get("x-request-id")
    return str(value) if value is not None else None


def _errors(body: Any) -> list[Mapping[str, Any]]:
    errors = body.get("errors") if isinstance(body, Mapping) else None
    if isinstance(errors, list):
        return [error for error in errors if isinstance(error, Mapping)]
    return []


def _error_code(error: Mapping[str, Any]) -> str | None:
    extensions = error.get("extensions")
    if isinstance(extensions, Mapping):
        code = extensions.get("code")
        return str(code) if code is not None else None
    return None


@attrs.frozen
class _Cost:
    requested: float | None
    maximum: float
    available: float
    restore_rate: float


#: The largest cost figure believed: Shopify's buckets hold thousands of points at most.
_MAX_COST = 1e9


def _cost_number(value: object, path: str, operation: str, *, positive: bool) -> float:
    """A cost figure: a finite number, not negative (positive where a rate or size must be)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise UpstreamDataError(
            f"expected a number, got {type(value).__name__}",
            service=SERVICE,
            endpoint=f"POST graphql.json {operation}",
            path=path,
        )
    number = float(value)
    if not math.isfinite(number) or number < 0 or number > _MAX_COST or (positive and number <= 0):
        # A NaN here once made the pacer spin forever holding the journal's lock.
        raise UpstreamDataError(
            f"expected a finite number {'above' if positive else 'from'} 0 up to {_MAX_COST:g}, "
            f"got {value!r}",
            service=SERVICE,
            endpoint=f"POST graphql.json {operation}",
            path=path,
        )
    return number


def _cost(body: Any, operation: str) -> _Cost | None:
    """``extensions.cost`` when the answer has one; a typed error when it is malformed."""
    extensions = body.get("extensions") if isinstance(body, Mapping) else None
    cost = extensions.get("cost") if isinstance(extensions, Mapping) else None
    if cost is None:
        return None
    where = "$.extensions.cost"
    if not isinstance(cost, Mapping) or not isinstance(cost.get("throttleStatus"), Mapping):
        raise UpstreamDataError(
            "expected cost with a throttleStatus object",
            service=SERVICE,
            endpoint=f"POST graphql.json {operation}",
            path=where,
        )
    status = cost["throttleStatus"]
    requested = cost.get("requestedQueryCost")
    at = f"{where}.throttleStatus"
    return _Cost(
        requested=(
            None
            if requested is None
            else _cost_number(requested, f"{where}.requestedQueryCost", operation, positive=False)
        ),
        maximum=_cost_number(
            status.get("maximumAvailable"), f"{at}.maximumAvailable", operation, positive=True
        ),
        available=_cost_number(
            status.get("currentlyAvailable"), f"{at}.currentlyAvailable", operation, positive=False
        ),
        restore_rate=_cost_number(
            status.get("restoreRate"), f"{at}.restoreRate", operation, positive=True
        ),
    )


def _default_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=30.0)


async def _close_at_loop_shutdown(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Hold ``client`` open until the loop's shutdown (or :meth:`aclose`), then close it there.

    Started once, this generator stays suspended at ``yield``. ``asyncio.run`` closes every
    async generator still open (``loop.shutdown_asyncgens``) before it closes its loop, so the
    ``finally`` runs inside the loop the client's connections belong to.
    """
    try:
        yield
    finally:
        await client.aclose()


@attrs.frozen
class _Owned:
    client: httpx.AsyncClient
    closer: AsyncGenerator[None, None]


class ShopifyAdminClient:
    """POSTs GraphQL operations to one shop's Admin API, paced, retried and error-mapped.

    ``http_client`` is an :class:`httpx.AsyncClient` owned by the caller (never closed here; use
    it in its own event loop). Without one, ``client_factory`` (by default a plain
    ``httpx.AsyncClient`` with a 30 s timeout) makes one client per running event loop, closed
    by :meth:`aclose` or when ``asyncio.run`` shuts that loop down. ``base_url`` replaces
    ``https://{shop}.myshopify.com`` (a stand-in's loopback address, say). ``sleep`` and
    ``clock`` are injectable so pacing and retries run instantly in tests.
    """

    def __init__(
        self,
        *,
        shop: str,
        access_token: str,
        api_version: str = API_VERSION,
        base_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        client_factory: Callable[[], httpx.AsyncClient] | None = None,
        policy: RetryPolicy = _DEFAULT_POLICY,
        limiter: ConcurrencyLimiter | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not access_token or access_token != access_token.strip():
            raise UpstreamRejectedError("access token must be a non-empty string", service=SERVICE)
        if http_client is not None and client_factory is not None:
            raise rc.ConfigurationError(
                "give the Shopify admin client an http_client or a client_factory, not both"
            )
        self.shop = _shop_host(shop)
        self.api_version = api_version
        root = (base_url or f"https://{self.shop}").rstrip("/")
        self.endpoint = f"{root}/admin/api/{api_version}/graphql.json"
        self.__token = access_token
        self._http_client = http_client
        self._client_factory = client_factory or _default_client
        self._owned: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Owned] = (
            weakref.WeakKeyDictionary()
        )
        self._policy = policy
        self._limiter = limiter
        self._sleep = sleep
        self.pacer = RatePacer(_DEFAULT_RESTORE_RATE, _DEFAULT_BUCKET, clock=clock, sleep=sleep)
        self._estimates: dict[str, float] = {}
        #: Times an operation was answered THROTTLED (each then retried after the refill time).
        self.throttled = 0
        #: The version Shopify made the last answer with (``X-Shopify-API-Version``); another
        #: than ``api_version`` means Shopify no longer supports it and fell forward.
        self.served_version: str | None = None

    def __repr__(self) -> str:
        return f"ShopifyAdminClient(shop={self.shop!r}, api_version={self.api_version!r})"

    async def _client(self) -> httpx.AsyncClient:
        if self._http_client is not None:
            return self._http_client
        loop = asyncio.get_running_loop()
        owned = self._owned.get(loop)
        if owned is None:
            client = self._client_factory()
            closer = _close_at_loop_shutdown(client)
            await closer.asend(None)
            owned = _Owned(client, closer)
            self._owned[loop] = owned
        return owned.client

    async def aclose(self) -> None:
        """Close the HTTP client this admin client made for the running loop, if any.

        An injected ``http_client`` is left open: it belongs to the caller.
        """
        owned = self._owned.pop(asyncio.get_running_loop(), None)
        if owned is not None:
            await owned.closer.aclose()

    async def __aenter__(self) -> ShopifyAdminClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _observe(self, body: Any, operation: str) -> _Cost | None:
        cost = _cost(body, operation)
        if cost is not None:
            # The server's own account of the bucket is the truth; ours was an estimate.
            self.pacer.update(available=cost.available, rate=cost.restore_rate, burst=cost.maximum)
        return cost

    def _advise(self, response: httpx.Response, operation: str) -> RetryAdvice:
        if response.status_code != 200:
            return default_advice(response)
        try:
            body = _json(response, operation)
        except UpstreamDataError:
            return RetryAdvice(retry=False)  # execute() reads it again and says what is wrong
        cost = self._observe(body, operation)
        if any(_error_code(error) == "THROTTLED" for error in _errors(body)):
            self.throttled += 1
            delay = 1.0
            if cost is not None and cost.restore_rate > 0:
                needed = (cost.requested or cost.maximum) - cost.available
                delay = max(needed, 0.0) / cost.restore_rate
            log.info("shopify: throttled, retrying in %.2f s", delay)
            return RetryAdvice(retry=True, delay_s=delay)
        return RetryAdvice(retry=False)

    async def execute(
        self, document: str, variables: Mapping[str, Any], *, operation: str
    ) -> Mapping[str, Any]:
        """Run the named operation of ``document``; return its ``data`` or raise a typed error."""
        estimate = self._estimates.get(operation, _DEFAULT_COST_ESTIMATE)
        await self.pacer.acquire(estimate)
        content = json.dumps(
            {"query": document, "variables": variables, "operationName": operation},
            default=_jsonable,
        ).encode()
        headers = {
            "content-type": "application/json",
            "accept": "application/json",
            "x-shopify-access-token": self.__token,
        }

        def build() -> httpx.Request:
            return httpx.Request("POST", self.endpoint, headers=headers, content=content)

        response = await send(
            await self._client(),
            build,
            service=SERVICE,
            policy=self._policy,
            advise=functools.partial(self._advise, operation=operation),
            limiter=self._limiter,
            sleep=self._sleep,
        )
        request_id = _request_id(response)
        self._note_version(response)
        status = response.status_code
        if status in (401, 403):
            raise UpstreamAuthError(
                f"{operation}: access token refused",
                service=SERVICE,
                status=status,
                request_id=request_id,
            )
        if status == 404:
            raise UpstreamNotFoundError(
                f"{operation}: no such shop or API version ({self.api_version})",
                service=SERVICE,
                status=status,
                request_id=request_id,
            )
        if status != 200:
            raise UpstreamRejectedError(
                f"{operation}: unexpected HTTP status",
                service=SERVICE,
                status=status,
                request_id=request_id,
            )
        body = _json(response, operation)
        cost = _cost(body, operation)
        if cost is not None and cost.requested is not None:
            self._estimates[operation] = cost.requested
        errors = _errors(body)
        if errors:
            first = errors[0]
            messages = "; ".join(_describe_error(error) for error in errors)
            if _error_code(first) in _TRY_LATER_CODES:
                # The first attempt with this key is still running (or Shopify failed inside):
                # the same request later is safe and may succeed; a later run retries it.
                raise UpstreamUnavailableError(
                    f"{operation}: {messages}",
                    service=SERVICE,
                    status=status,
                    code=_error_code(first),
                    request_id=request_id,
                )
            raise UpstreamRejectedError(
                f"{operation}: {messages}",
                service=SERVICE,
                status=status,
                code=_error_code(first),
                request_id=request_id,
            )
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, Mapping):
            raise UpstreamDataError(
                f"{operation}: the answer has no data object",
                service=SERVICE,
                endpoint=f"POST graphql.json {operation}",
                path="$.data",
                status=status,
                request_id=request_id,
            )
        log.debug("shopify %s ok (request %s)", operation, request_id or "-")
        return data

    def _note_version(self, response: httpx.Response) -> None:
        served = response.headers.get("x-shopify-api-version")
        if served is None:
            return
        if served not in (self.api_version, self.served_version):
            log.warning(
                "shopify: asked for API version %s, answered with %s: Shopify no longer "
                "supports %s (run refund-sync doctor)",
                self.api_version,
                served,
                self.api_version,
            )
        self.served_version = served


def _describe_error(error: Mapping[str, Any]) -> str:
    message = str(error.get("message", "error"))
    path = error.get("path")
    if isinstance(path, list) and path:
        return f"{'.'.join(str(part) for part in path)}: {message}"
    return message


def _jsonable(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be sent to Shopify")


def user_errors(
    payload: Mapping[str, Any], mutation: str, *, request_id: str | None = None
) -> None:
    """Raise :class:`ShopifyUserError` when a mutation payload lists ``userErrors``.

    ``userErrors`` is a list of ``{field: [String!], message: String!}`` in the schema; anything
    else is an :class:`UpstreamDataError` (a refusal must never be mistaken for no errors).
    """
    raw = payload.get("userErrors")
    where = f"$.data.{mutation}.userErrors"

    def malformed(path: str, what: str) -> UpstreamDataError:
        return UpstreamDataError(
            what,
            service=SERVICE,
            endpoint=f"POST graphql.json {mutation}",
            path=path,
            request_id=request_id,
        )

    if raw is None:
        return
    if not isinstance(raw, list):
        raise malformed(where, f"expected a list, got {type(raw).__name__}")
    details = []
    for index, error in enumerate(raw):
        at = f"{where}[{index}]"
        if not isinstance(error, Mapping):
            raise malformed(at, f"expected an object, got {type(error).__name__}")
        field = error.get("field")
        message = error.get("message")
        if field is not None and (
            not isinstance(field, list) or not all(isinstance(part, str | int) for part in field)
        ):
            raise malformed(f"{at}.field", "expected a list of field names")
        if not isinstance(message, str):
            raise malformed(f"{at}.message", f"expected a string, got {type(message).__name__}")
        details.append(
            UserErrorDetail(field=tuple(str(part) for part in field or ()), message=message)
        )
    if details:
        raise ShopifyUserError(mutation, details, request_id=request_id)
