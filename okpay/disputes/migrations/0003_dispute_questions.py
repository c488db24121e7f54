"""Carry the questions with topic "dispute" still in progress into disputes (okpay/disputes/legacy.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from okpay.disputes.legacy import questions_to_disputes

    questions_to_disputes(
        Ticket=apps.get_model("tickets", "Ticket"),
        TicketMessage=apps.get_model("tickets", "TicketMessage"),
        Payment=apps.get_model("wallet", "Payment"),
        Dispute=apps.get_model("disputes", "Dispute"),
        DisputeMessage=apps.get_model("disputes", "DisputeMessage"),
        DisputeEvent=apps.get_model("disputes", "DisputeEvent"),
        DisputeDeadline=apps.get_model("disputes", "DisputeDeadline"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0002_console_indexes"),
        ("tickets", "0006_ticket_channel_chat"),
        ("wallet", "0005_ledger_post_function"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
