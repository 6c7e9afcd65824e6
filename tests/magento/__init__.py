"""Tests of the Magento 2 / Adobe Commerce storefront adapter and its local stand-in."""
