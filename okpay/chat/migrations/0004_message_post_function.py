"""PostgreSQL only: `okpay_chat_message_post`, a text message's write in one round trip
(docs/decisions.md, "A chat message is one statement on PostgreSQL"). The rules stay in Python
(`actions._sender_check`, checked on the caller's copy of the conversation before the call); the
function only guarantees that the row still says what the rules were checked against:

1. lock the conversation row (its seq counter);
2. the same (sender, client id) already stored: return it (a retry stores nothing), whatever the state;
3. the row's status, agent or owner differ from the caller's copy: 'stale', nothing written (the caller
   takes the locked Python path, which checks the rules on the fresh row);
4. the caller counted the hit over the rate limit: 'limited', nothing written;
5. insert the message with the next seq, bump the counter and `updated_at`, and set
   `first_response_at` when asked (an agent's first reply).

Change the function only in a new migration (CREATE OR REPLACE), with the Python path beside it."""

from django.db import migrations

from okpay.core.migration_ops import PostgresOnlySQL

FUNCTION = """
CREATE OR REPLACE FUNCTION okpay_chat_message_post(
    p_conversation uuid, p_sender varchar, p_author bigint, p_client_id varchar, p_text varchar,
    p_status varchar, p_agent bigint, p_user bigint, p_limited boolean, p_first_response boolean,
    p_now timestamptz,
    OUT outcome varchar, OUT message_id bigint, OUT message_seq integer
)
LANGUAGE plpgsql
AS $$
DECLARE
    v_row record;
BEGIN
    SELECT c.status, c.agent_id, c.user_id, c.next_seq INTO v_row
    FROM chat_conversation c WHERE c.id = p_conversation FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'missing';
        RETURN;
    END IF;
    SELECT m.id, m.seq INTO message_id, message_seq
    FROM chat_message m
    WHERE m.conversation_id = p_conversation AND m.sender = p_sender AND m.client_id = p_client_id;
    IF FOUND THEN
        outcome := 'existing';
        RETURN;
    END IF;
    IF v_row.status IS DISTINCT FROM p_status OR v_row.agent_id IS DISTINCT FROM p_agent
       OR v_row.user_id IS DISTINCT FROM p_user THEN
        outcome := 'stale';
        RETURN;
    END IF;
    IF p_limited THEN
        outcome := 'limited';
        RETURN;
    END IF;
    INSERT INTO chat_message (
        conversation_id, seq, sender, author_id, client_id, text, intent, article_url, article_title,
        actions, hand_off, event, data, created_at
    ) VALUES (
        p_conversation, v_row.next_seq, p_sender, p_author, p_client_id, p_text, '', '', '',
        '[]'::jsonb, false, '', '{}'::jsonb, p_now
    ) RETURNING id INTO message_id;
    UPDATE chat_conversation
    SET next_seq = v_row.next_seq + 1,
        updated_at = p_now,
        first_response_at = CASE WHEN p_first_response THEN coalesce(first_response_at, p_now)
                                 ELSE first_response_at END
    WHERE id = p_conversation;
    outcome := 'created';
    message_seq := v_row.next_seq;
END
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS okpay_chat_message_post(
    uuid, varchar, bigint, varchar, varchar, varchar, bigint, bigint, boolean, boolean, timestamptz
);
"""


class Migration(migrations.Migration):
    dependencies = [("chat", "0003_sweep_system_events")]

    operations = [PostgresOnlySQL(sql=FUNCTION, reverse_sql=DROP, elidable=False)]
