"""Console pages register here so that tickets, chat, disputes and withdrawals plug into the
workspace's navigation without editing it: `console_page_register(ConsolePage(...))` in an app's
`AppConfig.ready()`."""

from dataclasses import dataclass, field

from django.urls import reverse


@dataclass(frozen=True)
class ConsolePage:
    key: str
    title: object  # a lazy translation
    url_name: str
    roles: frozenset = field(default_factory=frozenset)
    order: int = 100

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_pages: dict[str, ConsolePage] = {}


def console_page_register(page: ConsolePage) -> None:
    _pages[page.key] = page


def console_pages_for(user) -> list[ConsolePage]:
    return sorted((p for p in _pages.values() if user.role in p.roles), key=lambda p: (p.order, p.key))
