"""Tests of the NetSuite ledger adapter and its stand-in."""
