"""``refund-sync demo``: the whole sync over real HTTP, against local stand-ins, with no setup.

It starts stateful stand-ins of NetSuite, two Stripe accounts, Amazon, two Shopify shops and
Magento as HTTP servers on 127.0.0.1, seeds them with :func:`build_world`, writes a
``refund-sync.toml`` naming the real adapters (secrets in environment variables, never in the
file), and runs ``refund-sync sync`` through the same code path as production: the adapter
registry, one engine and one SQLite journal per account, TBA-signed NetSuite requests,
Stripe's and Shopify's idempotency keys. Every outcome is printed with the rules behind it.
Then everything runs a second time, and nothing new is created.
"""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import attrs

import refund_core as rc

from .. import amazon, magento, netsuite, shopify, stripe
from .._oauth1 import OAuth1Credentials
from ..storage import SqliteJournal
from ._config import SyncConfig, load_config
from ._demo_world import (
    MAGENTO_ORDER,
    SHOPIFY_CUSTOMER,
    SHOPIFY_ORDER,
    START,
    TAX_CODE,
    TAX_RATE,
    DemoWorld,
    build_world,
)
from ._registry import default_registry
from ._sync import PassResult, sync_accounts

__all__ = ["DemoResult", "DemoWorld", "build_world", "demo", "run_demo"]

Renderer = Callable[[int, rc.Outcome], list[str]]

#: The NetSuite sandbox account the stand-in pretends to be (TBA realm 123456_SB1).
NETSUITE_ACCOUNT = "123456_SB1"
#: The internal ID of its Undeposited Funds account (STC-12).
UNDEPOSITED_FUNDS = "uf-1"
#: The demo account's currencies and their internal IDs (the stand-in numbers them in this
#: order); the NetSuite ledger is configured with the same map.
NETSUITE_CURRENCIES: Mapping[str, str] = {"USD": "1", "JPY": "2", "EUR": "3"}

#: The demo's credentials, as a deployment would keep them: in environment variables.
SECRETS: Mapping[str, str] = {
    "DEMO_NS_CONSUMER_KEY": "demo-consumer-key",
    "DEMO_NS_CONSUMER_SECRET": "demo-consumer-secret",
    "DEMO_NS_TOKEN_ID": "demo-token-id",
    "DEMO_NS_TOKEN_SECRET": "demo-token-secret",
    "DEMO_STRIPE_US_KEY": "sk_test_demo_us_0000000000000000000000",
    "DEMO_STRIPE_JP_KEY": "sk_test_demo_jp_0000000000000000000000",
    "DEMO_AMAZON_CLIENT_SECRET": "demo-lwa-client-secret",
    "DEMO_AMAZON_REFRESH_TOKEN": "Atzr|demo-refresh-token",
    "DEMO_SHOPIFY_TOKEN": "shpat_demo_token",
    "DEMO_SHOPIFY_EU_TOKEN": "shpat_demo_eu_token",
    "DEMO_MAGENTO_TOKEN": "demo-magento-integration-token",
}
_AMAZON_CLIENT_ID = "amzn1.application-oa2-client.demo"
_SHOPIFY_SHOP = "demo-shop.myshopify.com"
_SHOPIFY_EU_SHOP = "demo-eu.myshopify.com"
#: The day the demo's Shopify answers as of (which API versions it supports).
_SHOPIFY_DAY = datetime(2026, 3, 1, tzinfo=UTC)

#: What each account syncs, in the order the demo runs them.
PASSES: tuple[tuple[str, str], ...] = (
    ("stripe-us", "Stripe refunds and payouts -> NetSuite (Stripe Connector, USD)"),
    ("stripe-jp", "Stripe refunds and payouts -> NetSuite (Stripe Connector, JPY)"),
    ("amazon-us", "Amazon refunds -> NetSuite (NetSuite Connector, incoming)"),
    (
        "shopify-eu",
        "Shopify refunds -> NetSuite (NetSuite Connector, incoming: a cart, allowed with a "
        "warning)",
    ),
    ("shopify-us", "NetSuite refunds -> Shopify (NetSuite Connector, outgoing)"),
    ("magento-us", "NetSuite refunds -> Magento (NetSuite Connector, outgoing)"),
)


@attrs.define
class StandIns:
    """The running stand-ins and the base URL of each."""

    netsuite: netsuite.NetSuiteStandIn
    stripe_us: stripe.StripeStandIn
    stripe_jp: stripe.StripeStandIn
    amazon: amazon.AmazonStandIn
    shopify_eu: shopify.ShopifyStandIn  # before the field that shadows the module's name
    shopify: shopify.ShopifyStandIn
    magento: magento.MagentoStandIn
    urls: dict[str, str] = attrs.field(factory=dict)


def _stripe(
    events: tuple[rc.SourceEvent, ...], payouts: tuple[rc.Payout, ...], key: str, currency: str
) -> stripe.StripeStandIn:
    standin = stripe.StripeStandIn.from_events(events, api_key=key, default_currency=currency)
    standin.seed_payouts(payouts)
    return standin


def _shopify_versions() -> tuple[tuple[str, bool], ...]:
    """The versions Shopify served on the demo world's day.

    So the demo keeps running after the pinned version retires (the doctor then fails a real
    shop, as it must).
    """
    from ..shopify._standin import published_versions  # noqa: PLC0415 - needs graphql-core

    return published_versions(_SHOPIFY_DAY)


def _shopify() -> shopify.ShopifyStandIn:
    standin = shopify.ShopifyStandIn(
        shop=_SHOPIFY_SHOP,
        access_token=SECRETS["DEMO_SHOPIFY_TOKEN"],
        api_versions=_shopify_versions(),
    )
    standin.add_order(
        SHOPIFY_ORDER,
        lines=[("11001", "JACKET", 1, "60.00"), ("11002", "SCARF", 1, "40.00")],
        payments=[("shopify_payments", "80.00"), ("gift_card", "20.00")],
        customer_id=SHOPIFY_CUSTOMER,
    )
    return standin


def _magento() -> magento.MagentoStandIn:
    standin = magento.MagentoStandIn(bearer_tokens=[SECRETS["DEMO_MAGENTO_TOKEN"]])
    standin.add_order(
        MAGENTO_ORDER,
        [magento.SeedItem("MUG-01", "12.50", qty=2), magento.SeedItem("TEE-01", "35.00")],
    )
    return standin


def build_standins(
    world: DemoWorld, *, internal_id_for: Callable[[str], str] | None = None
) -> StandIns:
    """Every stand-in, seeded with ``world`` (not yet serving).

    ``internal_id_for`` names the records NetSuite creates after their external IDs (tests
    compare with the in-memory ledger that way); by default NetSuite numbers them itself.
    """
    auth = netsuite.NetSuiteAuthServer(NETSUITE_ACCOUNT)
    auth.register_tba(
        OAuth1Credentials(
            SECRETS["DEMO_NS_CONSUMER_KEY"],
            SECRETS["DEMO_NS_CONSUMER_SECRET"],
            SECRETS["DEMO_NS_TOKEN_ID"],
            SECRETS["DEMO_NS_TOKEN_SECRET"],
        )
    )
    return StandIns(
        netsuite=netsuite.NetSuiteStandIn.from_snapshot(
            world.ledger,
            auth=auth,
            currencies=tuple(NETSUITE_CURRENCIES),
            undeposited_funds_account=UNDEPOSITED_FUNDS,
            internal_id_for=internal_id_for,
            tax_codes=(netsuite.SalesTax(TAX_CODE, TAX_RATE),),
        ),
        stripe_us=_stripe(world.stripe_events, world.payouts, SECRETS["DEMO_STRIPE_US_KEY"], "usd"),
        stripe_jp=_stripe(
            world.stripe_jp_events, world.stripe_jp_payouts, SECRETS["DEMO_STRIPE_JP_KEY"], "jpy"
        ),
        amazon=amazon.AmazonStandIn.from_events(
            world.amazon_events,
            client_id=_AMAZON_CLIENT_ID,
            client_secret=SECRETS["DEMO_AMAZON_CLIENT_SECRET"],
            refresh_token=SECRETS["DEMO_AMAZON_REFRESH_TOKEN"],
        ),
        shopify=_shopify(),
        magento=_magento(),
        shopify_eu=shopify.ShopifyStandIn.from_events(
            world.shopify_in_events,
            shop=_SHOPIFY_EU_SHOP,
            access_token=SECRETS["DEMO_SHOPIFY_EU_TOKEN"],
            api_versions=_shopify_versions(),
        ),
    )


@contextlib.contextmanager
def serving(standins: StandIns) -> Iterator[StandIns]:
    """Serve every stand-in on 127.0.0.1 while the block runs; ``urls`` names their bases."""
    with contextlib.ExitStack() as stack:
        for name in (
            "netsuite",
            "stripe_us",
            "stripe_jp",
            "amazon",
            "shopify",
            "magento",
            "shopify_eu",
        ):
            server = stack.enter_context(getattr(standins, name).serve())
            standins.urls[name] = server.base_url
        yield standins
        standins.urls.clear()


# -- the configuration file ----------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{key} = {_toml_value(v)}" for key, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _table(header: str, values: Mapping[str, Any]) -> list[str]:
    lines = [f"[{header}]"]
    lines += [f"{key} = {_toml_value(v)}" for key, v in values.items() if v is not None]
    return [*lines, ""]


def _settings(settings: rc.RefundSettings) -> dict[str, Any]:
    document: dict[str, Any] = rc.unstructure(settings)
    return {key: value for key, value in document.items() if value is not None}


def config_text(world: DemoWorld, urls: Mapping[str, str]) -> str:
    """The ``refund-sync.toml`` of the demo: six accounts, adapters pointed at the stand-ins."""
    ledger = {
        "adapter": "netsuite",
        "account_id": NETSUITE_ACCOUNT,
        "undeposited_funds_account": UNDEPOSITED_FUNDS,
        "currencies": NETSUITE_CURRENCIES,
        "tax_codes": {TAX_CODE: str(TAX_RATE)},
        "base_url": urls["netsuite"],
        "consumer_key_env": "DEMO_NS_CONSUMER_KEY",
        "consumer_secret_env": "DEMO_NS_CONSUMER_SECRET",
        "token_id_env": "DEMO_NS_TOKEN_ID",
        "token_secret_env": "DEMO_NS_TOKEN_SECRET",
    }
    start = START.isoformat().replace("+00:00", "Z")
    lines = [
        "# refund-sync.toml written by `refund-sync demo`: every adapter points at a local",
        "# stand-in on 127.0.0.1; secrets come from the environment variables named *_env.",
        "",
        *_table("journal", {"dir": "journals"}),
    ]

    def account(
        account_id: str,
        *,
        policy: rc.Policy,
        direction: rc.Direction,
        channel: str,
        settings: rc.RefundSettings,
        adapters: Mapping[str, Mapping[str, Any]],
    ) -> None:
        lines.extend(
            [
                "[[accounts]]",
                f'id = "{account_id}"',
                f'policy = "{policy.value}"',
                f'direction = "{direction.value}"',
                f'start = "{start}"',
                f"channel = {channel}",
                "",
                *_table("accounts.settings", _settings(settings)),
            ]
        )
        for role, table in adapters.items():
            lines.extend(_table(f"accounts.{role}", table))

    stripe_channel = '{ name = "stripe", kind = "marketplace" }'
    for account_id, events_settings, url, key_env in (
        ("stripe-us", world.stripe_settings, urls["stripe_us"], "DEMO_STRIPE_US_KEY"),
        ("stripe-jp", world.stripe_jp_settings, urls["stripe_jp"], "DEMO_STRIPE_JP_KEY"),
    ):
        stripe_table = {
            "adapter": "stripe",
            "secret_key_env": key_env,
            "mode": "test",  # the demo's keys are test keys
            "base_url": url,
        }
        account(
            account_id,
            policy=rc.Policy.STRIPE_CONNECTOR,
            direction=rc.Direction.INCOMING,
            channel=stripe_channel,
            settings=events_settings,
            adapters={"source": stripe_table, "payouts": stripe_table, "ledger": ledger},
        )
    account(
        "amazon-us",
        policy=rc.Policy.NETSUITE_CONNECTOR,
        direction=rc.Direction.INCOMING,
        channel='{ name = "amazon", kind = "marketplace" }',
        settings=world.amazon_settings,
        adapters={
            "source": {
                "adapter": "amazon",
                "client_id": _AMAZON_CLIENT_ID,
                "client_secret_env": "DEMO_AMAZON_CLIENT_SECRET",
                "refresh_token_env": "DEMO_AMAZON_REFRESH_TOKEN",
                "base_url": urls["amazon"],
                "token_url": f"{urls['amazon']}/auth/o2/token",
            },
            "ledger": ledger,
        },
    )
    account(
        "shopify-eu",
        policy=rc.Policy.NETSUITE_CONNECTOR,
        direction=rc.Direction.INCOMING,
        channel='{ name = "shopify", kind = "cart", supports_store_credit = true }',
        settings=world.shopify_in_settings,
        adapters={
            "source": {
                "adapter": "shopify",
                "shop": _SHOPIFY_EU_SHOP,
                "access_token_env": "DEMO_SHOPIFY_EU_TOKEN",
                "base_url": urls["shopify_eu"],
            },
            "ledger": ledger,
        },
    )
    account(
        "shopify-us",
        policy=rc.Policy.NETSUITE_CONNECTOR,
        direction=rc.Direction.OUTGOING,
        channel='{ name = "shopify", kind = "cart", supports_store_credit = true }',
        settings=world.shopify_settings,
        adapters={
            "storefront": {
                "adapter": "shopify",
                "shop": _SHOPIFY_SHOP,
                "access_token_env": "DEMO_SHOPIFY_TOKEN",
                "store_credit": True,
                "base_url": urls["shopify"],
            },
            "ledger": ledger,
        },
    )
    account(
        "magento-us",
        policy=rc.Policy.NETSUITE_CONNECTOR,
        direction=rc.Direction.OUTGOING,
        channel='{ name = "magento", kind = "cart", supports_store_credit = false }',
        settings=world.magento_settings,
        adapters={
            "storefront": {
                "adapter": "magento",
                "base_url": urls["magento"],
                "token_env": "DEMO_MAGENTO_TOKEN",
            },
            "ledger": ledger,
        },
    )
    return "\n".join(lines)


# -- running -------------------------------------------------------------------------------------


@attrs.frozen
class RunReport:
    """What one run of every account did, as the stand-ins saw it."""

    results: tuple[PassResult, ...]
    netsuite_created: frozenset[str]
    storefront_writes: int
    dead_letters: tuple[tuple[str, rc.DeadLetter], ...]
    rule_ids: frozenset[str]


def _netsuite_ids(standins: StandIns) -> frozenset[str]:
    snapshot = standins.netsuite.snapshot()
    return snapshot.external_ids() | snapshot.marked_synced


def _storefront_writes(standins: StandIns) -> int:
    return standins.shopify.write_count() + len(standins.magento.credit_memos)


def _dead_letters(config: SyncConfig) -> tuple[tuple[str, rc.DeadLetter], ...]:
    letters: list[tuple[str, rc.DeadLetter]] = []
    for account in config.accounts:
        path = config.journal_path(account)
        if not path.exists():
            continue
        with SqliteJournal(path) as journal:
            letters.extend(
                (account.account.account_id, letter) for letter in journal.dead_letters()
            )
    return tuple(letters)


def run_once(
    config: SyncConfig, standins: StandIns, out: TextIO, render: Renderer, *, number: int
) -> RunReport:
    """Run every account once through ``refund-sync sync``'s code path, printing outcomes."""
    numbering = iter(range(1, 10_000))
    rules: set[str] = set()

    def report(outcome: rc.Outcome) -> None:
        rules.update(outcome.rule_ids)
        if isinstance(outcome, rc.Plan | rc.Skipped):
            for manual in outcome.manual_actions:
                rules.update(manual.rule_ids)
        if isinstance(outcome, rc.Plan):
            for notice in outcome.notices:
                rules.update(notice.rule_ids)
        out.write("\n".join(render(next(numbering), outcome)) + "\n")

    before_ns = _netsuite_ids(standins)
    before_sf = _storefront_writes(standins)
    results: list[PassResult] = []
    for account_id, label in PASSES:
        out.write(f"\n--- {account_id}: {label} ---\n")
        passes = sync_accounts(
            config,
            registry=default_registry(),
            environ=SECRETS,
            stderr=io.StringIO(),  # progress lines are for long runs, not for the demo
            dry_run=False,
            account_id=account_id,
            on_outcome=report,
            tty=False,
        )
        for result in passes:
            s = result.summary
            out.write(
                f"{result.pass_name}: {s.events_seen} event(s), {s.duplicates} already seen, "
                f"{s.writes_created} write(s), {s.skipped} skipped, {s.unsupported} "
                f"unsupported, {s.dead_lettered} set aside, {s.manual_actions} manual\n"
            )
        results.extend(passes)
    letters = _dead_letters(config)
    created = _netsuite_ids(standins) - before_ns
    sent = _storefront_writes(standins) - before_sf
    out.write(
        f"\nrun {number}: {len(created)} NetSuite record(s) created, {sent} storefront "
        f"refund(s) or store credit(s) issued; {len(letters)} event(s) set aside as dead letters "
        "(skipped, unsupported or rejected; each retryable with `refund-sync retry`)\n"
    )
    for account_id, letter in letters:
        out.write(f"  {account_id}: {letter.key} [{letter.code}] {letter.message}\n")
    for letter_rules in (_ERROR_RULES.get(letter.code, ()) for _, letter in letters):
        rules.update(letter_rules)
    return RunReport(tuple(results), created, sent, letters, frozenset(rules))


#: Dead-letter codes of rejected input and the rules that reject it.
_ERROR_RULES: Mapping[str, tuple[str, ...]] = {
    error.error_code: error.rule_ids
    for error in (rc.OverRefundError, rc.CurrencyMismatchError, rc.NonPositiveAmountError)
}


def _configuration_checks(out: TextIO) -> set[str]:
    """NSC-9 and NSC-10 are about configuration: show both answers."""
    rules: set[str] = set()
    both = rc.ConnectorAccount(
        "shopify-both",
        rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART),
        [rc.Direction.INCOMING, rc.Direction.OUTGOING],
    )
    try:
        rc.review_account(both)
    except rc.ConfigurationError as exc:
        out.write(f"an account syncing both directions is refused before any run: {exc}\n")
        rules.add("NSC-9")
    incoming_cart = rc.ConnectorAccount(
        "shopify-in",
        rc.StorefrontCapabilities("shopify", rc.StorefrontKind.CART),
        [rc.Direction.INCOMING],
    )
    review = rc.review_account(incoming_cart)
    for warning in review.warnings:
        out.write(f"a cart synced incoming runs, with a warning: {warning}\n")
        rules.update(review.rule_ids)
    return rules


def _ledger_checks(world: DemoWorld, standins: StandIns, out: TextIO) -> set[str]:
    """What NetSuite holds after the runs, checked against the events that produced it."""
    rules: set[str] = set()
    snapshot = standins.netsuite.snapshot()
    created: dict[rc.SourceKey, list[rc.Money]] = {}
    records: tuple[rc.CreditMemo | rc.CashRefund, ...] = (
        *snapshot.credit_memos,
        *snapshot.cash_refunds,
    )
    for record in records:
        if record.source is not None and record.source.source == "amazon":
            created.setdefault(record.source, []).append(record.amount)
    for refund in snapshot.customer_refunds:
        if refund.source is not None and refund.source.source == "stripe":
            created.setdefault(refund.source, []).append(refund.amount)
    refunds = [
        event
        for event in (*world.stripe_events, *world.stripe_jp_events, *world.amazon_events)
        if isinstance(event, rc.RefundEvent) and event.key in created
    ]
    exact = [e for e in refunds if rc.sum_money(created[e.key], e.amount.currency) == e.amount]
    out.write(
        f"the records of {len(exact)} of {len(refunds)} synced refunds add up exactly to the "
        "refund, as NetSuite holds them (MNY-3)\n"
    )
    if refunds and len(exact) == len(refunds):
        rules.add("MNY-3")
    taxed = [
        record
        for record in snapshot.credit_memos
        if any(line.tax is not None or line.kind is rc.CreditLineKind.TAX for line in record.lines)
    ]
    agreeing = [r for r in taxed if rc.netsuite_total(r.lines, r.shipping) == r.amount]
    if taxed and len(agreeing) == len(taxed):
        out.write(
            f"{len(taxed)} taxed credit memo(s): NetSuite computed each line's tax and totals "
            "each at the refund (TAX-1, TAX-2)\n"
        )
        rules.update({"TAX-1", "TAX-2"})
    disputed = [r for r in snapshot.customer_refunds if r.memo.startswith("Stripe dispute")]
    won = [
        line
        for deposit in snapshot.deposits
        for line in deposit.other_lines
        if line.memo.startswith("Stripe dispute")
    ]
    if disputed and won:
        out.write(
            f"{len(disputed)} dispute(s) booked like refunds, and still booked after being won: "
            "the reinstated funds are an Other Deposits line of their payout (DSP-1, DSP-2)\n"
        )
        rules.update({"DSP-1", "DSP-2"})
    yen = [e for e in exact if e.amount.currency.code == "JPY"]
    if yen:
        out.write(
            f"{len(yen)} JPY refund(s) went through Stripe's integer minor units and NetSuite "
            "and came back to the yen (MNY-1)\n"
        )
        rules.add("MNY-1")
    return rules


def _catalogue() -> tuple[str, ...]:
    ids = [f"NSC-{n}" for n in range(1, 11)] + [f"STC-{n}" for n in range(1, 18)]
    return (
        *ids,
        *(f"MNY-{n}" for n in range(1, 6)),
        *(f"IDM-{n}" for n in range(1, 5)),
        "SHP-1",
        *(f"TAX-{n}" for n in range(1, 4)),
        *(f"DSP-{n}" for n in range(1, 4)),
        "CCY-1",
    )


@attrs.frozen
class DemoResult:
    """Both runs of the demo, the stand-ins as they ended, and the rules the demo exercised."""

    first: RunReport
    second: RunReport
    standins: StandIns
    rule_ids: frozenset[str]


def demo(out: TextIO, render: Renderer, workdir: Path | None = None) -> DemoResult:
    """Run the demo twice, printing what each run created and why."""
    world = build_world()
    standins = build_standins(world)
    with contextlib.ExitStack() as stack:
        # The report shows manual actions and dead letters itself: keep the log to errors.
        stack.enter_context(_quiet_logs())
        folder = workdir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="rs-demo-"))
        )
        stack.enter_context(serving(standins))
        config_path = folder / "refund-sync.toml"
        config_path.write_text(config_text(world, standins.urls), encoding="utf-8")
        config = load_config(config_path)
        out.write(
            "refund-sync demo: NetSuite, Stripe (US and JP), Amazon, Shopify (two shops) and "
            "Magento stand-ins serving on 127.0.0.1\n"
        )
        for name, url in standins.urls.items():
            out.write(f"  {name:10} {url}\n")
        out.write(f"configuration: {config_path}\njournals: {config.journal_dir}\n")
        reports: list[RunReport] = []
        for number in (1, 2):
            out.write(f"\n=== run {number} ===\n")
            reports.append(run_once(config, standins, out, render, number=number))
        first, second = reports
        out.write("\n=== checks ===\n")
        rules = set(first.rule_ids) | _configuration_checks(out)
        rules |= _ledger_checks(world, standins, out)
        if not second.netsuite_created and not second.storefront_writes:
            # IDM-1/IDM-2: the same external IDs were planned again and found present.
            rules.update({"IDM-1", "IDM-2"})
            out.write(
                "\nThe second run created nothing: every write carries a deterministic external "
                "ID, found present.\n"
            )
        missing = [rule for rule in _catalogue() if rule not in rules]
        out.write(f"\nrules exercised by this demo: {', '.join(sorted(rules, key=_rule_order))}\n")
        if missing:
            out.write(
                f"covered by the test suite only (laws over many inputs): {', '.join(missing)}\n"
            )
    return DemoResult(first, second, standins, frozenset(rules))


def run_demo(out: TextIO, render: Renderer, workdir: Path | None = None) -> int:
    """``refund-sync demo``: returns the exit code (0 when the second run created nothing)."""
    result = demo(out, render, workdir)
    repeated = result.second.netsuite_created or result.second.storefront_writes
    return 1 if repeated else 0


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    logger = logging.getLogger("refund_sync")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _rule_order(rule: str) -> tuple[int, int]:
    family, _, number = rule.partition("-")
    return ("NSC", "STC", "MNY", "IDM", "SHP", "TAX", "DSP", "CCY").index(family), int(number)
