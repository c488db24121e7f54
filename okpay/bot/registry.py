"""Account-aware bot actions. Apps register their own in AppConfig.ready():

    bot_action_register("withdrawal_status", handler)

A handler gets (user, language) for a signed-in user and returns an ActionResult (or None when it
has nothing to add). The bot never calls handlers for visitors who are not signed in, so account
data cannot reach them. Withdrawals, disputes and tickets plug in the same way when they land."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class ActionLink:
    label: str
    url: str
    method: str = "get"  # "post" renders a form button (e.g. sign out other sessions)


@dataclass
class ActionResult:
    text: str = ""
    items: list[str] = field(default_factory=list)
    links: list[ActionLink] = field(default_factory=list)
    hand_off: bool = False


_actions: dict[str, Callable] = {}


def bot_action_register(key: str, handler: Callable) -> None:
    _actions[key] = handler


def bot_action(key: str | None) -> Callable | None:
    return _actions.get(key) if key else None
