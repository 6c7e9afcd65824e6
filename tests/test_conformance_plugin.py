import importlib.metadata

pytest_plugins = ["pytester"]

_BROKEN_KIT_USER = '''
import refund_core as rc
from refund_adapters.conformance import StorefrontContract


class _Careless:
    """Refunds anything, any number of times: breaks the idempotency and MNY-4 contracts."""

    def __init__(self, capabilities):
        self.capabilities = capabilities
        self.made = 0

    async def issue_refund(self, action):
        self.made += 1
        return rc.WriteReceipt(action.external_id, f"refund-{self.made}", created=True)

    async def issue_store_credit(self, action):
        self.made += 1
        return rc.WriteReceipt(action.external_id, f"credit-{self.made}", created=True)


class TestCareless(StorefrontContract):
    supports_store_credit = True

    def make_storefront(self, capabilities):
        return _Careless(capabilities)
'''


def test_the_plugin_is_registered_as_a_pytest11_entry_point():
    """Installing the distribution registers the kit's plugin with pytest."""
    entry_points = importlib.metadata.entry_points(group="pytest11")
    assert "refund_adapters.pytest_plugin" in {entry.value for entry in entry_points}


def test_a_broken_adapter_fails_naming_the_contract_and_what_it_returned(pytester):
    """Failures name the contract and its promise, and show the values the adapter returned."""
    pytester.makepyfile(test_careless=_BROKEN_KIT_USER)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(failed=4, passed=3, skipped=3)
    out = result.stdout.str()
    # The contract section says which contract broke and the promise it holds the adapter to.
    assert "TestCareless broke StorefrontContract.test_repeated_refund_is_harmless" in out
    assert "creates nothing and names the same refund" in out
    # Assertion rewriting shows what the adapter returned, not a bare AssertionError.
    assert "WriteReceipt(external_id='rs-sr-1', record_id='refund-2', created=True)" in out
    # A refusal that never came names what came instead.
    assert "expected a typed refusal (refund_core._errors.RefundSyncError)" in out
