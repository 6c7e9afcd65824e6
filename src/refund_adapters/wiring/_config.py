"""The ``refund-sync.toml`` file: accounts, the adapters each uses, and where secrets come from.

Secrets never sit in the file. An adapter table names the *environment variable* holding each
secret (``api_key_env = "STRIPE_SECRET_KEY"``); a secret-looking key given inline
(``api_key = "sk_live_..."``) is a configuration error that names the key and never echoes the
value. Every error says where in the file it is (``accounts[0].ledger.account_id``).

Example::

    [journal]
    dir = ".refund-sync"              # one SQLite journal per account, relative to this file

    [engine]                          # optional; EngineConfig's fields
    page_size = 100
    ledger_concurrency = 5

    [[accounts]]
    id = "acme-stripe"
    policy = "stripe_connector"       # or "netsuite_connector"
    direction = "incoming"            # or "outgoing"; never both (NSC-9)
    start = "2026-01-01T00:00:00Z"    # where the first run starts
    channel = { name = "stripe", kind = "marketplace" }   # what the account syncs with

    [accounts.settings]               # RefundSettings' fields
    partial_refund_item = "PARTIAL-REFUND"

    [accounts.source]
    adapter = "stripe"
    api_key_env = "STRIPE_SECRET_KEY"

    [accounts.ledger]
    adapter = "netsuite"
    account_id = "1234567_SB1"
    consumer_key_env = "NS_CONSUMER_KEY"
    ...
"""

from __future__ import annotations

import logging
import math
import re
import tomllib
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

import refund_core as rc

from ..engine import EngineConfig

__all__ = [
    "ROLES",
    "AccountConfig",
    "AdapterConfig",
    "SyncConfig",
    "is_secret_name",
    "load_config",
    "parse_config",
]

log = logging.getLogger("refund_sync.config")

#: The roles an adapter can play for an account.
ROLES = ("source", "payouts", "ledger", "storefront")

#: Key names that hold credentials. Anything ending in one of these words is a secret too.
_SECRET_WORDS = ("secret", "token", "password", "passphrase", "key", "credentials")
#: Key names that end like a secret but are not one.
_NOT_SECRET = frozenset({"kid", "certificate_id", "idempotency_key"})


def is_secret_name(name: str) -> bool:
    """Whether a config key names a secret value (and so may only be given as ``<name>_env``)."""
    lowered = name.lower()
    if lowered.endswith(("_env", "_path")) or lowered in _NOT_SECRET:
        return False
    return any(lowered == word or lowered.endswith(f"_{word}") for word in _SECRET_WORDS)


@attrs.frozen
class AdapterConfig:
    """One adapter of an account: its name, plain options, and the env vars of its secrets."""

    adapter: str
    where: str
    options: Mapping[str, Any] = attrs.field(factory=dict)
    #: secret name (e.g. ``api_key``) -> environment variable holding it
    secret_envs: Mapping[str, str] = attrs.field(factory=dict)

    def secrets(self, environ: Mapping[str, str]) -> dict[str, str]:
        """Read every secret from the environment; a missing one names its variable."""
        values: dict[str, str] = {}
        for name, variable in self.secret_envs.items():
            value = environ.get(variable)
            if not value:
                raise rc.ConfigurationError(
                    f"{self.where}.{name}_env: environment variable {variable} is not set"
                )
            values[name] = value
        return values

    def option(
        self, name: str, kind: type[Any], default: Any = None, *, required: bool = False
    ) -> Any:
        """One plain option, type-checked, with the path in any error."""
        if name not in self.options:
            if required:
                raise rc.ConfigurationError(
                    f"{self.where}.{name}: required by adapter {self.adapter!r}"
                )
            return default
        value = self.options[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise rc.ConfigurationError(
                f"{self.where}.{name}: expected {kind.__name__}, got {type(value).__name__}"
            )
        return value


@attrs.frozen
class AccountConfig:
    """One connector account with the adapters of its passes."""

    account: rc.ConnectorAccount
    policy: rc.Policy
    start: datetime
    where: str
    adapters: Mapping[str, AdapterConfig] = attrs.field(factory=dict)

    @property
    def direction(self) -> rc.Direction:
        """The account's single direction (NSC-9 is checked when the file is read)."""
        (direction,) = self.account.directions
        return direction


@attrs.frozen
class SyncConfig:
    """The whole file, validated."""

    path: Path
    journal_dir: Path
    engine: EngineConfig
    accounts: tuple[AccountConfig, ...]

    def journal_path(self, account: AccountConfig) -> Path:
        """Each account has its own journal, so dead letters and cursors never mix."""
        return self.journal_dir / f"{account.account.account_id}.sqlite3"

    def account(self, account_id: str | None) -> tuple[AccountConfig, ...]:
        """Every account, or the one named (an unknown name is an error listing the known)."""
        if account_id is None:
            return self.accounts
        for account in self.accounts:
            if account.account.account_id == account_id:
                return (account,)
        known = ", ".join(a.account.account_id for a in self.accounts)
        raise rc.ConfigurationError(f"no account {account_id!r} in {self.path} (known: {known})")


def load_config(path: str | Path) -> SyncConfig:
    """Read and validate ``refund-sync.toml``."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise rc.ConfigurationError(f"{file}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise rc.ConfigurationError(f"{file}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise rc.ConfigurationError(f"{file}: cannot read: {exc}") from None
    return parse_config(data, file)


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise rc.ConfigurationError(f"{where}: expected a table, got {type(value).__name__}")
    return value


def _only(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise rc.ConfigurationError(
            f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})"
        )


def _datetime(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise rc.ConfigurationError(f"{where}: {value!r} is not an ISO 8601 time") from None
    else:
        raise rc.ConfigurationError(f"{where}: expected a time, got {type(value).__name__}")
    if parsed.tzinfo is None:
        raise rc.ConfigurationError(f"{where}: {value!r} needs a UTC offset (e.g. Z)")
    return parsed


#: A year: an overlap longer than that re-reads history, not the last moments of a window.
_MAX_OVERLAP_MINUTES = 366 * 24 * 60
#: An account ID names its journal file: letters, digits, ``.``, ``_`` and ``-``.
_ACCOUNT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


#: Keys of the engine's own retry loop, gone since retries happen once, in each adapter's HTTP
#: layer: still accepted, so files written for earlier versions keep working, and ignored.
_RETIRED_ENGINE_KEYS = frozenset({"max_attempts", "backoff_base_s", "backoff_cap_s"})


def _engine(data: Mapping[str, Any]) -> EngineConfig:
    where = "engine"
    fields = {field.name: field for field in attrs.fields(EngineConfig)}
    allowed = (set(fields) - {"overlap", "dry_run"}) | {"overlap_minutes"} | _RETIRED_ENGINE_KEYS
    _only(data, allowed, where)
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        if name in _RETIRED_ENGINE_KEYS:
            log.warning(
                "%s.%s is no longer used: each adapter retries its HTTP calls itself (one retry "
                "policy), and the engine sets aside what still fails for a later run; remove it",
                where,
                name,
            )
            continue
        if name == "overlap_minutes":
            if (
                not isinstance(value, int | float)
                or isinstance(value, bool)
                or not 0 <= value <= _MAX_OVERLAP_MINUTES
            ):
                raise rc.ConfigurationError(
                    f"{where}.overlap_minutes: expected minutes from 0 to {_MAX_OVERLAP_MINUTES}"
                )
            kwargs["overlap"] = timedelta(minutes=value)
            continue
        expected = type(fields[name].default)
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
            or value <= 0
        ):
            # nan and inf are TOML floats: a NaN backoff would make every wait meaningless.
            raise rc.ConfigurationError(
                f"{where}.{name}: expected a positive {expected.__name__}, got {value!r}"
            )
        if not isinstance(value, expected):
            raise rc.ConfigurationError(
                f"{where}.{name}: expected a positive {expected.__name__}, got {value!r}"
            )
        kwargs[name] = value
    return EngineConfig(**kwargs)


def _adapter(value: Any, where: str) -> AdapterConfig:
    table = _table(value, where)
    name = table.get("adapter")
    if not isinstance(name, str) or not name:
        raise rc.ConfigurationError(f'{where}.adapter: name the adapter (e.g. "stripe")')
    options: dict[str, Any] = {}
    secret_envs: dict[str, str] = {}
    for key, item in table.items():
        if key == "adapter":
            continue
        if is_secret_name(key):
            raise rc.ConfigurationError(
                f"{where}.{key}: secrets are never written in the file; put it in an "
                f"environment variable and name that variable with {key}_env"
            )
        if key.endswith("_env"):
            if not isinstance(item, str) or not item:
                raise rc.ConfigurationError(f"{where}.{key}: expected an environment variable name")
            secret_envs[key.removesuffix("_env")] = item
            continue
        options[key] = item
    return AdapterConfig(adapter=name, where=where, options=options, secret_envs=secret_envs)


def _settings(value: Any, where: str) -> rc.RefundSettings:
    table = _table(value, where)
    try:
        return rc.structure(table, rc.RefundSettings)
    except rc.DocumentError as exc:
        raise rc.ConfigurationError(f"{where}: {exc}") from None
    except rc.InvalidInputError as exc:
        raise rc.ConfigurationError(f"{where}: {exc}") from None


def _account(value: Any, where: str) -> AccountConfig:
    table = _table(value, where)
    _only(
        table,
        {"id", "policy", "direction", "directions", "start", "channel", "settings", *ROLES},
        where,
    )
    account_id = table.get("id")
    if not isinstance(account_id, str) or not account_id:
        raise rc.ConfigurationError(f"{where}.id: every account needs an id")
    if not _ACCOUNT_ID.fullmatch(account_id):
        raise rc.ConfigurationError(
            f"{where}.id: {account_id!r} names the account's journal file: use letters, digits, "
            "'.', '_' and '-' (up to 100, starting with a letter or digit)"
        )
    try:
        policy = rc.Policy(table.get("policy", ""))
    except ValueError:
        choices = ", ".join(p.value for p in rc.Policy)
        raise rc.ConfigurationError(
            f"{where}.policy: {table.get('policy')!r} is not one of {choices}"
        ) from None
    raw_directions = table.get("directions", [table["direction"]] if "direction" in table else [])
    if not isinstance(raw_directions, list) or not raw_directions:
        raise rc.ConfigurationError(f'{where}.direction: say "incoming" or "outgoing"')
    try:
        directions = frozenset(rc.Direction(d) for d in raw_directions)
    except ValueError:
        raise rc.ConfigurationError(
            f'{where}.direction: {raw_directions!r}: each is "incoming" or "outgoing"'
        ) from None
    # The channel's capabilities (the storefront, marketplace or processor synced with): its
    # kind decides the recommended direction (NSC-10), store credit decides NSC-8.
    front = _table(table.get("channel", {}), f"{where}.channel")
    _only(front, {"name", "kind", "supports_store_credit"}, f"{where}.channel")
    try:
        capabilities = rc.StorefrontCapabilities(
            front.get("name", ""),
            rc.StorefrontKind(front.get("kind", "")),
            supports_store_credit=bool(front.get("supports_store_credit", False)),
        )
    except (ValueError, TypeError) as exc:
        raise rc.ConfigurationError(
            f'{where}.storefront: needs name and kind ("cart" or "marketplace"): {exc}'
        ) from None
    settings = _settings(table.get("settings", {}), f"{where}.settings")
    try:
        account = rc.ConnectorAccount(account_id, capabilities, directions, settings)
    except rc.InvalidInputError as exc:
        raise rc.ConfigurationError(f"{where}: {exc}") from None
    rc.review_account(account)  # NSC-9: both directions is refused here, before any run
    if "start" not in table:
        raise rc.ConfigurationError(
            f"{where}.start: where the first run starts, e.g. 2026-01-01T00:00:00Z"
        )
    adapters = {role: _adapter(table[role], f"{where}.{role}") for role in ROLES if role in table}
    return AccountConfig(
        account=account,
        policy=policy,
        start=_datetime(table["start"], f"{where}.start"),
        where=where,
        adapters=adapters,
    )


def parse_config(data: Mapping[str, Any], path: Path) -> SyncConfig:
    """Validate a parsed TOML document."""
    data = _table(data, str(path))
    _only(data, {"journal", "engine", "accounts"}, str(path))
    journal = _table(data.get("journal", {}), "journal")
    _only(journal, {"dir"}, "journal")
    raw_dir = journal.get("dir", ".refund-sync")
    if not isinstance(raw_dir, str) or not raw_dir:
        raise rc.ConfigurationError("journal.dir: expected a folder path")
    journal_dir = Path(raw_dir)
    if not journal_dir.is_absolute():
        journal_dir = path.parent / journal_dir
    engine = _engine(_table(data.get("engine", {}), "engine"))
    raw_accounts = data.get("accounts", [])
    if not isinstance(raw_accounts, list) or not raw_accounts:
        raise rc.ConfigurationError(f"{path}: no [[accounts]] configured")
    accounts = tuple(_account(item, f"accounts[{n}]") for n, item in enumerate(raw_accounts))
    ids = [a.account.account_id for a in accounts]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise rc.ConfigurationError(f"accounts: duplicate id(s) {', '.join(duplicates)}")
    return SyncConfig(path=path, journal_dir=journal_dir, engine=engine, accounts=accounts)
