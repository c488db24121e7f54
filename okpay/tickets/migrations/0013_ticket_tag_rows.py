"""A question's tags get their own rows with the question's creation time (TicketTag; index (tag,
created_at, question)), so that a tag's queue is one index range (docs/decisions.md, "Questions: tags
carry the question's created_at"). The rows of the plain many-to-many table are copied over, with
each question's created_at, and that table is dropped.

Databases that ran an earlier form of 0011, which created TicketTag itself, already have this shape:
there only the migration state changes."""

import django.db.models.deletion
from django.db import migrations, models

from okpay.core.migration_ops import SeparateDatabaseAndStateUnlessTable

TICKET_TAG = migrations.CreateModel(
    name="TicketTag",
    fields=[
        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
        ("ticket_created_at", models.DateTimeField()),
        (
            "tag",
            models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="ticket_tags", to="tickets.tag"
            ),
        ),
        (
            "ticket",
            models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="ticket_tags", to="tickets.ticket"
            ),
        ),
    ],
)
QUEUE_INDEX = migrations.AddIndex(
    model_name="tickettag",
    index=models.Index(fields=["tag", "ticket_created_at", "ticket"], name="ticket_tag_queue"),
)
ONCE = migrations.AddConstraint(
    model_name="tickettag",
    constraint=models.UniqueConstraint(fields=("ticket", "tag"), name="ticket_tag_once"),
)

COPY = """
INSERT INTO tickets_tickettag (ticket_id, tag_id, ticket_created_at)
SELECT old.ticket_id, old.tag_id, ticket.created_at
FROM tickets_ticket_tags old JOIN tickets_ticket ticket ON ticket.id = old.ticket_id
"""
COPY_BACK = (
    "INSERT INTO tickets_ticket_tags (ticket_id, tag_id) SELECT ticket_id, tag_id FROM tickets_tickettag"
)


def _plain_table(apps):
    """0011's many-to-many table (the field is still the plain one in the database operations' state)."""
    return apps.get_model("tickets", "Ticket")._meta.get_field("tags").remote_field.through


def drop_plain_table(apps, schema_editor):
    schema_editor.delete_model(_plain_table(apps))


def create_plain_table(apps, schema_editor):
    schema_editor.create_model(_plain_table(apps))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0012_assignment_turns")]

    operations = [
        SeparateDatabaseAndStateUnlessTable(
            table="tickets_tickettag",
            database_operations=[
                TICKET_TAG,
                QUEUE_INDEX,
                ONCE,
                migrations.RunSQL(COPY, reverse_sql=COPY_BACK),
                migrations.RunPython(drop_plain_table, create_plain_table),
            ],
            state_operations=[
                TICKET_TAG,
                migrations.AlterField(
                    model_name="ticket",
                    name="tags",
                    field=models.ManyToManyField(
                        blank=True, related_name="tickets", through="tickets.TicketTag", to="tickets.tag"
                    ),
                ),
                QUEUE_INDEX,
                ONCE,
            ],
        ),
    ]
