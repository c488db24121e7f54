"""How a question's emails hang together: the Message-IDs we give our mail, the headers that let mail
clients thread it (In-Reply-To, References), and the plus-address replies come back to.

Our Message-IDs are `<Q-XXXXXXX.<random>@<support domain>>`: a reply to any mail we sent about a
question — a receipt, a reply, a "solved" note — names its question in In-Reply-To / References even
when no message row carries that id. Each id is also stored on the message it went out with
(TicketMessage.message_id), and so is every incoming mail's."""

import re
import secrets
from email.utils import parseaddr
from typing import TYPE_CHECKING

from django.conf import settings

from .models import NUMBER_ALPHABET

if TYPE_CHECKING:
    from .models import Ticket

NUMBER_TEXT = rf"Q-[{NUMBER_ALPHABET}]{{7}}"
NUMBER = re.compile(rf"\b{NUMBER_TEXT}\b")
MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
REFERENCES_KEPT = 10  # the first id and the latest ones (RFC 5322 3.6.4 lets long chains be trimmed)
LOOP_HEADER = "X-OKPay-Loop"


def support_address() -> tuple[str, str]:
    """(local part, domain) of OKPAY_SUPPORT_EMAIL, lower case."""
    local, _at, domain = parseaddr(settings.OKPAY_SUPPORT_EMAIL)[1].lower().rpartition("@")
    return local, domain


def intake_addresses() -> list[str]:
    """The addresses mail is taken for: OKPAY_SUPPORT_EMAIL and OKPAY_INTAKE_ADDRESSES, lower case."""
    addresses = [parseaddr(settings.OKPAY_SUPPORT_EMAIL)[1], *getattr(settings, "OKPAY_INTAKE_ADDRESSES", ())]
    return list(dict.fromkeys(a.strip().lower() for a in addresses if a.strip()))


def address_is_ours(address: str) -> tuple[bool, str | None]:
    """Whether `address` is one of the intake addresses or a plus-address of one (support+Q-XXXXXXX@…),
    and the question number its +tag names, if any."""
    local, _at, domain = address.strip().lower().rpartition("@")
    base, plus, tag = local.partition("+")
    if f"{base}@{domain}" not in intake_addresses():
        return False, None
    match = re.fullmatch(NUMBER_TEXT, tag.upper()) if plus else None
    return True, match.group(0) if match else None


def reply_address(ticket: "Ticket") -> str:
    """Where the customer's reply goes: support+Q-XXXXXXX@domain (OKPAY_SUPPORT_PLUS_ADDRESS), so it
    finds its question whatever the client does to the subject and headers; else the plain address."""
    if not settings.OKPAY_SUPPORT_PLUS_ADDRESS:
        return settings.OKPAY_SUPPORT_EMAIL
    local, domain = support_address()
    return f"{local}+{ticket.number}@{domain}"


def message_id_new(ticket: "Ticket") -> str:
    return f"<{ticket.number}.{secrets.token_hex(8)}@{support_address()[1]}>"


def is_our_message_id(message_id: str) -> bool:
    return number_in_message_id(message_id) is not None


def number_in_message_id(message_id: str) -> str | None:
    """The question number in one of our Message-IDs, or None for anyone else's."""
    match = re.fullmatch(rf"<({NUMBER_TEXT})\.[0-9a-f]{{16}}@([^<>@\s]+)>", message_id.strip())
    if match is None or match.group(2).lower() != support_address()[1]:
        return None
    return match.group(1)


def message_ids(value: str) -> list[str]:
    """The <ids> in a Message-ID, In-Reply-To or References header, in order."""
    return MESSAGE_ID.findall(value or "")


def outgoing_headers(ticket: "Ticket", message_id: str) -> dict[str, str]:
    """Message-ID, In-Reply-To and References for a mail about `ticket`: it answers the latest mail of
    the thread we know (the customer's, or our previous one) and lists the thread's ids."""
    from .models import TicketMessage

    known = list(
        TicketMessage.objects.filter(ticket=ticket)
        .exclude(message_id="")
        .exclude(message_id=message_id)
        .order_by("created_at", "id")
        .values_list("message_id", flat=True)
    )
    headers = {"Message-ID": message_id}
    if known:
        chain = known if len(known) <= REFERENCES_KEPT else [known[0], *known[-(REFERENCES_KEPT - 1) :]]
        headers["In-Reply-To"] = known[-1]
        headers["References"] = " ".join(chain)
    return headers
