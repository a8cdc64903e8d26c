"""The store-credit wallet over HTTP: a member's balances and ledger, staff goodwill credit, and checkout spending."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from guanxi.customers import profiles
from guanxi.deps import CustomerReader, LoyaltyAdjuster, OrderWriter, SessionDep
from guanxi.loyalty import wallet
from guanxi.loyalty.schemas import (
    WalletCreditCreate, WalletDebitCreate, WalletEntryPublic, WalletMovePublic, WalletPublic, WalletReversalCreate,
)
from guanxi.schemas import IdPath

router = APIRouter(tags=["loyalty"])  # included by loyalty.api under /api/v1
REPLAYED = {200: {"model": WalletMovePublic, "description": "The same idempotency key seen before"}}


def _moved(session, done: wallet.Moved, response: Response, created_status: int = 201) -> WalletMovePublic:
    session.commit()
    response.status_code = created_status if done.created else 200
    balance = next((b["balance_minor"] for b in wallet.balances(session, done.entry.customer_id)
                    if b["currency"] == done.entry.currency), 0)
    return WalletMovePublic(entry=WalletEntryPublic.model_validate(done.entry), balance_minor=balance)


@router.get("/customers/{customer_id}/wallet", response_model=WalletPublic)
def get_wallet(customer_id: IdPath, actor: CustomerReader, session: SessionDep,
               limit: Annotated[int, Query(ge=1, le=500)] = 50) -> WalletPublic:
    """The member's store credit per currency and its ledger, newest first."""
    customer_id = profiles.live_customer(session, customer_id).id
    return WalletPublic(balances=wallet.balances(session, customer_id),
                        entries=[WalletEntryPublic.model_validate(e)
                                 for e in wallet.entries_of(session, customer_id, limit)])


@router.post("/customers/{customer_id}/wallet/credits", response_model=WalletMovePublic, status_code=201,
             responses=REPLAYED)
def credit_wallet(customer_id: IdPath, body: WalletCreditCreate, actor: LoyaltyAdjuster, session: SessionDep,
                  response: Response) -> WalletMovePublic:
    """Staff goodwill money, within the role's limit; audited."""
    done = wallet.goodwill(session, customer_id, body.amount_minor, body.currency, body.reason,
                           body.idempotency_key, actor)
    return _moved(session, done, response)


@router.post("/customers/{customer_id}/wallet/debits", response_model=WalletMovePublic, status_code=201,
             responses=REPLAYED)
def debit_wallet(customer_id: IdPath, body: WalletDebitCreate, actor: OrderWriter, session: SessionDep,
                 response: Response) -> WalletMovePublic:
    """Spend store credit at checkout; 409 when the wallet does not hold enough; a replayed key spends nothing."""
    done = wallet.debit(session, customer_id, body.amount_minor, body.currency, body.idempotency_key,
                        order_ref=body.order_ref, actor=actor.ref)
    return _moved(session, done, response)


@router.post("/customers/{customer_id}/wallet/entries/{entry_id}/reversal", response_model=WalletMovePublic,
             status_code=201, responses=REPLAYED)
def reverse_wallet_entry(customer_id: IdPath, entry_id: IdPath, body: WalletReversalCreate, actor: OrderWriter,
                         session: SessionDep, response: Response) -> WalletMovePublic:
    """Undo a credit or a debit (a cancelled order gives its store credit back); once per entry."""
    done = wallet.reverse(session, customer_id, entry_id, reason=body.reason, actor=actor.ref)
    return _moved(session, done, response)
