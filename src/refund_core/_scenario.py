"""One entry point over every flow, and scenarios: a ledger plus events planned in order.

A scenario document (the public input format of ``refund-sync plan``) holds the policy, the
settings, the NetSuite state and one or more source events. Planning it decides each event
against the ledger as the earlier plans left it, exactly as a sync run would.
"""

import attrs

from ._errors import ConfigurationError
from ._incoming import decide_incoming_refund
from ._ledger import apply_plan
from ._models import LedgerSnapshot, PaymentFailure, Payout, RefundEvent, SourceKey
from ._outcomes import Flow, Outcome, Reason, Unsupported
from ._outgoing import NETSUITE_SOURCE, decide_outgoing_refund
from ._payout import decide_payout
from ._settings import Policy, RefundSettings, StorefrontCapabilities
from ._stripe import decide_payment_failure, decide_stripe_refund
from ._validators import identifier, to_tuple

__all__ = [
    "OutgoingRefund",
    "Scenario",
    "ScenarioEvent",
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
            return decide_incoming_refund(event, ledger, settings)
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


@attrs.frozen
class Scenario:
    """A planning problem: a policy, settings, a NetSuite state and source events in order."""

    policy: Policy = attrs.field(converter=Policy)
    events: tuple[ScenarioEvent, ...] = attrs.field(converter=to_tuple)
    settings: RefundSettings = attrs.Factory(RefundSettings)
    ledger: LedgerSnapshot = attrs.Factory(LedgerSnapshot)
    storefront: StorefrontCapabilities | None = None
    description: str = ""


@attrs.frozen
class ScenarioResult:
    """The outcome of each event, in order, and the ledger after all plans were applied."""

    outcomes: tuple[Outcome, ...]
    ledger: LedgerSnapshot


def plan_scenario(scenario: Scenario) -> ScenarioResult:
    """Decide every event in order, each against the ledger the earlier plans produced."""
    ledger = scenario.ledger
    outcomes: list[Outcome] = []
    for event in scenario.events:
        outcome = decide(event, ledger, scenario.settings, scenario.policy, scenario.storefront)
        outcomes.append(outcome)
        ledger = apply_plan(ledger, outcome)
    return ScenarioResult(outcomes=tuple(outcomes), ledger=ledger)
