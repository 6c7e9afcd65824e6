"""Checking a connector account before any sync runs (NSC-9, NSC-10)."""

from ._errors import ConfigurationError
from ._settings import AccountReview, ConnectorAccount, Direction

__all__ = ["review_account"]


def review_account(account: ConnectorAccount) -> AccountReview:
    """Accept an account that syncs refunds in exactly one direction, with warnings.

    A warning says when the direction is not the one recommended for the storefront kind (NSC-10).

    Raises :class:`ConfigurationError` for an account asking for both directions, or none (NSC-9).
    """
    if len(account.directions) != 1:
        asked = " and ".join(sorted(d.value for d in account.directions)) or "no direction"
        raise ConfigurationError(
            f"connector account {account.account_id} asks for {asked} refund sync; an account "
            "syncs refunds in exactly one direction (incoming or outgoing), never both"
        )
    (direction,) = account.directions
    kind = account.storefront.kind
    recommended = kind.recommended_direction
    warnings: tuple[str, ...] = ()
    if direction is not recommended:
        warnings = (
            f"{account.storefront.name} is a {kind.value}: refunds are recommended to sync "
            f"{recommended.value} (refund in "
            + ("the marketplace" if recommended is Direction.INCOMING else "NetSuite")
            + f"), but account {account.account_id} syncs {direction.value}",
        )
    return AccountReview(
        account_id=account.account_id,
        direction=direction,
        warnings=warnings,
        rule_ids=("NSC-9", "NSC-10"),
    )
