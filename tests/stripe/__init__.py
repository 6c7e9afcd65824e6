"""Tests of the Stripe adapter (refund and payout sources, client, webhooks)."""
