"""One HTTP client for NetSuite's REST record service and SuiteQL, with its errors mapped.

Every request goes through :func:`refund_adapters._http.send` under one shared limiter
(NetSuite's concurrency limit is per account, so all requests of an adapter count against one
budget): a :class:`~refund_adapters._pacing.ConcurrencyLimiter` by default, or any
:class:`~refund_adapters._pacing.Limiter`, such as a budget shared through PostgreSQL by every
worker that writes to the account. Requests are built afresh per
attempt, so an ``httpx.Auth`` that signs (TBA / OAuth 1.0a) signs every attempt anew.

Retries: HTTP 429 and NetSuite's concurrency-limit error codes always (the request was refused
before it ran); 5xx and dropped connections only for calls that are safe to repeat (reads,
SuiteQL, PATCH). A create or transform is never repeated blindly: :class:`LostWriteError` tells
the ledger to look for the record by external ID first.

Error tree (what callers see)::

    UpstreamError
    ├── UpstreamRejectedError ── NetSuiteRejectedError   4xx with o:errorDetails (code, path)
    │   └── UpstreamNotFoundError ── NetSuiteNotFoundError   404
    ├── UpstreamAuthError                                   401 / 403
    └── UpstreamUnavailableError                            retries ran out, 5xx
        └── LostWriteError                                  a write's response never arrived
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
import httpx

import refund_core as rc
from refund_adapters._http import (
    RetryAdvice,
    RetryPolicy,
    UpstreamAuthError,
    UpstreamNotFoundError,
    UpstreamRejectedError,
    UpstreamUnavailableError,
    retry_after_seconds,
    send,
)
from refund_adapters._pacing import ConcurrencyLimiter, Limiter

from . import _json
from ._auth import NetSuiteAccount
from ._fields import CONCURRENCY_ERROR_CODES
from ._wire import SuiteQLPageWire, decode

__all__ = [
    "SERVICE",
    "ErrorDetail",
    "LostWriteError",
    "NetSuiteClient",
    "NetSuiteNotFoundError",
    "NetSuiteRejectedError",
    "SuiteQLPage",
    "raise_for_error",
    "rest_base_url",
]

SERVICE = "netsuite"
Sleep = Callable[[float], Awaitable[None]]
ClientSource = httpx.AsyncClient | Callable[[], httpx.AsyncClient]

#: Five attempts with jittered backoff (see :class:`refund_adapters._http.RetryPolicy`).
DEFAULT_POLICY = RetryPolicy()

#: NetSuite's documented page size maximum for SuiteQL and collections.
MAX_PAGE_SIZE = 1000


def rest_base_url(account: NetSuiteAccount | str) -> str:
    """``https://<account>.suitetalk.api.netsuite.com/services/rest`` for an account ID.

    Sandbox IDs such as ``123456_SB1`` become host ``123456-sb1`` (lower case, ``_`` -> ``-``);
    an ID that is no NetSuite account ID is a ``ConfigurationError`` (see
    :class:`~refund_adapters.netsuite.NetSuiteAccount`).
    """
    return (
        account if isinstance(account, NetSuiteAccount) else NetSuiteAccount(account)
    ).rest_base_url


def _check_auth(auth: httpx.Auth) -> None:
    """Refuse an auth whose flow needs responses (its own requests): it cannot work here."""
    if auth.requires_response_body:
        raise rc.ConfigurationError(
            f"{type(auth).__name__} sends requests of its own (e.g. OAuth 2.0 token requests), "
            "which NetSuiteClient(auth=...) cannot carry: install it on the httpx.AsyncClient "
            "instead (httpx.AsyncClient(auth=...)); NetSuiteClient's auth is for signers such as "
            "tba_auth()"
        )


@attrs.frozen
class ErrorDetail:
    """One entry of NetSuite's ``o:errorDetails``: what went wrong and where."""

    detail: str
    code: str | None = None
    path: str | None = None


class NetSuiteRejectedError(UpstreamRejectedError):
    """NetSuite refused a request (4xx); ``details`` hold its codes and JSON paths."""

    def __init__(
        self, message: str, *, status: int | None, details: tuple[ErrorDetail, ...]
    ) -> None:
        first = details[0] if details else None
        super().__init__(
            message, service=SERVICE, status=status, code=first.code if first else None
        )
        self.details = details
        self.error_path = first.path if first else None


class NetSuiteNotFoundError(UpstreamNotFoundError):
    """NetSuite has no such record or URL (404)."""

    def __init__(self, message: str, *, details: tuple[ErrorDetail, ...]) -> None:
        first = details[0] if details else None
        super().__init__(message, service=SERVICE, status=404, code=first.code if first else None)
        self.details = details


class LostWriteError(UpstreamUnavailableError):
    """A write was sent but no answer came (dropped connection, timeout, 5xx): it may exist."""


@attrs.frozen
class SuiteQLPage:
    """One page of SuiteQL results: rows as dicts with lower-case column names."""

    items: tuple[Mapping[str, Any], ...]
    has_more: bool


def error_details(response: httpx.Response) -> tuple[ErrorDetail, ...]:
    """``o:errorDetails`` of an error response; empty when the body is not NetSuite's shape."""
    try:
        body = _json.loads(response.content)
    except ValueError:
        return ()
    if not isinstance(body, dict):
        return ()
    raw = body.get("o:errorDetails")
    if not isinstance(raw, list):
        title = body.get("title")
        return (ErrorDetail(str(title)),) if title else ()
    details = []
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        path = entry.get("o:errorPath") or entry.get("o:errorQueryParam")
        path = path or entry.get("o:errorHeader") or entry.get("o:errorUrl")
        code = entry.get("o:errorCode")
        details.append(
            ErrorDetail(
                detail=str(entry.get("detail", "")),
                code=str(code) if code is not None else None,
                path=str(path) if path is not None else None,
            )
        )
    return tuple(details)


def raise_for_error(response: httpx.Response, what: str) -> None:
    """Map a non-2xx NetSuite response to our error types; return quietly on success."""
    status = response.status_code
    if status < 400:
        return
    details = error_details(response)
    text = "; ".join(
        detail.detail + (f" (at {detail.path})" if detail.path else "") for detail in details
    )
    message = f"{what} failed" + (f": {text}" if text else "")
    code = details[0].code if details else None
    if status in (401, 403):
        raise UpstreamAuthError(message, service=SERVICE, status=status, code=code)
    if status == 404:
        raise NetSuiteNotFoundError(message, details=details)
    if status >= 500:
        raise UpstreamUnavailableError(message, service=SERVICE, status=status, code=code)
    raise NetSuiteRejectedError(message, status=status, details=details)


def _is_concurrency_error(response: httpx.Response) -> bool:
    if response.status_code == 429:
        return True
    if response.status_code not in (400, 403):
        return False
    return any(detail.code in CONCURRENCY_ERROR_CODES for detail in error_details(response))


def _advice_for(*, repeatable: bool) -> Callable[[httpx.Response], RetryAdvice]:
    def advise(response: httpx.Response) -> RetryAdvice:
        if _is_concurrency_error(response):
            return RetryAdvice(retry=True, delay_s=retry_after_seconds(response))
        if repeatable and response.status_code >= 500:
            return RetryAdvice(retry=True, delay_s=retry_after_seconds(response))
        return RetryAdvice(retry=False)

    return advise


class NetSuiteClient:
    """Sends NetSuite REST and SuiteQL requests for one account.

    ``http`` is an ``httpx.AsyncClient``, or a zero-argument factory of one: with a factory a
    client is made per running event loop (use it when the adapter is driven by several
    ``asyncio.run`` calls, as the synchronous engine entry points do). ``base_url`` defaults to
    the account's ``https://<account>.suitetalk.api.netsuite.com/services/rest``; point it at a
    stand-in to test. ``auth`` (any ``httpx.Auth`` whose flow signs a request without a round
    trip, e.g. TBA) is applied to every attempt; an auth that needs round trips (OAuth 2.0,
    which fetches tokens) belongs on the ``AsyncClient`` itself, and passing one here is a
    ``ConfigurationError``. ``limiter`` is shared by every request (default: a new one allowing
    ``concurrency_limit`` requests, NetSuite's smallest account limit being 5).
    """

    def __init__(
        self,
        http: ClientSource,
        *,
        account: str | None = None,
        base_url: str | None = None,
        auth: httpx.Auth | None = None,
        limiter: Limiter | None = None,
        concurrency_limit: int = 5,
        policy: RetryPolicy = DEFAULT_POLICY,
        sleep: Sleep = asyncio.sleep,
        page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        if base_url is None:
            if account is None:
                raise rc.ConfigurationError("NetSuiteClient needs an account ID or a base URL")
            base_url = rest_base_url(account)
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise rc.ConfigurationError(
                f"SuiteQL page size must be 1..{MAX_PAGE_SIZE}, got {page_size}"
            )
        if auth is not None:
            _check_auth(auth)
        self.base_url = base_url.rstrip("/")
        self.limiter: Limiter = (
            limiter if limiter is not None else ConcurrencyLimiter(concurrency_limit)
        )
        self.page_size = page_size
        self._http = http
        self._auth = auth
        self._policy = policy
        self._sleep = sleep
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]
        self._clients = weakref.WeakKeyDictionary()

    def _client(self) -> httpx.AsyncClient:
        if isinstance(self._http, httpx.AsyncClient):
            return self._http
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._http()
            self._clients[loop] = client
        return client

    async def aclose(self) -> None:
        """Close the client this object made for the running event loop (a factory's client).

        An injected ``AsyncClient`` belongs to the caller, who closes it.
        """
        if isinstance(self._http, httpx.AsyncClient):
            return
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (relative to ``/services/rest``)."""
        return f"{self.base_url}/{path.lstrip('/')}"

    async def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        repeatable: bool,
    ) -> httpx.Response:
        """Send one request; return a 2xx response or raise one of the mapped errors.

        ``repeatable`` says whether the call may be repeated after a dropped connection or a
        5xx (reads, PATCH). When it may not and no answer came, raises :class:`LostWriteError`.
        """
        content = _json.dumps(body).encode() if body is not None else None
        merged = {"Accept": "application/json", **(headers or {})}
        if content is not None:
            merged["Content-Type"] = "application/json"
        client = self._client()
        url = self.url(path)

        def build() -> httpx.Request:
            request = client.build_request(
                method, url, params=params, content=content, headers=merged
            )
            if self._auth is not None:
                signed = next(self._auth.sync_auth_flow(request))
                if signed is not request:
                    # The flow wants to send another request first (a token fetch): sending
                    # ours unsigned, or theirs in its place, would fail in confusing ways.
                    raise rc.ConfigurationError(
                        f"{type(self._auth).__name__} sends requests of its own; install it on "
                        "the httpx.AsyncClient, not as NetSuiteClient(auth=...)"
                    )
            return request

        policy = attrs.evolve(self._policy, retry_transport_errors=repeatable)
        try:
            response = await send(
                client,
                build,
                service=SERVICE,
                policy=policy,
                advise=_advice_for(repeatable=repeatable),
                limiter=self.limiter,
                sleep=self._sleep,
            )
        except UpstreamUnavailableError as exc:
            if not repeatable and isinstance(exc.__cause__, httpx.TransportError):
                raise LostWriteError(
                    f"{what}: no answer ({type(exc.__cause__).__name__})", service=SERVICE
                ) from exc
            raise
        if response.status_code >= 500 and not repeatable:
            raise LostWriteError(
                f"{what}: HTTP {response.status_code}, the write may have happened",
                service=SERVICE,
                status=response.status_code,
            )
        raise_for_error(response, what)
        return response

    async def suiteql_page(self, query: str, *, limit: int, offset: int) -> SuiteQLPage:
        """One page of a SuiteQL query (``limit``/``offset`` in the URL, ``Prefer: transient``)."""
        response = await self.request(
            "POST",
            "query/v1/suiteql",
            what="SuiteQL query",
            params={"limit": str(limit), "offset": str(offset)},
            body={"q": query},
            headers={"Prefer": "transient"},
            repeatable=True,
        )
        page = decode(
            response.content,
            SuiteQLPageWire,
            endpoint="POST /query/v1/suiteql",
            status=response.status_code,
        )
        rows = tuple(
            {str(key).lower(): value for key, value in item.items() if key != "links"}
            for item in page.items
        )
        has_more = page.hasMore
        return SuiteQLPage(rows, has_more)

    async def suiteql(self, query: str) -> tuple[Mapping[str, Any], ...]:
        """Every row of a SuiteQL query, following ``hasMore`` page by page."""
        rows: list[Mapping[str, Any]] = []
        offset = 0
        while True:
            page = await self.suiteql_page(query, limit=self.page_size, offset=offset)
            rows.extend(page.items)
            if not page.has_more:
                return tuple(rows)
            offset += self.page_size
