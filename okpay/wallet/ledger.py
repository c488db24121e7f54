"""The ledger primitives: accounts, two-phase entries, locks in key order, verification.
Every money movement in every app goes through `entry_create` / `entry_post` / `entry_void`.

`entry_create` has two paths that do the same thing in the same order (lock the accounts in key
order, check the overdraft rule, insert the entry, its postings, update the cached totals): on
PostgreSQL one call of the function `okpay_ledger_entry_create` (migration 0005; one round trip),
elsewhere (SQLite, `make run`) the ORM statements of `_entry_write`."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Case, Count, F, Sum, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import AccountKind, EntryStatus, Side
from .errors import WalletError, insufficient_funds
from .models import JournalEntry, LedgerAccount, Posting

SYSTEM_ACCOUNTS = {
    # role: (kind, normal balance, allow negative)
    "external": (AccountKind.ASSET, Side.DEBIT, True),
    "fee_revenue": (AccountKind.REVENUE, Side.CREDIT, True),
    "withdrawals_in_flight": (AccountKind.LIABILITY, Side.CREDIT, False),
    "dispute_holds": (AccountKind.LIABILITY, Side.CREDIT, False),
    # what OKPay advanced when a party of a dispute could not pay what a decision moved (a receivable)
    "dispute_advances": (AccountKind.ASSET, Side.DEBIT, True),
    "fx_clearing": (AccountKind.EQUITY, Side.CREDIT, True),
}


@dataclass(frozen=True)
class Line:
    account: LedgerAccount
    side: str
    amount: int


def system_account(role: str, currency: str) -> LedgerAccount:
    kind, normal, allow_negative = SYSTEM_ACCOUNTS[role]
    account, _created = LedgerAccount.objects.get_or_create(
        code=f"system:{role}:{currency}",
        defaults={
            "kind": kind,
            "normal_balance": normal,
            "currency": currency,
            "allow_negative": allow_negative,
        },
    )
    return account


def system_accounts(roles, currency: str) -> dict[str, LedgerAccount]:
    """Several system accounts of one currency in one query ({role: account}); missing ones are
    created as `system_account` would."""
    codes = {f"system:{role}:{currency}": role for role in roles}
    found = {codes[a.code]: a for a in LedgerAccount.objects.filter(code__in=codes)}
    for role in codes.values():
        if role not in found:
            found[role] = system_account(role, currency)
    return found


def wallet_account(user, currency: str) -> LedgerAccount:
    """The user's balance in `currency` (a liability of OKPay to the user; never negative)."""
    account, _created = LedgerAccount.objects.get_or_create(
        code=f"user:{user.pk}:wallet:{currency}",
        defaults={
            "owner": user,
            "kind": AccountKind.LIABILITY,
            "normal_balance": Side.CREDIT,
            "currency": currency,
            "allow_negative": False,
        },
    )
    return account


def wallet_and_system_accounts(user, currency: str, roles) -> tuple[LedgerAccount, dict[str, LedgerAccount]]:
    """The user's wallet account and several system accounts of one currency in one query; missing
    ones are created as `wallet_account` / `system_account` would."""
    wallet_code = f"user:{user.pk}:wallet:{currency}"
    codes = {f"system:{role}:{currency}": role for role in roles}
    found = {a.code: a for a in LedgerAccount.objects.filter(code__in=[wallet_code, *codes]).order_by()}
    wallet = found.get(wallet_code) or wallet_account(user, currency)
    system = {role: found.get(code) or system_account(role, currency) for code, role in codes.items()}
    return wallet, system


def accounts_lock(ids) -> dict[int, LedgerAccount]:
    """select_for_update in primary-key order, so concurrent entries never deadlock. For a caller that
    must read balances before it writes an entry on the same accounts (in the same transaction)."""
    return _lock_accounts(ids)


def _lock_accounts(ids) -> dict[int, LedgerAccount]:
    """select_for_update in primary-key order, so concurrent entries never deadlock."""
    return {
        a.pk: a
        for a in LedgerAccount.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")
    }


def _validate(lines: list[Line]) -> None:
    if len(lines) < 2:
        raise ValueError("an entry needs at least two postings")
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        if not isinstance(line.amount, int) or isinstance(line.amount, bool) or line.amount <= 0:
            raise ValueError(f"posting amounts must be positive integers, got {line.amount!r}")
        if line.side not in (Side.DEBIT, Side.CREDIT):
            raise ValueError(line.side)
        totals[line.account.currency] += line.amount if line.side == Side.DEBIT else -line.amount
    unbalanced = {c: t for c, t in totals.items() if t}
    if unbalanced:
        raise ValueError(f"entry does not balance: {unbalanced}")


def _apply(account: LedgerAccount, side: str, amount: int, *, bucket: str, sign: int = 1) -> None:
    field = f"{bucket}_{'debits' if side == Side.DEBIT else 'credits'}"
    setattr(account, field, getattr(account, field) + sign * amount)


def _duplicate_entry() -> WalletError:
    return WalletError("duplicate_entry", _("This operation was already recorded."))


def _system_balance() -> WalletError:
    return WalletError("system_balance", _("This operation cannot be completed right now."))


def _check_available(accounts) -> None:
    for account in accounts:
        if not account.allow_negative and account.available_balance < 0:
            if account.owner_id is not None:
                raise insufficient_funds()
            raise _system_balance()


def _save(accounts) -> None:
    for account in accounts:
        account.version += 1
        account.save(
            update_fields=["posted_debits", "posted_credits", "pending_debits", "pending_credits", "version"]
        )


def entry_create(
    *,
    key: str,
    kind: str,
    lines: list[Line],
    pending: bool = False,
    reference: str = "",
    description: str = "",
    created_by=None,
    expires_at: datetime | None = None,
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Write a balanced entry. Pending entries reserve funds (count against available balance).
    One transaction (or savepoint) per entry; a repeated key or a balance the database's own CHECK
    refuses surfaces as a WalletError, with nothing written."""
    _validate(lines)
    write = _entry_create_postgres if connection.vendor == "postgresql" else _entry_create_python
    return write(
        key=key,
        kind=kind,
        lines=lines,
        pending=pending,
        reference=reference,
        description=description,
        created_by=created_by,
        expires_at=expires_at,
        reverses=reverses,
    )


def _entry_create_python(**fields) -> JournalEntry:
    """The ORM path (SQLite): a transaction, or a savepoint inside the caller's."""
    try:
        with transaction.atomic():
            return _entry_write(**fields)
    except IntegrityError as error:
        raise _integrity_error(error) from None


def _integrity_error(error: IntegrityError) -> WalletError:
    if "idempotency_key" in str(error) or "wallet_journalentry" in str(error):
        return _duplicate_entry()
    return insufficient_funds()  # invariant 3, enforced by the database as the last line


# the placeholders of the function's 14 arguments (entry_function_params)
ENTRY_FUNCTION_ARGS = "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::bigint[], %s::varchar[], %s::bigint[]"
ENTRY_CREATE_SQL = f"SELECT okpay_ledger_entry_create({ENTRY_FUNCTION_ARGS})"
DUPLICATE, INSUFFICIENT_FUNDS, SYSTEM_BALANCE = 0, -1, -2  # the function's refusals (nothing written)


def entry_function_params(
    *,
    key: str,
    kind: str,
    lines: list[Line],
    pending: bool = False,
    reference: str = "",
    description: str = "",
    created_by=None,
    expires_at: datetime | None = None,
    reverses: JournalEntry | None = None,
) -> tuple[JournalEntry, list]:
    """PostgreSQL: the unsaved entry and the 14 arguments of `okpay_ledger_entry_create` for it (in
    ENTRY_CREATE_SQL's order). For `entry_create` and for another app's database function that
    calls the ledger's function among its own writes; `entry_function_result` reads its answer."""
    _validate(lines)
    entry = JournalEntry(
        idempotency_key=key,
        kind=str(kind),
        status=EntryStatus.PENDING if pending else EntryStatus.POSTED,
        reference=reference,
        description=description[:300],
        created_by=created_by,
        expires_at=expires_at,
        posted_at=None if pending else timezone.now(),
        reverses=reverses,
    )
    params = [
        entry.idempotency_key,
        entry.kind,
        str(entry.status),
        entry.reference,
        entry.description,
        entry.created_by_id,
        entry.created_at,
        entry.effective_at,
        entry.posted_at,
        entry.expires_at,
        entry.reverses_id,
        [line.account.pk for line in lines],
        [str(line.side) for line in lines],
        [line.amount for line in lines],
    ]
    return entry, params


def entry_function_result(entry: JournalEntry, result: int) -> JournalEntry:
    """The entry written by `okpay_ledger_entry_create` (its id as `result`), or the WalletError of
    its refusal (nothing written)."""
    if result == DUPLICATE:
        raise _duplicate_entry()
    if result == INSUFFICIENT_FUNDS:
        raise insufficient_funds()
    if result == SYSTEM_BALANCE:
        raise _system_balance()
    entry.pk = result
    entry._state.adding, entry._state.db = False, connection.alias
    return entry


def _entry_create_postgres(**fields) -> JournalEntry:
    """One round trip: the function locks, checks, inserts and updates (migration 0005). Outside a
    transaction the statement is its own; inside one it runs in a savepoint, as the Python path does,
    so a caller's transaction survives a refusal."""
    entry, params = entry_function_params(**fields)
    try:
        if connection.in_atomic_block:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(ENTRY_CREATE_SQL, params)
                (result,) = cursor.fetchone()
        else:
            with connection.cursor() as cursor:
                cursor.execute(ENTRY_CREATE_SQL, params)
                (result,) = cursor.fetchone()
    except IntegrityError as error:
        raise _integrity_error(error) from None
    return entry_function_result(entry, result)


def _entry_write(*, key, kind, lines, pending, reference, description, created_by, expires_at, reverses):
    accounts = _lock_accounts(line.account.pk for line in lines)
    for line in lines:
        _apply(accounts[line.account.pk], line.side, line.amount, bucket="pending" if pending else "posted")
    _check_available(accounts.values())
    entry = JournalEntry.objects.create(
        idempotency_key=key,
        kind=kind,
        status=EntryStatus.PENDING if pending else EntryStatus.POSTED,
        reference=reference,
        description=description[:300],
        created_by=created_by,
        expires_at=expires_at,
        posted_at=None if pending else timezone.now(),
        reverses=reverses,
    )
    Posting.objects.bulk_create(
        [
            Posting(
                entry=entry,
                account=accounts[line.account.pk],
                side=line.side,
                amount=line.amount,
                currency=accounts[line.account.pk].currency,
            )
            for line in lines
        ]
    )
    _save(accounts.values())
    return entry


def _locked_entry(entry: JournalEntry) -> tuple[JournalEntry, list[Posting], dict[int, LedgerAccount]]:
    entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
    postings = list(entry.postings.all())
    accounts = _lock_accounts(p.account_id for p in postings)
    return entry, postings, accounts


@transaction.atomic
def entry_post(entry: JournalEntry, *, amount: int | None = None) -> JournalEntry:
    """Pending → posted, exactly once. `amount` posts a two-posting entry for less, releasing the rest."""
    entry, postings, accounts = _locked_entry(entry)
    if entry.status != EntryStatus.PENDING:
        raise WalletError("entry_not_pending", _("This transaction has already been completed or cancelled."))
    if amount is not None and (
        len(postings) != 2 or not isinstance(amount, int) or not 0 < amount <= postings[0].amount
    ):
        raise ValueError("partial posting needs a two-posting entry and 0 < amount <= the pending amount")
    for posting in postings:
        account = accounts[posting.account_id]
        _apply(account, posting.side, posting.amount, bucket="pending", sign=-1)
        if amount is not None and amount != posting.amount:
            posting.amount = amount
            posting.save(update_fields=["amount"])  # still pending here: posted postings are never changed
        _apply(account, posting.side, posting.amount, bucket="posted")
    _check_available(accounts.values())
    _save(accounts.values())
    entry.status, entry.posted_at, entry.closed_at = EntryStatus.POSTED, timezone.now(), timezone.now()
    entry.save(update_fields=["status", "posted_at", "closed_at"])
    return entry


@transaction.atomic
def entry_void(entry: JournalEntry, *, status: str = EntryStatus.VOIDED) -> JournalEntry:
    """Pending → voided (or expired), exactly once: the reservation is released in full."""
    entry, postings, accounts = _locked_entry(entry)
    if entry.status != EntryStatus.PENDING:
        raise WalletError("entry_not_pending", _("This transaction has already been completed or cancelled."))
    for posting in postings:
        _apply(accounts[posting.account_id], posting.side, posting.amount, bucket="pending", sign=-1)
    _save(accounts.values())
    entry.status, entry.closed_at = status, timezone.now()
    entry.save(update_fields=["status", "closed_at"])
    return entry


def entry_reverse(entry: JournalEntry, *, key: str, created_by=None, description: str = "") -> JournalEntry:
    """Correct a posted entry with a new entry that swaps every side (posted entries never change)."""
    if entry.status != EntryStatus.POSTED:
        raise WalletError("entry_not_posted", _("Only completed transactions can be reversed."))
    lines = [
        Line(p.account, Side.CREDIT if p.side == Side.DEBIT else Side.DEBIT, p.amount)
        for p in entry.postings.select_related("account")
    ]
    return entry_create(
        key=key,
        kind="reversal",
        lines=lines,
        reference=entry.reference,
        reverses=entry,
        description=description or f"reversal of entry {entry.pk}",
        created_by=created_by,
    )


def entries_expire(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    expired = 0
    for entry in JournalEntry.objects.filter(status=EntryStatus.PENDING, expires_at__lt=now).only("pk"):
        try:
            entry_void(entry, status=EntryStatus.EXPIRED)
            expired += 1
        except WalletError:
            continue  # closed by someone else meanwhile
    return expired


def ledger_verify() -> list[str]:
    """Recompute every balance from postings and check the invariants of domain.md. Returns breaches."""
    problems: list[str] = []
    sums: dict[tuple[int, str, str], int] = defaultdict(int)
    rows = Posting.objects.values("account_id", "side", "entry__status").annotate(total=Sum("amount"))
    for row in rows:
        bucket = {"posted": "posted", "pending": "pending"}.get(row["entry__status"])
        if bucket:
            sums[(row["account_id"], bucket, row["side"])] += row["total"]
    trial: dict[str, int] = defaultdict(int)
    for account in LedgerAccount.objects.all().iterator():
        for bucket in ("posted", "pending"):
            for side in (Side.DEBIT, Side.CREDIT):
                cached = getattr(account, f"{bucket}_{side}s")
                actual = sums.get((account.pk, bucket, side), 0)
                if cached != actual:
                    problems.append(f"{account.code}: cached {bucket} {side}s {cached} != postings {actual}")
        if not account.allow_negative and account.available_balance < 0:
            problems.append(f"{account.code}: available balance {account.available_balance} < 0")
        trial[account.currency] += account.posted_debits - account.posted_credits
    problems += [f"trial balance {currency} off by {total}" for currency, total in trial.items() if total]
    signed = Case(
        When(side=Side.DEBIT, then="amount"),
        When(side=Side.CREDIT, then=-F("amount")),
        output_field=BigIntegerField(),
    )
    for imbalance in Posting.objects.values("entry_id", "currency").annotate(net=Sum(signed)).exclude(net=0):
        problems.append(
            f"entry {imbalance['entry_id']} does not balance in {imbalance['currency']} ({imbalance['net']})"
        )
    for entry in JournalEntry.objects.annotate(n=Count("postings")).filter(n__lt=2):
        problems.append(f"entry {entry.pk} has {entry.n} posting(s)")
    mismatched = Posting.objects.exclude(currency=F("account__currency")).count()
    if mismatched:
        problems.append(f"{mismatched} posting(s) in a currency other than their account's")
    if Posting.objects.filter(amount__lte=0).exists():
        problems.append("non-positive posting amounts")
    return problems
