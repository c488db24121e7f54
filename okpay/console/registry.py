"""Console pages register here so that tickets, chat, disputes and withdrawals plug into the
workspace's navigation without editing it: `console_page_register(ConsolePage(...))` in an app's
`AppConfig.ready()`."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse


@dataclass(frozen=True)
class ConsolePage:
    key: str
    title: object  # a lazy translation
    url_name: str
    roles: frozenset = field(default_factory=frozenset)
    order: int = 100
    permission: str = ""  # also shown to other roles that hold this Django permission
    status: Callable[[], str] | None = (
        None  # a short live line for the console home ("3 waiting · 1 overdue")
    )

    def is_visible(self, user) -> bool:
        return user.role in self.roles or bool(self.permission and user.has_perm(self.permission))

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_pages: dict[str, ConsolePage] = {}


def console_page_register(page: ConsolePage) -> None:
    _pages[page.key] = page


def console_pages_for(user) -> list[ConsolePage]:
    return sorted((p for p in _pages.values() if p.is_visible(user)), key=lambda p: (p.order, p.key))
