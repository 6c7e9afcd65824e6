"""Tests for refund-sync; a package so test modules can share ``tests.builders``."""
