"""Extension points. `core` owns them; every app fills them from its own `okpay_hooks.py`, which
`CoreConfig.ready()` imports for each installed app (`autodiscover_modules`, as Wagtail does). A
provider therefore imports only core, and a consumer (the console, the bot, the worker, `okpay
demo`, the API) asks core for what was registered — no app imports an app above it to plug in.

    # okpay/wallet/okpay_hooks.py
    from okpay.core import hooks
    hooks.register(hooks.CONSOLE_PAGES, hooks.ConsolePage(key="reviews", ...))
    hooks.register(hooks.BOT_ACTIONS, hooks.BotAction("balances", bot_actions.balances))

Hook names and what each item is:

| hook | item | consumer |
|---|---|---|
| `CONSOLE_PAGES` | `ConsolePage` | console navigation and home |
| `BOT_ACTIONS` | `BotAction` (intent key → handler(user, language) → `ActionResult`) | bot engine |
| `DEMO_STEPS` | `DemoStep` (idempotent loader) | `okpay demo` |
| `WORKER_SCHEDULES` | `Schedule` (makes sure a periodic task is queued) | worker start |
| `AUDIT_LABELS` | `dict[action, label]` | audit log pages |
| `API_ROUTERS` | a ninja `Router` | `config.api` |
| `WEBSOCKET_ROUTES` | a Channels URL pattern | `config.asgi` |
| `WARM_UPS` | callable run once when a web process starts | `config.asgi` |
| `CUSTOMER_PANELS` | `CustomerPanel` (a block of the console's customer 360) | console |
| `NOTIFICATIONS` | `Notification` channel (deliver(user, event, context)) | apps that notify |
| `BODY_LIMITS` | `BodyLimit` (a path pattern and its upload cap) | `core.uploads.RequestBodyLimit` |
| `TRANSACTION_LINKS` | callable(history row, user) → [(label, url)] | the transaction page's help links |
| `AGENT_AVAILABILITY` | callable(group=…) → [`AvailableAgent`] (online staff of a group) | auto-assignment |
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

CONSOLE_PAGES = "console_pages"
BOT_ACTIONS = "bot_actions"
DEMO_STEPS = "demo_steps"
WORKER_SCHEDULES = "worker_schedules"
AUDIT_LABELS = "audit_labels"
API_ROUTERS = "api_routers"
WEBSOCKET_ROUTES = "websocket_routes"
WARM_UPS = "warm_ups"
CUSTOMER_PANELS = "customer_panels"
NOTIFICATIONS = "notifications"
BODY_LIMITS = "body_limits"
TRANSACTION_LINKS = "transaction_links"
AGENT_AVAILABILITY = "agent_availability"

NAMES = frozenset(
    {
        CONSOLE_PAGES,
        BOT_ACTIONS,
        DEMO_STEPS,
        WORKER_SCHEDULES,
        AUDIT_LABELS,
        API_ROUTERS,
        WEBSOCKET_ROUTES,
        WARM_UPS,
        CUSTOMER_PANELS,
        NOTIFICATIONS,
        BODY_LIMITS,
        TRANSACTION_LINKS,
        AGENT_AVAILABILITY,
    }
)

_registry: dict[str, list[tuple[int, int, Any]]] = defaultdict(list)


def register(name: str, item: Any, *, order: int = 100) -> Any:
    """Add `item` to hook `name`; items come back sorted by `order`, then registration order."""
    if name not in NAMES:
        raise ValueError(f"unknown hook {name!r}; the hooks are {sorted(NAMES)}")
    _registry[name].append((order, len(_registry[name]), item))
    return item


def items(name: str) -> list[Any]:
    if name not in NAMES:
        raise ValueError(f"unknown hook {name!r}")
    return [item for _order, _seq, item in sorted(_registry[name], key=lambda entry: entry[:2])]


def discover() -> None:
    """Import `okpay_hooks` of every installed app (once; `CoreConfig.ready()` calls it)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("okpay_hooks")


# --- item types --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsolePage:
    key: str
    title: object  # a lazy translation
    url_name: str
    permission: Callable[[Any], bool]  # a predicate of `okpay.accounts.roles`, e.g. roles.is_staff
    order: int = 100
    status: Callable[[], str] | None = None  # a short live line for the console home

    def is_visible(self, user) -> bool:
        return bool(getattr(user, "is_authenticated", False) and self.permission(user))

    @property
    def url(self) -> str:
        return reverse(self.url_name)


def console_pages_for(user) -> list[ConsolePage]:
    return [page for page in items(CONSOLE_PAGES) if page.is_visible(user)]


@dataclass
class ActionLink:
    label: str
    url: str
    method: str = "get"  # "post" renders a form button (e.g. sign out other sessions)


@dataclass
class ActionResult:
    """What an account-aware bot action adds to an answer."""

    text: str = ""
    items: list[str] = field(default_factory=list)
    links: list[ActionLink] = field(default_factory=list)
    hand_off: bool = False


@dataclass(frozen=True)
class BotAction:
    """Handler for an intent key: handler(user, language) → ActionResult | None. Called only for a
    signed-in user, so account data never reaches a visitor."""

    key: str
    handler: Callable[[Any, str], ActionResult | None]


def bot_action(key: str | None) -> Callable | None:
    if not key:
        return None
    for action in items(BOT_ACTIONS):
        if action.key == key:
            return action.handler
    return None


@dataclass(frozen=True)
class DemoStep:
    """`run()` is idempotent and returns a one-line summary of what it made, or None."""

    name: str
    run: Callable[[], str | None]


@dataclass(frozen=True)
class Schedule:
    """`ensure()` queues the next run of a periodic task if none is queued; returns a summary or
    None. Called at every worker start; each task queues its own next run when it finishes."""

    name: str
    ensure: Callable[[], str | None]


@dataclass(frozen=True)
class CustomerPanel:
    """A block of the console's customer 360: `context(customer, viewer)` → dict for `template`."""

    key: str
    title: object
    template: str
    context: Callable[[Any, Any], dict]
    permission: Callable[[Any], bool]


@dataclass(frozen=True)
class Notification:
    """A way to tell a person about an event: `deliver(user, event, context)`."""

    key: str
    deliver: Callable[[Any, str, dict], None]


def audit_labels() -> dict[str, object]:
    merged: dict[str, object] = {}
    for labels in items(AUDIT_LABELS):
        merged.update(labels)
    return merged


@dataclass(frozen=True)
class BodyLimit:
    """Upload endpoints that are not Django views of their own (an API operation): a request whose
    path fully matches `pattern` (a regular expression) may carry at most `limit()` bytes; a larger
    body is not received (see `core.uploads.RequestBodyLimit`)."""

    pattern: str
    limit: Callable[[], int]


@dataclass(frozen=True)
class AvailableAgent:
    """A member of staff who can take new work now (`AGENT_AVAILABILITY`): online, serving the group
    asked about, in these languages (codes of `okpay.core.i18n`)."""

    user_id: int
    languages: tuple[str, ...] = ()


def available_agents(*, group: str) -> list[AvailableAgent] | None:
    """Every provider's available agents for `group`, one entry per agent (the first provider's);
    None when no app tells availability (nobody is then taken as available)."""
    providers = items(AGENT_AVAILABILITY)
    if not providers:
        return None
    agents: dict[int, AvailableAgent] = {}
    for provider in providers:
        for agent in provider(group=group):
            agents.setdefault(agent.user_id, agent)
    return list(agents.values())
