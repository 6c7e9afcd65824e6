"""The Shopify schema subset shipped with the package: faithful to Shopify's, current, enough."""

from __future__ import annotations

import functools
import importlib.resources
import importlib.util
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import graphql
import pytest

import refund_core as rc
from refund_adapters.conformance import run
from refund_adapters.conformance.builders import M, at
from refund_adapters.shopify import ShopifyRefundSource, ShopifyStandIn, ShopifyStorefront
from refund_adapters.shopify._queries import ALL_DOCUMENTS
from refund_adapters.shopify._standin import SUBSET_SCHEMA, load_schema, shipped_schema
from tests.shopify.factories import SCHEMA, SHOP, TOKEN, FakeClock, client, schema_path
from tests.specs import ENV_VAR, specs_dir

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "shopify_schema_subset.py"
BUILT_IN = frozenset(graphql.specified_scalar_types) | frozenset(graphql.introspection_types)


@functools.cache
def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shopify_schema_subset", TOOL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _types(schema: graphql.GraphQLSchema) -> Iterator[graphql.GraphQLNamedType]:
    return (t for name, t in schema.type_map.items() if name not in BUILT_IN)


def _required(argument: graphql.GraphQLArgument | graphql.GraphQLInputField) -> bool:
    return graphql.is_non_null_type(argument.type) and argument.default_value is graphql.Undefined


def _same_inputs(
    where: str,
    ours: dict[str, Any],
    theirs: dict[str, Any],
    *,
    complete: bool,
) -> list[str]:
    """Differences between our arguments (or input fields) and Shopify's, as sentences."""
    problems = []
    for name, value in ours.items():
        official = theirs.get(name)
        if official is None:
            problems.append(f"{where}({name}) is not in Shopify's schema")
        elif str(value.type) != str(official.type):
            problems.append(f"{where}({name}) is {value.type}, Shopify's is {official.type}")
        elif value.default_value != official.default_value:
            problems.append(f"{where}({name}) defaults differently from Shopify's")
    wanted = theirs if complete else {k: v for k, v in theirs.items() if _required(v)}
    problems.extend(f"{where}({name}) is missing" for name in wanted if name not in ours)
    return problems


def faithfulness_problems(
    subset: graphql.GraphQLSchema, official: graphql.GraphQLSchema
) -> list[str]:
    """Everything in ``subset`` that is not exactly as in ``official`` (empty: faithful)."""
    problems: list[str] = []
    for root in ("query_type", "mutation_type", "subscription_type"):
        ours, theirs = getattr(subset, root), getattr(official, root)
        if ours is not None and (theirs is None or ours.name != theirs.name):
            problems.append(f"the {root} is {ours.name}, not Shopify's")
    for named in _types(subset):
        official_type = official.type_map.get(named.name)
        if official_type is None or type(official_type) is not type(named):
            problems.append(f"{named.name} is not a {type(named).__name__} in Shopify's schema")
            continue
        if isinstance(named, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
            assert isinstance(official_type, type(named))
            theirs = {i.name for i in official_type.interfaces}
            problems.extend(
                f"{named.name} implements {i.name}, Shopify's does not"
                for i in named.interfaces
                if i.name not in theirs
            )
            for field_name, field in named.fields.items():
                official_field = official_type.fields.get(field_name)
                where = f"{named.name}.{field_name}"
                if official_field is None:
                    problems.append(f"{where} is not in Shopify's schema")
                    continue
                if str(field.type) != str(official_field.type):
                    problems.append(f"{where} is {field.type}, Shopify's is {official_field.type}")
                problems.extend(
                    _same_inputs(where, field.args, official_field.args, complete=False)
                )
        elif isinstance(named, graphql.GraphQLInputObjectType):
            assert isinstance(official_type, graphql.GraphQLInputObjectType)
            problems.extend(
                _same_inputs(named.name, named.fields, official_type.fields, complete=True)
            )
        elif isinstance(named, graphql.GraphQLEnumType):
            assert isinstance(official_type, graphql.GraphQLEnumType)
            problems.extend(
                f"{named.name}.{value} is not in Shopify's schema"
                for value in named.values
                if value not in official_type.values
            )
        elif isinstance(named, graphql.GraphQLUnionType):
            assert isinstance(official_type, graphql.GraphQLUnionType)
            theirs = {member.name for member in official_type.types}
            problems.extend(
                f"{named.name} has member {member.name}, Shopify's does not"
                for member in named.types
                if member.name not in theirs
            )
    for directive in subset.directives:
        if directive.name in ("include", "skip", "deprecated", "specifiedBy"):
            continue
        official_directive = official.get_directive(directive.name)
        if official_directive is None:
            problems.append(f"@{directive.name} is not in Shopify's schema")
            continue
        if set(directive.locations) != set(official_directive.locations):
            problems.append(f"@{directive.name} is allowed in other places than Shopify's")
        problems.extend(
            _same_inputs(
                f"@{directive.name}", directive.args, official_directive.args, complete=True
            )
        )
    return problems


def test_the_subset_is_a_faithful_subset_of_shopifys_schema() -> None:
    """Every type, field, argument, input field and enum value is Shopify's, typed identically."""
    official = load_schema(schema_path())
    subset = shipped_schema()
    assert faithfulness_problems(subset, official) == []
    idempotent = subset.get_directive("idempotent")
    assert idempotent is not None
    assert str(idempotent.args["key"].type) == "String!"
    assert [str(location) for location in idempotent.locations] == ["DirectiveLocation.FIELD"]


def test_the_faithfulness_check_can_fail() -> None:
    """A changed type, an invented field, a dropped required argument are each caught."""
    official = load_schema(schema_path())
    shipped = importlib.resources.files("refund_adapters.shopify").joinpath(SUBSET_SCHEMA)
    text = shipped.read_text(encoding="utf-8")
    altered = (
        text.replace(
            "  quantity: Int!\n  refundableQuantity", "  quantity: Int\n  refundableQuantity"
        )
        .replace("  order(id: ID!): Order", "  order: Order")
        .replace("type PageInfo {", "type PageInfo {\n  refundSyncInvented: Boolean")
        .replace("  REFUND\n", "  REFUND\n  REFUND_SYNC_KIND\n")
    )
    problems = faithfulness_problems(graphql.build_schema(altered), official)
    assert "LineItem.quantity is Int, Shopify's is Int!" in problems
    assert "QueryRoot.order(id) is missing" in problems
    assert "PageInfo.refundSyncInvented is not in Shopify's schema" in problems
    assert "OrderTransactionKind.REFUND_SYNC_KIND is not in Shopify's schema" in problems


def test_every_adapter_operation_validates_against_the_subset() -> None:
    """Each operation the adapter can send is valid against the shipped subset (no specs needed)."""
    subset = shipped_schema()
    for name, document in ALL_DOCUMENTS.items():
        assert graphql.validate(subset, graphql.parse(document)) == [], name


def test_the_subset_is_what_the_tool_generates() -> None:
    """The committed subset equals the tool's output from the official SDL today (no drift)."""
    official_text = Path(schema_path()).read_text(encoding="utf-8")
    shipped = importlib.resources.files("refund_adapters.shopify").joinpath(SUBSET_SCHEMA)
    assert shipped.read_text(encoding="utf-8") == _tool().generate(official_text), (
        "the Shopify schema subset is stale: run python tools/shopify_schema_subset.py"
    )


def test_the_subset_says_what_it_is() -> None:
    """The file's header names its origin, the tool that makes it and the tests that check it."""
    shipped = importlib.resources.files("refund_adapters.shopify").joinpath(SUBSET_SCHEMA)
    assert shipped.is_file()
    header = shipped.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "tools/shopify_schema_subset.py" in header
    assert "Shopify's published Admin" in header
    assert "2026-01" in header
    assert "test_schema_subset.py" in header
    assert '"""' not in shipped.read_text(encoding="utf-8"), "descriptions are left out"


def test_a_new_operation_needs_a_new_subset() -> None:
    """The tool keeps only what operations use: one more field is in its output only if asked."""
    official = graphql.parse(Path(schema_path()).read_text(encoding="utf-8"), no_location=True)
    tool = _tool()
    extra = "query Extra($id: ID!) { order(id: $id) { id displayFinancialStatus } }"
    grown = graphql.print_ast(tool.subset_document(official, [*ALL_DOCUMENTS.values(), extra]))
    assert "displayFinancialStatus: OrderDisplayFinancialStatus" in grown
    assert "enum OrderDisplayFinancialStatus" in grown
    shipped = importlib.resources.files("refund_adapters.shopify").joinpath(SUBSET_SCHEMA)
    assert "displayFinancialStatus" not in shipped.read_text(encoding="utf-8")


def test_the_stand_in_runs_the_whole_flow_without_shopifys_sdl(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No specs folder, no schema path: refund, store credit, suggestion and listing (NSC-8)."""
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "no-specs-here"))
    assert not (specs_dir() / SCHEMA).exists()
    clock = FakeClock()
    shop = ShopifyStandIn(
        shop=SHOP,
        access_token=TOKEN,
        clock=clock,
        now=lambda: datetime(2026, 3, 10, 12, tzinfo=UTC),
    )
    order = shop.add_order(
        "5001",
        name="#SHOP-300",
        lines=[("51", "JACKET", 1, "60.00"), ("52", "SCARF", 1, "40.00")],
        payments=[("shopify_payments", "80.00"), ("gift_card", "20.00")],
        customer_id="7001",
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    storefront = ShopifyStorefront(client(shop, clock=clock), store_credit=True)
    key = rc.SourceKey("netsuite", "CM-300")
    refund = rc.IssueStorefrontRefund(
        external_id="rs-sr-300",
        source=key,
        rule_ids=("NSC-7",),
        reason="credit memo made in NetSuite",
        storefront="shopify",
        order_ref="SHOP-300",
        record=rc.RecordRef(internal_id="CM-300"),
        lines=(rc.StorefrontRefundLine("SCARF", Decimal(1), M("40.00 USD")),),
        shipping=rc.Money.zero("USD"),
        amount=M("32.00 USD"),
    )
    credit = rc.IssueStoreCredit(
        external_id="rs-sc-300",
        source=key,
        rule_ids=("NSC-8",),
        reason="gift-card part as store credit",
        storefront="shopify",
        order_ref="SHOP-300",
        customer_id="C-10",
        amount=M("8.00 USD"),
    )
    assert run(storefront.issue_refund(refund)).created
    assert run(storefront.issue_store_credit(credit)).created
    assert shop.store_credit_balance("7001", "USD") == Decimal("8.00")
    assert len(order.refunds) == 2
    operations = {document.split("(")[0].split()[-1] for document in shop.documents}
    assert "RefundSyncSuggestedRefund" in operations
    source = ShopifyRefundSource(client(shop, clock=clock))
    page = run(source.list_events(since=at("2026-03-01"), page_token=None, limit=10))
    assert [event.amount for event in page.items] == [M("32.00 USD"), M("8.00 USD")]


def test_a_missing_or_broken_schema_path_is_a_configuration_error(tmp_path: Path) -> None:
    """An explicit schema path that is absent or not a schema is refused, naming the path."""
    missing = tmp_path / "nowhere" / "admin.graphql"
    with pytest.raises(rc.ConfigurationError, match="nowhere"):
        ShopifyStandIn(missing)
    broken = tmp_path / "broken.graphql"
    broken.write_text("type Order {", encoding="utf-8")
    with pytest.raises(rc.ConfigurationError, match=r"broken\.graphql"):
        ShopifyStandIn(broken)
    directory = tmp_path / "a-folder.graphql"
    directory.mkdir()
    with pytest.raises(rc.ConfigurationError, match=r"a-folder\.graphql"):
        ShopifyStandIn.from_events([], directory)


def test_a_full_schema_may_still_be_given() -> None:
    """Given Shopify's full SDL, the stand-in validates against all of it."""
    shop = ShopifyStandIn(schema_path())
    assert shop.schema.get_type("Product") is not None
    assert ShopifyStandIn().schema.get_type("Product") is None
