"""PostgreSQL only: `okpay_ledger_entry_create`, the whole of `ledger.entry_create` in one round trip
(docs/decisions.md, "The ledger posts through a PostgreSQL function"). It does what the Python path
(`ledger._entry_write`, which SQLite keeps) does, in the same order:

1. lock every account of the entry, in primary-key order (the lock order of every ledger write);
2. refuse, writing nothing, if an account that may not go negative would have a negative available
   balance (the first such account in key order decides: -1 a customer's, -2 a system account's);
3. insert the entry; a repeated idempotency key (or a second reversal of one entry) inserts nothing
   and returns 0;
4. insert the postings (in the order of the lines; currency from the account) and add them to the
   accounts' cached totals (`version` + 1).

Returns the new entry's id. The CHECK constraints on wallet_ledgeraccount stay the last line. Change
the function only in a new migration (CREATE OR REPLACE), with the Python path beside it."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION okpay_ledger_entry_create(
    p_key varchar, p_kind varchar, p_status varchar, p_reference varchar, p_description varchar,
    p_created_by bigint, p_created_at timestamptz, p_effective_at timestamptz,
    p_posted_at timestamptz, p_expires_at timestamptz, p_reverses bigint,
    p_accounts bigint[], p_sides varchar[], p_amounts bigint[]
) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_pending boolean := p_status = 'pending';
    v_refused record;
    v_entry bigint;
BEGIN
    PERFORM 1 FROM wallet_ledgeraccount WHERE id = ANY (p_accounts) ORDER BY id FOR UPDATE;

    SELECT a.id, a.owner_id INTO v_refused
    FROM wallet_ledgeraccount a
    JOIN (
        SELECT l.account_id,
               coalesce(sum(l.amount) FILTER (WHERE l.side = 'debit'), 0) AS debits,
               coalesce(sum(l.amount) FILTER (WHERE l.side = 'credit'), 0) AS credits
        FROM unnest(p_accounts, p_sides, p_amounts) AS l (account_id, side, amount)
        GROUP BY l.account_id
    ) d ON d.account_id = a.id
    WHERE NOT a.allow_negative
      AND CASE WHEN a.normal_balance = 'credit' THEN
              a.posted_credits + CASE WHEN v_pending THEN 0 ELSE d.credits END
              - a.posted_debits - CASE WHEN v_pending THEN 0 ELSE d.debits END
              - a.pending_debits - CASE WHEN v_pending THEN d.debits ELSE 0 END
          ELSE
              a.posted_debits + CASE WHEN v_pending THEN 0 ELSE d.debits END
              - a.posted_credits - CASE WHEN v_pending THEN 0 ELSE d.credits END
              - a.pending_credits - CASE WHEN v_pending THEN d.credits ELSE 0 END
          END < 0
    ORDER BY a.id
    LIMIT 1;
    IF FOUND THEN
        RETURN CASE WHEN v_refused.owner_id IS NULL THEN -2 ELSE -1 END;
    END IF;

    INSERT INTO wallet_journalentry (
        idempotency_key, kind, status, description, reference, reverses_id, created_by_id,
        created_at, effective_at, posted_at, expires_at, closed_at
    ) VALUES (
        p_key, p_kind, p_status, p_description, p_reference, p_reverses, p_created_by,
        p_created_at, p_effective_at, p_posted_at, p_expires_at, NULL
    )
    ON CONFLICT DO NOTHING
    RETURNING id INTO v_entry;
    IF v_entry IS NULL THEN
        RETURN 0;
    END IF;

    INSERT INTO wallet_posting (entry_id, account_id, side, amount, currency)
    SELECT v_entry, l.account_id, l.side, l.amount, a.currency
    FROM unnest(p_accounts, p_sides, p_amounts) WITH ORDINALITY AS l (account_id, side, amount, n)
    JOIN wallet_ledgeraccount a ON a.id = l.account_id
    ORDER BY l.n;

    UPDATE wallet_ledgeraccount a SET
        posted_debits = a.posted_debits + CASE WHEN v_pending THEN 0 ELSE d.debits END,
        posted_credits = a.posted_credits + CASE WHEN v_pending THEN 0 ELSE d.credits END,
        pending_debits = a.pending_debits + CASE WHEN v_pending THEN d.debits ELSE 0 END,
        pending_credits = a.pending_credits + CASE WHEN v_pending THEN d.credits ELSE 0 END,
        version = a.version + 1
    FROM (
        SELECT l.account_id,
               coalesce(sum(l.amount) FILTER (WHERE l.side = 'debit'), 0) AS debits,
               coalesce(sum(l.amount) FILTER (WHERE l.side = 'credit'), 0) AS credits
        FROM unnest(p_accounts, p_sides, p_amounts) AS l (account_id, side, amount)
        GROUP BY l.account_id
    ) d
    WHERE a.id = d.account_id;
    RETURN v_entry;
END
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS okpay_ledger_entry_create(
    varchar, varchar, varchar, varchar, varchar, bigint, timestamptz, timestamptz, timestamptz,
    timestamptz, bigint, bigint[], varchar[], bigint[]
);
"""


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that does nothing on another database (SQLite keeps the Python path)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0004_dispute_kinds")]

    operations = [PostgresOnlySQL(sql=FUNCTION, reverse_sql=DROP, elidable=False)]
