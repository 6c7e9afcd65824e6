"""Amazon refunds as a :class:`refund_core.RefundSource`, read from the SP-API Finances API.

Two operations can be read, chosen with :class:`FinancesApi`:

* ``2024-06-19`` ``listTransactions`` (the default): transactions of type ``Refund``;
  0.5 requests/s, burst 10, up to 500 per page.
* ``v0`` ``listFinancialEvents``: the ``RefundEventList``; 0.5 requests/s, burst 30, up to 100
  per page. Deprecated, and **removed on 2027-08-27**: kept only for accounts not yet moved.

Both take ``[postedAfter, postedBefore)``; ``postedBefore`` must be more than two minutes in the
past, and a range wider than 180 days comes back *empty* (not as an error). So the range from
``since`` to ``now - settle_delay`` is cut into consecutive windows of at most 180 days.

Ordering and paging. Amazon returns a window's refunds in its own order, over NextToken pages.
To give the port's guarantee (oldest first, ``since`` inclusive, stable pages, no event lost
between pages even when several share an instant) each window is read to its end (all its
NextToken pages), sorted by (posted time, refund ID), and served from there. The page token
carries the listing's ``since`` and end, the current window and the (posted time, refund ID) of
the last event handed out; the next page resumes strictly after that key, so events sharing a
timestamp are neither lost nor repeated, and a window that gained events in between is read
again without skipping any. The window just read is kept in memory while its pages are served.

Refunds posted late (Amazon warns of up to 48 hours) land before a cursor that has already
moved on: set ``settle_delay`` to 48 hours so only settled time is listed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import enum
import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import httpx

import refund_core as rc
from refund_adapters._decode import UpstreamDataError, unreadable_item
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
from refund_adapters._pacing import RatePacer

from ._auth import LWA_TOKEN_URL, AccessTokenCache, LwaCredentials, Region, endpoint
from ._mapping import (
    AmazonRefund,
    OrderRefKind,
    from_shipment_event,
    from_transaction,
    v0_refund_id,
)
from ._wire import (
    AmazonPayloadError,
    parse_json,
    read_shipment_event,
    read_transaction,
    refund_event_entries,
    transaction_entries,
)

_DEFAULT_POLICY = RetryPolicy()

__all__ = [
    "DEFAULT_CAPABILITIES",
    "MAX_WINDOW",
    "MIN_SETTLE_DELAY",
    "USAGE_PLANS",
    "V0_REMOVAL_DATE",
    "AmazonRefundSource",
    "FinancesApi",
    "UsagePlan",
    "split_windows",
]

log = logging.getLogger("refund_sync.amazon")

_SERVICE = "amazon"
USER_AGENT = "refund-sync (Language=Python)"

#: Amazon answers an empty list for a wider range, so no window may be longer.
MAX_WINDOW = timedelta(days=180)
#: ``postedBefore`` must be more than two minutes before the request.
MIN_SETTLE_DELAY = timedelta(minutes=2)
#: The most NextToken pages one window is read through: a token that never ends is malformed.
MAX_PAGES = 10_000
#: Finances v0 list operations are removed on this day.
V0_REMOVAL_DATE = "2027-08-27"
#: Amazon is a marketplace: refunds are made there and flow in (NSC-10). Nothing is ever written
#: to Amazon, so it takes no store credit either.
DEFAULT_CAPABILITIES = rc.StorefrontCapabilities(
    "amazon", rc.StorefrontKind.MARKETPLACE, supports_store_credit=False
)


class FinancesApi(enum.StrEnum):
    """Which Finances operation refunds are read from."""

    #: ``GET /finances/2024-06-19/transactions`` (listTransactions).
    V2024_06_19 = "2024-06-19"
    #: ``GET /finances/v0/financialEvents`` (listFinancialEvents); removed 2027-08-27.
    V0 = "v0"


@attrs.frozen
class UsagePlan:
    """A documented default usage plan: requests per second and bucket size."""

    rate: float
    burst: float


#: The default usage plans from the SP-API models (``x-amzn-RateLimit-Limit`` may differ).
USAGE_PLANS: Mapping[FinancesApi, UsagePlan] = {
    FinancesApi.V2024_06_19: UsagePlan(rate=0.5, burst=10),
    FinancesApi.V0: UsagePlan(rate=0.5, burst=30),
}

_PATHS = {
    FinancesApi.V2024_06_19: "/finances/2024-06-19/transactions",
    FinancesApi.V0: "/finances/v0/financialEvents",
}


def split_windows(
    start: datetime, end: datetime, size: timedelta = MAX_WINDOW
) -> tuple[tuple[datetime, datetime], ...]:
    """Consecutive ``[after, before)`` windows of at most ``size`` covering ``[start, end)``."""
    _check_window(size)
    windows: list[tuple[datetime, datetime]] = []
    after = start
    while after < end:
        before = min(after + size, end)
        windows.append((after, before))
        after = before
    return tuple(windows)


def _check_window(size: timedelta) -> None:
    if size <= timedelta(0) or size > MAX_WINDOW:
        raise rc.ConfigurationError(f"window must be positive and at most 180 days, got {size}")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _default_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(30.0))


@attrs.frozen
class _Cursor:
    """What a page token carries: the listing, its current window and the last key served."""

    api: str
    since: datetime
    end: datetime
    window_start: datetime
    after: tuple[datetime, str] | None = None

    def encode(self) -> str:
        document = {
            "v": 1,
            "api": self.api,
            "since": self.since.isoformat(),
            "end": self.end.isoformat(),
            "window": self.window_start.isoformat(),
            "after": None if self.after is None else [self.after[0].isoformat(), self.after[1]],
        }
        text = json.dumps(document, separators=(",", ":"), sort_keys=True)
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> _Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            document = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if document.get("v") != 1:
                raise ValueError("unknown version")
            after = document["after"]
            return cls(
                api=str(document["api"]),
                since=datetime.fromisoformat(document["since"]),
                end=datetime.fromisoformat(document["end"]),
                window_start=datetime.fromisoformat(document["window"]),
                after=None if after is None else (datetime.fromisoformat(after[0]), str(after[1])),
            )
        except (ValueError, KeyError, TypeError, IndexError, binascii.Error) as exc:
            raise rc.InvalidInputError(f"not an Amazon page token ({exc})") from None


class AmazonRefundSource:
    """Refunds posted to an Amazon seller account, as a :class:`refund_core.RefundSource`.

    ``list_events`` gives the core events; ``list_refunds`` the same pages with Amazon's fee
    adjustments and withheld taxes beside each event. HTTP goes through a client made by
    ``client_factory`` for each call (so the source works across ``asyncio.run`` calls), paced
    by ``pacer`` (default: the operation's documented rate and burst) and retried by ``policy``.
    """

    def __init__(
        self,
        credentials: LwaCredentials,
        *,
        region: Region | str = Region.NA,
        sandbox: bool = False,
        base_url: str | None = None,
        token_url: str = LWA_TOKEN_URL,
        api: FinancesApi | str = FinancesApi.V2024_06_19,
        marketplace_id: str | None = None,
        name: str = "amazon",
        order_ref: OrderRefKind | str = OrderRefKind.AMAZON_ORDER_ID,
        window: timedelta = MAX_WINDOW,
        settle_delay: timedelta = MIN_SETTLE_DELAY,
        refund_transaction_types: frozenset[str] = frozenset({"Refund"}),
        max_results_per_page: int = 100,
        client_factory: Callable[[], httpx.AsyncClient] = _default_client,
        policy: RetryPolicy = _DEFAULT_POLICY,
        pacer: RatePacer | None = None,
        clock: Callable[[], datetime] = _utc_now,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not isinstance(credentials, LwaCredentials):
            raise rc.ConfigurationError("credentials must be LwaCredentials")
        self._api = FinancesApi(api)
        self._order_ref = OrderRefKind(order_ref)
        if self._order_ref is OrderRefKind.SELLER_ORDER_ID and self._api is not FinancesApi.V0:
            raise rc.ConfigurationError(
                "order_ref=seller_order_id needs api=v0: 2024-06-19 transactions carry only "
                "the Amazon order ID"
            )
        _check_window(window)
        if settle_delay < MIN_SETTLE_DELAY:
            raise rc.ConfigurationError(
                f"settle_delay must be at least 2 minutes (Amazon refuses a later postedBefore), "
                f"got {settle_delay}"
            )
        if not 1 <= max_results_per_page <= 100:
            raise rc.ConfigurationError(
                f"max_results_per_page must be 1..100, got {max_results_per_page}"
            )
        if not name or name != name.strip():
            raise rc.ConfigurationError(f"name must be a non-empty identifier, got {name!r}")
        self._name = name
        self._base_url = (base_url or endpoint(region, sandbox=sandbox)).rstrip("/")
        self._marketplace_id = marketplace_id
        self._window = window
        self._settle_delay = settle_delay
        self._refund_types = frozenset(refund_transaction_types)
        self._page_size = max_results_per_page
        self._client_factory = client_factory
        self._policy = policy
        plan = USAGE_PLANS[self._api]
        self._pacer = pacer if pacer is not None else RatePacer(plan.rate, plan.burst, sleep=sleep)
        self._clock = clock
        self._sleep = sleep
        self._tokens = AccessTokenCache(
            credentials, clock=clock, token_url=token_url, policy=policy, sleep=sleep
        )
        self._window_cache: dict[
            tuple[datetime, datetime], tuple[AmazonRefund | rc.UnreadableItem, ...]
        ] = {}
        #: Requests sent to the Finances API (not counting LWA), for tests and logs.
        self.requests_sent = 0
        #: Refunds left out because nothing went back to the customer (fee-only corrections).
        self.not_customer_refunds = 0

    def __repr__(self) -> str:
        return (
            f"AmazonRefundSource(name={self._name!r}, api={self._api.value!r}, "
            f"base_url={self._base_url!r})"
        )

    @property
    def name(self) -> str:
        """The source system's name, as used in :class:`refund_core.SourceKey`."""
        return self._name

    @property
    def capabilities(self) -> rc.StorefrontCapabilities:
        """A marketplace (NSC-10) named as this source, without store credit."""
        return attrs.evolve(DEFAULT_CAPABILITIES, name=self._name)

    @property
    def api(self) -> FinancesApi:
        """The Finances operation refunds are read from."""
        return self._api

    @property
    def base_url(self) -> str:
        """The SP-API host requests go to."""
        return self._base_url

    @property
    def pacer(self) -> RatePacer:
        """The client-side token bucket pacing Finances requests."""
        return self._pacer

    @property
    def tokens(self) -> AccessTokenCache:
        """The LWA access-token cache."""
        return self._tokens

    @property
    def refund_transaction_types(self) -> frozenset[str]:
        """The 2024-06-19 ``transactionType`` values read as refunds."""
        return self._refund_types

    @property
    def marketplace_id(self) -> str | None:
        """The marketplace listings are limited to (None: all of the seller's)."""
        return self._marketplace_id

    async def read_page(self, query: Mapping[str, str]) -> Any:
        """One answer of the configured Finances operation to ``query``, parsed, not mapped.

        Authenticated, paced and retried as every listing request; for read-only checks of the
        raw transactions (``refund-sync doctor``). The caller structures it.
        """
        async with self._client_factory() as client:
            return await self._get(client, dict(query))

    async def list_events(
        self, *, since: datetime, page_token: str | None, limit: int
    ) -> rc.Page[rc.SourceEvent]:
        """Refunds posted at or after ``since``, oldest first, ``limit`` per page."""
        page = await self.list_refunds(since=since, page_token=page_token, limit=limit)
        return rc.Page(
            items=tuple(r.event for r in page.items),
            next_token=page.next_token,
            set_aside=page.set_aside,
        )

    async def list_refunds(
        self, *, since: datetime, page_token: str | None, limit: int
    ) -> rc.Page[AmazonRefund]:
        """As :meth:`list_events`, with each refund's fee adjustments and withheld taxes."""
        if limit < 1:
            raise rc.ConfigurationError(f"limit must be at least 1, got {limit}")
        if since.utcoffset() is None:
            raise rc.InvalidInputError(f"since must carry a UTC offset, got {since!r}")
        if page_token is None:
            end = self.posted_before_limit()
            if since >= end:
                return rc.Page(items=(), next_token=None)
            self._window_cache.clear()  # a new listing reads Amazon afresh
            cursor = _Cursor(api=self._api.value, since=since, end=end, window_start=since)
        else:
            cursor = _Cursor.decode(page_token)
            if cursor.api != self._api.value or cursor.since != since:
                raise rc.InvalidInputError(
                    f"page token belongs to a listing of {cursor.api} since "
                    f"{cursor.since.isoformat()}, not of {self._api.value} since "
                    f"{since.isoformat()}"
                )
        served: list[AmazonRefund | rc.UnreadableItem] = []
        async with self._client_factory() as client:
            while True:
                after, before = (
                    cursor.window_start,
                    min(cursor.window_start + self._window, cursor.end),
                )
                refunds = await self._read_window(client, after, before)
                remaining = [
                    r for r in refunds if cursor.after is None or _sort_key(r, after) > cursor.after
                ]
                taken = remaining[: limit - len(served)]
                served.extend(taken)
                if len(served) == limit:
                    if len(remaining) > len(taken):
                        token: _Cursor | None = attrs.evolve(
                            cursor, after=_sort_key(served[-1], after)
                        )
                    elif before < cursor.end:
                        token = attrs.evolve(cursor, window_start=before, after=None)
                    else:
                        token = None
                    return _page(served, None if token is None else token.encode())
                if before >= cursor.end:
                    return _page(served, None)
                cursor = attrs.evolve(cursor, window_start=before, after=None)

    def posted_before_limit(self) -> datetime:
        """The latest ``postedBefore`` to ask for now: the clock less ``settle_delay``."""
        now = self._clock()
        if now.utcoffset() is None:
            raise rc.ConfigurationError("the clock must return datetimes with a UTC offset")
        return (now - self._settle_delay).astimezone(UTC).replace(microsecond=0)

    # -- one window ------------------------------------------------------------------------------

    async def _read_window(
        self, client: httpx.AsyncClient, after: datetime, before: datetime
    ) -> tuple[AmazonRefund | rc.UnreadableItem, ...]:
        cached = self._window_cache.get((after, before))
        if cached is not None:
            return cached
        # Never ask for a postedBefore Amazon would refuse, even on a token made long ago.
        before_sent = min(before, self.posted_before_limit())
        found: dict[str, AmazonRefund | rc.UnreadableItem] = {}
        if after < before_sent:
            params: dict[str, str] = {"postedAfter": _iso(after), "postedBefore": _iso(before_sent)}
            if self._api is FinancesApi.V0:
                params = {
                    "PostedAfter": params["postedAfter"],
                    "PostedBefore": params["postedBefore"],
                    "MaxResultsPerPage": str(self._page_size),
                }
            elif self._marketplace_id is not None:
                params["marketplaceId"] = self._marketplace_id
            next_token: str | None = None
            endpoint = f"GET {_PATHS[self._api]}"
            for page_number in range(1, MAX_PAGES + 1):
                query = dict(params)
                if next_token is not None:
                    query["NextToken" if self._api is FinancesApi.V0 else "nextToken"] = next_token
                document = await self._get(client, query)
                where = f"{self._api.value} page {page_number}"
                refunds, token = self._map_page(document, where, endpoint)
                for refund in refunds:
                    if isinstance(refund, rc.UnreadableItem):
                        # Set aside in the window it was listed in (its own time, when readable).
                        moment = refund.at if refund.at is not None else after
                        if after <= moment < before:
                            found.setdefault(refund.key.event_id, refund)
                    # The same refund on two pages is one refund; the window bounds are ours.
                    elif after <= refund.event.created_at < before:
                        found.setdefault(refund.event.refund_id, refund)
                if token is None:
                    break
                if token == next_token:
                    raise AmazonPayloadError(
                        f"{where}: the same NextToken came back twice", endpoint=endpoint
                    )
                next_token = token
            else:
                raise AmazonPayloadError(
                    f"a window still had a NextToken after {MAX_PAGES} pages", endpoint=endpoint
                )
        ordered = tuple(sorted(found.values(), key=lambda r: _sort_key(r, after)))
        self._window_cache = {(after, before): ordered}
        return ordered

    def _map_page(
        self, document: Any, where: str, endpoint: str
    ) -> tuple[list[AmazonRefund | rc.UnreadableItem], str | None]:
        """The page's refunds (and unreadable used entries, to set aside) and its next token.

        Only entries the source uses are decoded, each on its own (see :mod:`._wire`): a
        transaction of another type is never read, whatever its shape; a used one that cannot
        be read is set aside with its raw entry.
        """
        found: list[AmazonRefund | rc.UnreadableItem] = []
        if self._api is FinancesApi.V0:
            entries, token = refund_event_entries(document, endpoint)
            base = "payload.FinancialEvents.RefundEventList"
            for index, raw in enumerate(entries):
                at = f"{base}[{index}]"
                try:
                    refund = from_shipment_event(
                        read_shipment_event(raw, at, endpoint),
                        source=self._name,
                        where=f"{where} {at}",
                        order_ref=self._order_ref,
                    )
                except rc.InvalidInputError as exc:
                    found.append(self._unreadable(raw, exc, endpoint))
                    continue
                self._keep(refund, found)
            return found, token
        entries, token = transaction_entries(document, endpoint)
        for index, raw in enumerate(entries):
            at = f"payload.transactions[{index}]"
            kind = raw.get("transactionType") if isinstance(raw, dict) else None
            if isinstance(kind, str) and kind not in self._refund_types:
                continue  # never used, so never decoded: its shape is not our business
            try:
                if not isinstance(kind, str):
                    raise AmazonPayloadError(
                        f"{at}: no transactionType, so whether it is a refund cannot be told",
                        endpoint=endpoint,
                        path=f"$.{at}.transactionType",
                    )
                refund = from_transaction(
                    read_transaction(raw, at, endpoint),
                    source=self._name,
                    where=f"{where} {at}",
                    refund_types=self._refund_types,
                )
            except rc.InvalidInputError as exc:
                found.append(self._unreadable(raw, exc, endpoint))
                continue
            self._keep(refund, found)
        return found, token

    def _unreadable(
        self, raw: Any, error: rc.InvalidInputError, endpoint: str
    ) -> rc.UnreadableItem:
        """A used entry that cannot be read, keyed by the refund it would have been."""
        event_id: object = None
        posted: object = None
        if isinstance(raw, dict):
            if self._api is FinancesApi.V0:
                posted = raw.get("PostedDate")
                order_id = raw.get("AmazonOrderId")
                moment = _moment(posted)
                if isinstance(order_id, str) and order_id and moment is not None:
                    event_id = v0_refund_id(order_id, moment, _adjustment_ids(raw))
            else:
                posted = raw.get("postedDate")
                event_id = _identifier(raw, "REFUND_ID") or raw.get("transactionId")
        if not isinstance(error, UpstreamDataError):
            error = AmazonPayloadError(str(error), endpoint=endpoint)
        return unreadable_item(
            source=self._name, raw=raw, error=error, event_id=event_id, at=_moment(posted)
        )

    def _keep(
        self, refund: AmazonRefund | None, into: list[AmazonRefund | rc.UnreadableItem]
    ) -> None:
        if refund is None:
            self.not_customer_refunds += 1
        else:
            into.append(refund)

    # -- HTTP ------------------------------------------------------------------------------------

    def _advise(self, response: httpx.Response) -> RetryAdvice:
        limit = response.headers.get("x-amzn-ratelimit-limit")
        if limit is not None:
            try:
                rate = float(limit)
            except ValueError:
                rate = 0.0
            if 0 < rate < 1e6:  # a NaN, infinite or absurd rate is no pace to keep
                # The plan actually applied to this seller and app; it may differ from the docs.
                self._pacer.rate = rate
        if response.status_code == 429:
            # QuotaExceeded: the bucket is empty at Amazon. Wait at least one token's time.
            self._pacer.pause(1.0 / self._pacer.rate)
            return RetryAdvice(retry=True)
        if response.status_code >= 500:
            return RetryAdvice(retry=True, delay_s=retry_after_seconds(response))
        return RetryAdvice(retry=False)

    async def _get(self, client: httpx.AsyncClient, query: dict[str, str]) -> Any:
        url = self._base_url + _PATHS[self._api]
        operation = "listFinancialEvents" if self._api is FinancesApi.V0 else "listTransactions"
        for attempt in (1, 2):
            token = await self._tokens.access_token(client)

            def build(token: str = token) -> httpx.Request:
                return client.build_request(
                    "GET",
                    url,
                    params=query,
                    headers={
                        "x-amz-access-token": token,
                        "user-agent": USER_AGENT,
                        "accept": "application/json",
                    },
                )

            self.requests_sent += 1
            response = await send(
                client,
                build,
                service=_SERVICE,
                policy=self._policy,
                advise=self._advise,
                pacer=self._pacer,
                sleep=self._sleep,
            )
            if response.status_code in (401, 403) and attempt == 1:
                # The token may have expired early or been revoked: fetch a new one, once.
                self._tokens.invalidate()
                continue
            break
        return _read(response, operation)


def _page(
    served: list[AmazonRefund | rc.UnreadableItem], token: str | None
) -> rc.Page[AmazonRefund]:
    return rc.Page(
        items=tuple(r for r in served if isinstance(r, AmazonRefund)),
        next_token=token,
        set_aside=tuple(r for r in served if isinstance(r, rc.UnreadableItem)),
    )


def _sort_key(
    entry: AmazonRefund | rc.UnreadableItem, window_start: datetime
) -> tuple[datetime, str]:
    """Oldest first, then by ID; an unreadable entry without a time sorts at its window's start."""
    if isinstance(entry, AmazonRefund):
        return entry.sort_key
    return (entry.at if entry.at is not None else window_start, entry.key.event_id)


def _moment(value: object) -> datetime | None:
    """An ISO 8601 time with an offset, when ``value`` is one; else None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.utcoffset() is not None else None


def _identifier(raw: dict[str, Any], name: str) -> object:
    """A 2024-06-19 transaction's related identifier ``name``, read without trusting the shape."""
    idents = raw.get("relatedIdentifiers")
    for ident in idents if isinstance(idents, list) else ():
        if isinstance(ident, dict) and ident.get("relatedIdentifierName") == name:
            return ident.get("relatedIdentifierValue")
    return None


def _adjustment_ids(raw: dict[str, Any]) -> list[str]:
    """A v0 refund event's adjustment item IDs, read without trusting the shape."""
    items = raw.get("ShipmentItemAdjustmentList")
    return [
        item["OrderAdjustmentItemId"]
        for item in (items if isinstance(items, list) else ())
        if isinstance(item, dict) and isinstance(item.get("OrderAdjustmentItemId"), str)
    ]


def _read(response: httpx.Response, operation: str) -> Any:
    request_id = response.headers.get("x-amzn-requestid")
    if response.status_code == 200:
        return parse_json(
            response.content,
            where=f"{operation} response",
            endpoint=f"GET {response.request.url.path}",
        )
    code, message = _first_error(response)
    text = f"{operation} failed" + (f": {message}" if message else "")
    error_type: type[UpstreamError]
    if response.status_code == 404:
        error_type = UpstreamNotFoundError
    elif response.status_code in (401, 403):
        error_type = UpstreamAuthError
    elif 400 <= response.status_code < 500 and response.status_code != 429:
        error_type = UpstreamRejectedError
    else:
        error_type = UpstreamUnavailableError
    log.warning(
        "amazon: %s -> HTTP %d code %s (request %s)",
        operation,
        response.status_code,
        code or "-",
        request_id or "-",
    )
    raise error_type(
        text, service=_SERVICE, status=response.status_code, code=code, request_id=request_id
    )


def _first_error(response: httpx.Response) -> tuple[str | None, str | None]:
    """The first ``{"errors": [{"code", "message", "details"}]}`` entry, if the body has one."""
    try:
        body = parse_json(response.content, where="error response")
    except AmazonPayloadError:
        return None, None
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None, None
    first = errors[0]
    code = first.get("code")
    message = first.get("message")
    details = first.get("details")
    text = str(message) if isinstance(message, str) else None
    if text and isinstance(details, str) and details:
        text = f"{text} ({details})"
    return (str(code) if isinstance(code, str) else None), text
