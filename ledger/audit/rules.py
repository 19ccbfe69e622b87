"""The audit's replay of the rules: every file of the store through the domain, in log order
(``ledger.chain.rule_replay`` does the replay; the offline verifier uses it too)."""

from __future__ import annotations

from collections.abc import Iterator

from ledger.chain.rule_replay import PAGE, RuleSettings, RulesReport, replay_report
from ledger.store.events import EventStore

__all__ = ["RuleSettings", "RulesReport", "rules_report", "store_rows"]


def store_rows(store: EventStore, stop: int | None = None) -> Iterator[tuple[int, bytes]]:
    """The store's rows in log order (up to position ``stop`` when given)."""
    start = 1
    while page := store.notifications(start, PAGE):
        for item in page:
            if stop is not None and item.id > stop:
                return
            yield item.id, item.state
        start = page[-1].id + 1


def rules_report(store: EventStore, rules: RuleSettings, *, stop: int | None = None) -> RulesReport:
    """Every file of ``store`` replayed through the domain, up to position ``stop``."""
    return replay_report(store_rows(store, stop), rules)
