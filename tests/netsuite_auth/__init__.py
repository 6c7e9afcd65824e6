"""Tests of the shared OAuth 1.0a module and of NetSuite authentication."""
