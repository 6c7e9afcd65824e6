"""One entry point over every flow, and scenarios: a ledger plus events planned in order.

A scenario document (the public input format of ``refund-sync plan``) holds the policy, the
settings, the NetSuite state and one or more source events, and may state the connector account
(its storefront and kind, and the direction it syncs). Planning it checks the account first (NSC-9:
both directions are refused before anything is planned; NSC-10: a non-recommended direction is a
warning), then decides each event against the ledger as the earlier plans left it, exactly as a
sync run would. An event whose input is refused (an over-refund, a currency mismatch) gets a
:class:`Rejected` result naming the error, and the events after it are still decided.
"""

import attrs

from ._account import review_account
from ._errors import ConfigurationError, InvalidInputError
from ._incoming import decide_incoming_refund
from ._ledger import apply_plan
from ._models import LedgerSnapshot, PaymentFailure, Payout, RefundEvent, SourceKey
from ._outcomes import Flow, Outcome, Plan, Reason, Skipped, Unsupported
from ._outgoing import NETSUITE_SOURCE, decide_outgoing_refund
from ._payout import decide_payout
from ._settings import (
    ConnectorAccount,
    Direction,
    Policy,
    RefundSettings,
    StorefrontCapabilities,
)
from ._stripe import decide_payment_failure, decide_stripe_refund
from ._validators import identifier, to_tuple

__all__ = [
    "OutgoingRefund",
    "Rejected",
    "Scenario",
    "ScenarioEvent",
    "ScenarioOutcome",
    "ScenarioResult",
    "decide",
    "plan_scenario",
]


@attrs.frozen
class OutgoingRefund:
    """A credit memo or cash refund made in NetSuite, to be sent to the storefront (NSC-7)."""

    record_id: str = attrs.field(validator=identifier)

    @property
    def key(self) -> SourceKey:
        """The event's identity: the NetSuite record."""
        return SourceKey(NETSUITE_SOURCE, self.record_id)


ScenarioEvent = RefundEvent | PaymentFailure | Payout | OutgoingRefund


def decide(
    event: ScenarioEvent,
    ledger: LedgerSnapshot,
    settings: RefundSettings,
    policy: Policy,
    storefront: StorefrontCapabilities | None = None,
) -> Outcome:
    """Decide one event under ``policy``; pure and total over valid input (IDM-3)."""
    match event:
        case RefundEvent() if policy is Policy.NETSUITE_CONNECTOR:
            return decide_incoming_refund(event, ledger, settings, storefront)
        case RefundEvent():
            return decide_stripe_refund(event, ledger, settings)
        case OutgoingRefund():
            if storefront is None:
                raise ConfigurationError("an outgoing refund needs the storefront's capabilities")
            return decide_outgoing_refund(event.record_id, ledger, settings, storefront)
        case PaymentFailure() if policy is Policy.STRIPE_CONNECTOR:
            return decide_payment_failure(event, ledger, settings)
        case Payout() if policy is Policy.STRIPE_CONNECTOR:
            return decide_payout(event, ledger, settings)
        case PaymentFailure() | Payout():
            flow = Flow.PAYMENT_FAILURE if isinstance(event, PaymentFailure) else Flow.PAYOUT
            return Unsupported(
                key=event.key,
                flow=flow,
                code=Reason.NOT_A_REFUND_RECORD,
                message=(
                    f"{flow.value.replace('_', ' ')}s are reconciled by the Stripe Connector "
                    "policy, not the NetSuite Connector one"
                ),
                rule_ids=("IDM-3",),
            )
    raise ConfigurationError(f"not a scenario event: {type(event).__name__}")  # pragma: no cover


def flow_of(event: ScenarioEvent, policy: Policy) -> Flow:
    """The flow that decides ``event`` under ``policy``."""
    match event:
        case RefundEvent():
            if policy is Policy.NETSUITE_CONNECTOR:
                return Flow.INCOMING_REFUND
            return Flow.STRIPE_REFUND
        case PaymentFailure():
            return Flow.PAYMENT_FAILURE
        case Payout():
            return Flow.PAYOUT
    return Flow.OUTGOING_REFUND


@attrs.frozen
class Rejected:
    """An event whose input was refused: the typed error as a value (a scenario's result).

    ``code`` is the error's machine-readable name (``over_refund``), ``rule_ids`` the rules that
    refused it. Nothing was planned for the event; the events after it were still decided.
    """

    key: SourceKey
    flow: Flow = attrs.field(converter=Flow)
    code: str = attrs.field(validator=identifier)
    message: str
    rule_ids: tuple[str, ...] = attrs.field(converter=to_tuple)


ScenarioOutcome = Plan | Skipped | Unsupported | Rejected


@attrs.frozen
class Scenario:
    """A planning problem: a policy, settings, a NetSuite state and source events in order.

    ``account``, when given, is the connector account the events belong to: its storefront (the
    ``storefront`` of outgoing refunds), its kind and the direction it syncs (NSC-9, NSC-10).
    """

    policy: Policy = attrs.field(converter=Policy)
    events: tuple[ScenarioEvent, ...] = attrs.field(converter=to_tuple)
    settings: RefundSettings = attrs.Factory(RefundSettings)
    ledger: LedgerSnapshot = attrs.Factory(LedgerSnapshot)
    storefront: StorefrontCapabilities | None = None
    description: str = ""
    account: ConnectorAccount | None = None

    def __attrs_post_init__(self) -> None:
        account = self.account
        if account is None:
            return
        if self.storefront is not None and self.storefront != account.storefront:
            raise ConfigurationError(
                f"the scenario's storefront {self.storefront.name} is not the storefront of "
                f"account {account.account_id} ({account.storefront.name}); state it once"
            )
        if account.settings != RefundSettings() and account.settings != self.settings:
            raise ConfigurationError(
                f"account {account.account_id} states settings that differ from the scenario's; "
                "state them once, in the scenario's settings"
            )

    @property
    def capabilities(self) -> StorefrontCapabilities | None:
        """The storefront outgoing refunds go to: the account's, or the one stated alone."""
        return self.account.storefront if self.account is not None else self.storefront


@attrs.frozen
class ScenarioResult:
    """What planning a scenario gave: each event's outcome, the ledger after, the warnings.

    ``warnings`` are the account's (NSC-10), e.g. a cart synced incoming.
    """

    outcomes: tuple[ScenarioOutcome, ...]
    ledger: LedgerSnapshot
    warnings: tuple[str, ...] = ()


def _direction_outcome(
    event: ScenarioEvent, account: ConnectorAccount, direction: Direction, policy: Policy
) -> Unsupported | None:
    """NSC-9: an account syncs one direction; events of the other are not synced by it."""
    if policy is not Policy.NETSUITE_CONNECTOR:
        return None
    if isinstance(event, OutgoingRefund) and direction is Direction.INCOMING:
        why = (
            f"refunds made in NetSuite are not sent to {account.storefront.name}: the refund "
            "is made in the marketplace and synced in"
        )
    elif isinstance(event, RefundEvent) and direction is Direction.OUTGOING:
        why = (
            f"refunds made at {account.storefront.name} are not booked in NetSuite: refund the "
            "order in NetSuite and it is synced out"
        )
    else:
        return None
    return Unsupported(
        key=event.key,
        flow=flow_of(event, policy),
        code=Reason.WRONG_DIRECTION,
        message=f"account {account.account_id} syncs {direction.value} refunds only: {why}",
        rule_ids=("NSC-9", "NSC-10"),
    )


def plan_scenario(scenario: Scenario) -> ScenarioResult:
    """Decide every event in order, each against the ledger the earlier plans produced.

    Raises :class:`ConfigurationError` for an account that asks for both directions (NSC-9),
    before anything is planned. An event whose input is refused becomes :class:`Rejected`.
    """
    warnings: tuple[str, ...] = ()
    direction: Direction | None = None
    if scenario.account is not None:
        review = review_account(scenario.account)
        warnings, direction = review.warnings, review.direction
    ledger = scenario.ledger
    outcomes: list[ScenarioOutcome] = []
    for event in scenario.events:
        if scenario.account is not None and direction is not None:
            wrong = _direction_outcome(event, scenario.account, direction, scenario.policy)
            if wrong is not None:
                outcomes.append(wrong)
                continue
        try:
            outcome = decide(
                event, ledger, scenario.settings, scenario.policy, scenario.capabilities
            )
        except InvalidInputError as exc:
            outcomes.append(
                Rejected(
                    key=event.key,
                    flow=flow_of(event, scenario.policy),
                    code=exc.error_code,
                    message=str(exc),
                    rule_ids=exc.rule_ids,
                )
            )
            continue
        outcomes.append(outcome)
        ledger = apply_plan(ledger, outcome)
    return ScenarioResult(outcomes=tuple(outcomes), ledger=ledger, warnings=warnings)
