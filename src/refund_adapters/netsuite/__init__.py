"""NetSuite adapter: the Ledger over SuiteTalk REST (record API v1 + SuiteQL), and a stand-in.

Intent: :class:`NetSuiteLedger` implements :class:`refund_core.Ledger` against a NetSuite
account, relying only on what NetSuite documents or two independent sources show (the facts
pack in ``shared/specs/netsuite``) and on what ``refund-sync doctor`` checks on the account:
batched SuiteQL reads, REST record reads where the links are documented only there, and
idempotent record writes keyed by each action's external ID (transforms where the 2026.1
metadata lists one, creates otherwise, custom-field marks for status writes).
:class:`NetSuiteClient` carries the HTTP concerns (one concurrency limiter per account, retries
of concurrency errors, NetSuite's ``o:errorDetails`` mapped to our error types); authentication
is any ``httpx.Auth`` (TBA signing from :func:`tba_auth`, or OAuth 2.0 M2M on the client).
:class:`NetSuiteStandIn` is a stateful local NetSuite for tests and demos. The facts all of this
relies on, with their sources and confidence, are in ``docs/netsuite-standin.md``.
"""

from ._auth import (
    CLIENT_ASSERTION_TYPE,
    TOKEN_PATH,
    JwsAlgorithm,
    M2MCredentials,
    NetSuiteAccount,
    NetSuiteOAuth2Auth,
    client_assertion,
    tba_auth,
)
from ._auth_server import LoginAuditEntry, NetSuiteAuthServer, invalid_login_response
from ._client import (
    ErrorDetail,
    LostWriteError,
    NetSuiteClient,
    NetSuiteNotFoundError,
    NetSuiteRejectedError,
    rest_base_url,
)
from ._doctor import NetSuiteDoctor
from ._fields import Custom, LinkType, TranType
from ._ledger import NetSuiteLedger
from ._standin import NetSuiteStandIn, RequestAuthenticator, SalesTax
from ._standin_facts import StandInFacts

__all__ = [
    "CLIENT_ASSERTION_TYPE",
    "TOKEN_PATH",
    "Custom",
    "ErrorDetail",
    "JwsAlgorithm",
    "LinkType",
    "LoginAuditEntry",
    "LostWriteError",
    "M2MCredentials",
    "NetSuiteAccount",
    "NetSuiteAuthServer",
    "NetSuiteClient",
    "NetSuiteDoctor",
    "NetSuiteLedger",
    "NetSuiteNotFoundError",
    "NetSuiteOAuth2Auth",
    "NetSuiteRejectedError",
    "NetSuiteStandIn",
    "RequestAuthenticator",
    "SalesTax",
    "StandInFacts",
    "TranType",
    "client_assertion",
    "invalid_login_response",
    "rest_base_url",
    "tba_auth",
]
