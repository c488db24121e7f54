"""State machines. An entity with a lifecycle declares, in its app's `choices.py`, one table

    {from_state: {to_state: (who may, …)}}

where each "who may" is a role predicate from `okpay.accounts.roles` (`is_staff`,
`can_decide_reviews` …), `CUSTOMER` (the entity's own customer), `MERCHANT` (the entity's own
merchant, for entities with two parties: a dispute) or `SYSTEM` (no person: a deadline, a scheduled
payout). A move that is not in the table does not exist. One function per entity
(`tickets.actions.ticket_transition`, `wallet.international.actions.transfer_transition`) checks a move
here, changes the state and writes its record; nothing else assigns the state. The tables are
written down in docs/conventions.md ("State machines")."""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

CUSTOMER = "customer"
MERCHANT = "merchant"
SYSTEM = "system"  # a rule in the tables, and the actor of moves no person makes

Rule = str | Callable[[Any], bool]
Table = Mapping[str, Mapping[str, Iterable[Rule]]]


def is_system(actor) -> bool:
    return isinstance(actor, str) and actor == SYSTEM


def transition_exists(table: Table, current: str, to: str) -> bool:
    return to in table.get(current, {})


def transition_permitted(
    table: Table, current: str, to: str, *, actor, is_customer: bool, is_merchant: bool = False
) -> bool:
    """Whether `actor` may make the move; `is_customer` says whether the actor is the entity's own
    customer (the entity decides: the ticket's requester, the transfer's sender), `is_merchant` whether
    it is the entity's own merchant."""
    for rule in table.get(current, {}).get(to, ()):
        if rule == SYSTEM:
            allowed = is_system(actor)
        elif rule == CUSTOMER:
            allowed = is_customer and not is_system(actor)
        elif rule == MERCHANT:
            allowed = is_merchant and not is_system(actor)
        elif isinstance(rule, str):
            raise TypeError(f"unknown rule {rule!r} in a transition table")
        else:
            allowed = not is_system(actor) and rule(actor)
        if allowed:
            return True
    return False


def transition_targets(
    table: Table, current: str, *, actor, is_customer: bool, is_merchant: bool = False
) -> list[str]:
    """The states this actor may move to from `current`, in the table's order (for a form's choices)."""
    return [
        to
        for to in table.get(current, {})
        if transition_permitted(
            table, current, to, actor=actor, is_customer=is_customer, is_merchant=is_merchant
        )
    ]
