"""Migration 0013: the tags of questions made before it (the plain many-to-many table of 0011) become
TicketTag rows carrying each question's created_at, and the old table is gone."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("tickets", "0012_assignment_turns")]
AFTER = [("tickets", "0013_ticket_tag_rows")]


def test_tags_of_earlier_questions_become_rows_with_the_questions_time():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Ticket, Tag = old.get_model("tickets", "Ticket"), old.get_model("tickets", "Tag")
    first = Ticket.objects.create(number="Q-MIGRATE1", subject="a", requester_email="a@example.com")
    second = Ticket.objects.create(number="Q-MIGRATE2", subject="b", requester_email="b@example.com")
    refund, card = Tag.objects.create(name="refund"), Tag.objects.create(name="card")
    first.tags.add(refund, card)
    second.tags.add(refund)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    rows = sorted(
        new.get_model("tickets", "TicketTag").objects.values_list(
            "ticket__number", "tag__name", "ticket_created_at"
        )
    )
    assert rows == [
        ("Q-MIGRATE1", "card", first.created_at),
        ("Q-MIGRATE1", "refund", first.created_at),
        ("Q-MIGRATE2", "refund", second.created_at),
    ]
    assert "tickets_ticket_tags" not in connection.introspection.table_names()
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # the rest of the project, as before the test
