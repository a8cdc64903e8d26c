"""Points and store credit in a customer's life: the timeline, the person's export, erasure, merge and unmerge."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from guanxi.customers import hooks
from guanxi.loyalty import store, wallet
from guanxi.loyalty.models import (CouponUse, EventAward, GiftGrant, LoyaltyEvent, PointEntry, PointLot, Redemption,
                                   TierStatus, WalletEntry)

MOVED = {"loyalty_lots": PointLot, "loyalty_entries": PointEntry, "loyalty_redemptions": Redemption,
         "loyalty_events": LoyaltyEvent, "loyalty_event_awards": EventAward, "loyalty_gift_grants": GiftGrant}
SUMMARIES = {"earn": "earned {n} points", "adjust": "{n:+} points (goodwill)", "spend": "redeemed {m} points",
             "lock": "reserved {m} points", "release": "{n} reserved points given back", "expire": "{m} points expired",
             "reverse": "{m} points taken back (refund)", "confirm": "redemption confirmed"}


@hooks.timeline("loyalty")
def points_timeline(session: Session, customer_id: int, limit: int) -> list[dict]:
    rows = session.scalars(select(PointEntry).where(PointEntry.customer_id == customer_id)
                           .order_by(PointEntry.at.desc(), PointEntry.id.desc()).limit(limit))
    return [{"at": e.at, "kind": f"points_{e.kind}", "entry_id": e.id, "points": e.points,
             "summary": SUMMARIES.get(e.kind, e.kind).format(n=e.points, m=-e.points)
             + (f": {e.reason}" if e.reason else "")} for e in rows]


@hooks.exporter("loyalty")
def export_points(session: Session, customer_id: int) -> dict:
    entries = session.scalars(select(PointEntry).where(PointEntry.customer_id == customer_id).order_by(PointEntry.id))
    tier = session.get(TierStatus, customer_id)
    return {"balance": store.balance_of(session, customer_id), "tier": tier.tier_code if tier else None,
            "entries": [{"at": e.at.isoformat(), "kind": e.kind, "points": e.points, "reason": e.reason}
                        for e in entries]}


@hooks.eraser("loyalty")
def erase_points(session: Session, customer_id: int) -> None:
    # The ledger stays (the figures must add up); the free text staff wrote about the person goes.
    session.execute(update(PointEntry).where(PointEntry.customer_id == customer_id, PointEntry.reason.is_not(None))
                    .values(reason=None))


def _unmove_rows(session: Session, models: dict, rows: dict[str, list[int]], merged_id: int, repair) -> None:
    survivors = set()
    for table, model in models.items():
        ids = rows.get(table, [])
        if ids:
            survivors |= set(session.scalars(select(model.customer_id).where(model.id.in_(ids))))
            session.execute(update(model).where(model.id.in_(ids)).values(customer_id=merged_id),
                            execution_options={"synchronize_session": False})
    for cid in survivors | {merged_id}:
        repair(session, cid)


def _move_rows(session: Session, models: dict, from_id: int, to_id: int, repair) -> dict[str, list[int]]:
    moved = {}
    for table, model in models.items():
        moved[table] = sorted(session.scalars(update(model.__table__).where(model.customer_id == from_id)
                                              .values(customer_id=to_id).returning(model.id)))
    repair(session, to_id)
    repair(session, from_id)
    return moved


def _unmove(session: Session, rows: dict[str, list[int]], merged_id: int) -> None:
    _unmove_rows(session, MOVED, rows, merged_id, store.repair)


@hooks.mover("loyalty", _unmove)
def move_points(session: Session, from_id: int, to_id: int) -> dict[str, list[int]]:
    """The merged profile's lots, entries and redemptions join the survivor's; both balances are rebuilt."""
    return _move_rows(session, MOVED, from_id, to_id, store.repair)


# -- store credit ----------------------------------------------------------------------------------

WALLET_MOVED = {"loyalty_wallet_entries": WalletEntry, "loyalty_coupon_uses": CouponUse}


@hooks.timeline("loyalty_wallet")
def wallet_timeline(session: Session, customer_id: int, limit: int) -> list[dict]:
    return [{"at": e.at, "kind": f"store_credit_{e.kind}", "entry_id": e.id, "amount_minor": e.amount_minor,
             "currency": e.currency, "summary": f"store credit {e.kind} {e.amount_minor:+} {e.currency} (minor units)"
             + (f": {e.reason}" if e.reason else "")} for e in wallet.entries_of(session, customer_id, limit)]


@hooks.exporter("loyalty_wallet")
def export_wallet(session: Session, customer_id: int) -> dict:
    entries = session.scalars(select(WalletEntry).where(WalletEntry.customer_id == customer_id)
                              .order_by(WalletEntry.id))
    return {"balances": wallet.balances(session, customer_id),
            "entries": [{"at": e.at.isoformat(), "kind": e.kind, "amount_minor": e.amount_minor,
                         "currency": e.currency, "order_ref": e.order_ref, "reason": e.reason} for e in entries]}


@hooks.eraser("loyalty_wallet")
def erase_wallet(session: Session, customer_id: int) -> None:
    # The money stays accounted for; what staff wrote about the person goes.
    session.execute(update(WalletEntry).where(WalletEntry.customer_id == customer_id, WalletEntry.reason.is_not(None))
                    .values(reason=None))


def _unmove_wallet(session: Session, rows: dict[str, list[int]], merged_id: int) -> None:
    _unmove_rows(session, WALLET_MOVED, rows, merged_id, wallet.repair)


@hooks.mover("loyalty_wallet", _unmove_wallet)
def move_wallet(session: Session, from_id: int, to_id: int) -> dict[str, list[int]]:
    """The merged profile's store credit joins the survivor's wallets; both are rebuilt from the entries."""
    return _move_rows(session, WALLET_MOVED, from_id, to_id, wallet.repair)
