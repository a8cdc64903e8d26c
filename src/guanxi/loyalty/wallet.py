"""The store-credit wallet: money a member holds at the shop, kept apart from points.

Each wallet is one member's balance in one currency (integer minor units). What moves it is an
append-only ledger of credits (+), debits (-) and reversals of earlier entries, each idempotent on
(source, key); the balance row is a cache that `verify()` rebuilds from the entries. Every change
takes the wallet row FOR UPDATE first, so two checkouts spending the same credit queue, and the
second sees what the first spent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.customers import profiles
from guanxi.db import utcnow
from guanxi.dialect import insert_ignoring_conflicts
from guanxi.errors import Conflict, Forbidden, Invalid, NotFound
from guanxi.loyalty.models import Wallet, WalletEntry
from guanxi.money import MAX_MINOR, is_currency
from guanxi.privacy import audit
from guanxi.staff.roles import CREDIT_LIMITS_MINOR, Actor

CREDIT, DEBIT, REVERSAL = "credit", "debit", "reversal"
GOODWILL, CHECKOUT, REFERRAL = "goodwill", "checkout", "referral"


class InsufficientCredit(Conflict):
    """The wallet does not hold enough for the debit (409)."""

    def __init__(self, needed: int, balance: int, currency: str):
        super().__init__(f"the wallet holds {balance} {currency} (minor units), {needed} needed",
                         errors=[{"loc": ["body", "amount_minor"], "msg": f"at most {balance}"}])
        self.needed, self.balance = needed, balance


@dataclass
class Moved:
    entry: WalletEntry
    created: bool


def _check_amount(amount_minor: int, currency: str) -> None:
    if not is_currency(currency):
        raise Invalid(f"{currency!r} is not an ISO 4217 currency code",
                      errors=[{"loc": ["body", "currency"], "msg": "e.g. CNY"}])
    if not 0 < amount_minor <= MAX_MINOR:
        raise Invalid("the amount is a positive number of minor units (fen, cents)",
                      errors=[{"loc": ["body", "amount_minor"], "msg": "> 0"}])


def _open(session: Session, customer_id: int, currency: str) -> Wallet:
    session.execute(insert_ignoring_conflicts(session, Wallet, ["customer_id", "currency"]),
                    {"customer_id": customer_id, "currency": currency, "balance_minor": 0, "updated_at": utcnow()})
    return session.scalar(select(Wallet).where(Wallet.customer_id == customer_id, Wallet.currency == currency)
                          .with_for_update().execution_options(populate_existing=True))


def _seen(session: Session, source: str, ref: str, customer_id: int, amount: int, currency: str
          ) -> WalletEntry | None:
    """The entry this key made before; the same key for a different movement is a mistake (409)."""
    seen = session.scalar(select(WalletEntry).where(WalletEntry.source == source, WalletEntry.ref == ref))
    if seen is not None and (seen.customer_id, seen.amount_minor, seen.currency) != (customer_id, amount, currency):
        raise Conflict(f"idempotency key {ref.split(':', 1)[-1]!r} was used for a different movement "
                       f"({seen.kind} {seen.amount_minor} {seen.currency})")
    return seen


def _move(session: Session, customer_id: int, kind: str, amount: int, currency: str, *, source: str, ref: str,
          reason: str | None, actor: str | None, order_ref: str | None, reverses_id: int | None,
          now: dt.datetime | None) -> Moved:
    seen = _seen(session, source, ref, customer_id, amount, currency)
    if seen is not None:
        return Moved(seen, False)
    wallet = _open(session, customer_id, currency)
    seen = _seen(session, source, ref, customer_id, amount, currency)  # a concurrent twin may have won the lock
    if seen is not None:
        return Moved(seen, False)
    if wallet.balance_minor + amount < 0:
        raise InsufficientCredit(-amount, wallet.balance_minor, currency)
    entry = WalletEntry(customer_id=customer_id, currency=currency, kind=kind, amount_minor=amount, source=source,
                        ref=ref, reverses_id=reverses_id, order_ref=order_ref, reason=reason, actor=actor,
                        at=now or utcnow())
    session.add(entry)
    wallet.balance_minor += amount
    wallet.updated_at = utcnow()
    session.flush()
    return Moved(entry, True)


def credit(session: Session, customer_id: int, amount_minor: int, currency: str, key: str, *, source: str,
           reason: str | None = None, actor: str | None = None, order_ref: str | None = None,
           now: dt.datetime | None = None) -> Moved:
    """Add store credit (a referral reward, a refund to the wallet, goodwill); idempotent on (source, key)."""
    _check_amount(amount_minor, currency)
    customer_id = profiles.live_customer(session, customer_id).id
    return _move(session, customer_id, CREDIT, amount_minor, currency, source=source, ref=f"{customer_id}:{key}",
                 reason=reason, actor=actor, order_ref=order_ref, reverses_id=None, now=now)


def debit(session: Session, customer_id: int, amount_minor: int, currency: str, key: str, *,
          source: str = CHECKOUT, order_ref: str | None = None, reason: str | None = None, actor: str | None = None,
          now: dt.datetime | None = None) -> Moved:
    """Spend store credit (at checkout); InsufficientCredit (409) when the wallet does not cover it."""
    _check_amount(amount_minor, currency)
    customer_id = profiles.live_customer(session, customer_id).id
    return _move(session, customer_id, DEBIT, -amount_minor, currency, source=source, ref=f"{customer_id}:{key}",
                 reason=reason, actor=actor, order_ref=order_ref, reverses_id=None, now=now)


def reverse(session: Session, customer_id: int, entry_id: int, *, reason: str | None = None,
            actor: str | None = None, now: dt.datetime | None = None) -> Moved:
    """Undo a credit or a debit (a cancelled order gives its credit back); once per entry.

    Reversing a credit that has been spent meanwhile is refused (409): the wallet never goes below zero.
    """
    customer_id = profiles.live_customer(session, customer_id).id
    original = session.get(WalletEntry, entry_id)
    if original is None or original.customer_id != customer_id:
        raise NotFound(f"no wallet entry {entry_id} for customer {customer_id}")
    if original.kind == REVERSAL:
        raise Conflict(f"wallet entry {entry_id} is itself a reversal")
    return _move(session, customer_id, REVERSAL, -original.amount_minor, original.currency, source=REVERSAL,
                 ref=str(original.id), reason=reason, actor=actor, order_ref=original.order_ref,
                 reverses_id=original.id, now=now)


def goodwill(session: Session, customer_id: int, amount_minor: int, currency: str, reason: str, key: str,
             actor: Actor, *, now: dt.datetime | None = None) -> Moved:
    """Staff goodwill money: within the role's limit, with a reason, audited; idempotent on `key`."""
    if actor.role not in CREDIT_LIMITS_MINOR:
        raise Forbidden(f"the {actor.role.value} role may not credit store credit")
    limit = CREDIT_LIMITS_MINOR[actor.role]
    if limit is not None and amount_minor > limit:
        raise Forbidden(f"the {actor.role.value} role may credit at most {limit} minor units at a time")
    if not reason.strip():
        raise Invalid("give a reason", errors=[{"loc": ["body", "reason"], "msg": "required"}])
    done = credit(session, customer_id, amount_minor, currency, key, source=GOODWILL, reason=reason.strip(),
                  actor=actor.ref, now=now)
    if done.created:
        audit.record(session, "store_credit_granted", actor, subject_type="customer",
                     subject_id=done.entry.customer_id, amount_minor=amount_minor, currency=currency,
                     reason=reason.strip(), entry_id=done.entry.id)
    return done


def balances(session: Session, customer_id: int) -> list[dict]:
    """[{currency, balance_minor}] for every currency the member has held credit in."""
    rows = session.execute(select(Wallet.currency, Wallet.balance_minor).where(Wallet.customer_id == customer_id)
                           .order_by(Wallet.currency))
    return [{"currency": c, "balance_minor": int(b)} for c, b in rows]


def entries_of(session: Session, customer_id: int, limit: int = 100) -> list[WalletEntry]:
    return list(session.scalars(select(WalletEntry).where(WalletEntry.customer_id == customer_id)
                                .order_by(WalletEntry.at.desc(), WalletEntry.id.desc()).limit(limit)))


def verify(session: Session) -> list[dict]:
    """Every wallet whose cached balance differs from its entries' sum: [{customer_id, currency, cached, rebuilt}]."""
    sums = dict(((cid, cur), int(total)) for cid, cur, total in session.execute(
        select(WalletEntry.customer_id, WalletEntry.currency, func.sum(WalletEntry.amount_minor))
        .group_by(WalletEntry.customer_id, WalletEntry.currency)))
    cached = {(cid, cur): int(bal) for cid, cur, bal in session.execute(
        select(Wallet.customer_id, Wallet.currency, Wallet.balance_minor))}
    problems = []
    for cid, cur in sorted(set(sums) | set(cached)):
        if sums.get((cid, cur), 0) != cached.get((cid, cur), 0):
            problems.append({"customer_id": cid, "wallet": cur, "cached": cached.get((cid, cur), 0),
                             "rebuilt": sums.get((cid, cur), 0)})
    return problems


def repair(session: Session, customer_id: int) -> None:
    """Set the member's wallets from their entries (after a merge or unmerge moved entries between members)."""
    sums = dict(session.execute(select(WalletEntry.currency, func.sum(WalletEntry.amount_minor))
                                .where(WalletEntry.customer_id == customer_id).group_by(WalletEntry.currency)).all())
    for currency in sums:
        _open(session, customer_id, currency)
    for row in session.scalars(select(Wallet).where(Wallet.customer_id == customer_id)
                               .execution_options(populate_existing=True)):
        row.balance_minor, row.updated_at = int(sums.get(row.currency, 0)), utcnow()
    session.flush()


def liability(session: Session) -> list[dict]:
    """Store credit the shop owes, per currency: [{currency, members, outstanding_minor}]."""
    rows = session.execute(select(Wallet.currency, func.count(), func.coalesce(func.sum(Wallet.balance_minor), 0))
                           .where(Wallet.balance_minor > 0).group_by(Wallet.currency).order_by(Wallet.currency))
    return [{"currency": c, "members": int(n), "outstanding_minor": int(total)} for c, n, total in rows]
