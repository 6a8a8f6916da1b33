"""RSS and Atom feeds: parse them, keep the registry of followed feeds, poll them."""

from __future__ import annotations

from .poll import DEFAULT_INTERVAL, add_feed, poll
from .registry import FEEDS_FILE, FeedRegistry

__all__ = ["DEFAULT_INTERVAL", "FEEDS_FILE", "FeedRegistry", "add_feed", "poll"]
