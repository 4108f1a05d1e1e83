"""``orebook report grade-tonnage|statement|swath``."""

from __future__ import annotations
