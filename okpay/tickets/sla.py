"""Reply-time targets. Questions are accepted 24/7 and the published promise (help center, contact
channels) is a reply within 24 hours, 2 hours for account-security questions; the clock runs
around the clock. Each customer message starts the clock if it is not already running; a public
reply from the team stops it."""

from datetime import datetime, timedelta

from .choices import TicketPriority, TicketTopic

REPLY_HOURS = {
    TicketPriority.URGENT: 1,
    TicketPriority.HIGH: 2,
    TicketPriority.NORMAL: 24,
    TicketPriority.LOW: 48,
}
TOPIC_PRIORITY: dict[str, str] = {TicketTopic.ACCOUNT: TicketPriority.HIGH}


def priority_for(topic: str) -> str:
    return TOPIC_PRIORITY.get(topic, TicketPriority.NORMAL)


def reply_due(priority: str, since: datetime) -> datetime:
    return since + timedelta(hours=REPLY_HOURS[TicketPriority(priority)])
