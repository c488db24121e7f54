"""PostgreSQL only: `okpay_withdrawal_submit_write`, the mechanical writes of a withdrawal submission
in one round trip (docs/decisions.md, "A withdrawal's writes in one PostgreSQL function"). Every
decision is taken before it, in Python, under the customer's lock (`withdrawals._submit`: limits,
cooling-off, review, idempotency); the balance check is the ledger function's own. It writes the
values it is given, in this order:

1. the customer's transaction row and its first timeline event;
2. the withdrawal (its id allocated by the caller), pointing at that transaction row;
3. the audit event;
4. last, the hold: `okpay_ledger_entry_create` (wallet migration 0005) with the 14 arguments the
   caller took from `ledger.entry_function_params` — it locks the customer's wallet and the
   currency's system accounts, so they stay locked only from here to the commit. A refusal
   (0 repeated key, -1 balance, -2 system balance) is returned as it is, and the caller raises,
   which rolls the rows above back;
5. the new entry's id on the withdrawal and the transaction row.

Returns {entry id or refusal, transaction row id}. The Python path (`withdrawals._write_python`,
which SQLite keeps) writes the same rows; test_withdrawal_function.py compares them. Change the
function only in a new migration (CREATE OR REPLACE), with the Python path beside it."""

from django.db import migrations

from okpay.core.migration_ops import PostgresOnlySQL

FUNCTION = """
CREATE OR REPLACE FUNCTION okpay_withdrawal_submit_write(
    p_withdrawal_id bigint, p_user bigint, p_destination bigint, p_method varchar, p_speed varchar,
    p_currency varchar, p_amount bigint, p_fee bigint, p_eur bigint, p_status varchar,
    p_review_reasons jsonb, p_failure_code varchar, p_provider varchar, p_provider_reference varchar,
    p_provider_due_at timestamptz, p_idempotency_key varchar, p_request_hash varchar,
    p_estimated_arrival timestamptz, p_created_at timestamptz, p_updated_at timestamptz,
    p_paid_at timestamptz,
    t_user bigint, t_kind varchar, t_status varchar, t_amount bigint, t_fee bigint, t_currency varchar,
    t_counterparty varchar, t_description varchar, t_reference varchar, t_created_at timestamptz,
    t_updated_at timestamptz, e_status varchar, e_note varchar, e_created_at timestamptz,
    a_action varchar, a_actor bigint, a_subject_user bigint, a_ip_address inet, a_user_agent varchar,
    a_data jsonb, a_created_at timestamptz,
    l_key varchar, l_kind varchar, l_status varchar, l_reference varchar, l_description varchar,
    l_created_by bigint, l_created_at timestamptz, l_effective_at timestamptz,
    l_posted_at timestamptz, l_expires_at timestamptz, l_reverses bigint,
    l_accounts bigint[], l_sides varchar[], l_amounts bigint[]
) RETURNS bigint[]
LANGUAGE plpgsql
AS $$
DECLARE
    v_transaction bigint;
    v_entry bigint;
BEGIN
    INSERT INTO wallet_transaction (
        user_id, kind, status, amount_minor, fee_minor, currency, counterparty, description,
        reference, entry_id, created_at, updated_at
    ) VALUES (
        t_user, t_kind, t_status, t_amount, t_fee, t_currency, t_counterparty, t_description,
        t_reference, NULL, t_created_at, t_updated_at
    ) RETURNING id INTO v_transaction;
    INSERT INTO wallet_transactionevent (transaction_id, status, note, created_at)
    VALUES (v_transaction, e_status, e_note, e_created_at);

    INSERT INTO payouts_withdrawal (
        id, user_id, destination_id, method, speed, currency, amount_minor, fee_minor,
        eur_equivalent_minor, status, review_reasons, failure_code, provider, provider_reference,
        provider_due_at, idempotency_key, request_hash, entry_id, transaction_id, estimated_arrival,
        created_at, updated_at, paid_at
    ) VALUES (
        p_withdrawal_id, p_user, p_destination, p_method, p_speed, p_currency, p_amount, p_fee,
        p_eur, p_status, p_review_reasons, p_failure_code, p_provider, p_provider_reference,
        p_provider_due_at, p_idempotency_key, p_request_hash, NULL, v_transaction, p_estimated_arrival,
        p_created_at, p_updated_at, p_paid_at
    );

    INSERT INTO core_auditevent (
        action, actor_id, subject_user_id, ip_address, user_agent, data, created_at
    ) VALUES (
        a_action, a_actor, a_subject_user, a_ip_address, a_user_agent, a_data, a_created_at
    );

    v_entry := okpay_ledger_entry_create(
        l_key, l_kind, l_status, l_reference, l_description, l_created_by, l_created_at,
        l_effective_at, l_posted_at, l_expires_at, l_reverses, l_accounts, l_sides, l_amounts
    );
    IF v_entry <= 0 THEN
        RETURN ARRAY[v_entry, v_transaction];
    END IF;
    UPDATE payouts_withdrawal SET entry_id = v_entry WHERE id = p_withdrawal_id;
    UPDATE wallet_transaction SET entry_id = v_entry WHERE id = v_transaction;
    RETURN ARRAY[v_entry, v_transaction];
END
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS okpay_withdrawal_submit_write(
    bigint, bigint, bigint, varchar, varchar, varchar, bigint, bigint, bigint, varchar, jsonb, varchar,
    varchar, varchar, timestamptz, varchar, varchar, timestamptz, timestamptz, timestamptz, timestamptz,
    bigint, varchar, varchar, bigint, bigint, varchar, varchar, varchar, varchar, timestamptz,
    timestamptz, varchar, varchar, timestamptz,
    varchar, bigint, bigint, inet, varchar, jsonb, timestamptz,
    varchar, varchar, varchar, varchar, varchar, bigint, timestamptz, timestamptz, timestamptz,
    timestamptz, bigint, bigint[], varchar[], bigint[]
);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("payouts", "0004_status_labels"),
        ("wallet", "0005_ledger_post_function"),
        ("core", "0003_notices"),
    ]

    operations = [PostgresOnlySQL(sql=FUNCTION, reverse_sql=DROP, elidable=False)]
