"""Customers, orders, refunds and events over HTTP: parse, authorise, call the service, reply."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import ValidationError

from guanxi.customers import consents, events as events_service, ingest, products, profiles, refunds
from guanxi.customers.schemas import (
    BatchItemResult, BatchResults, ConsentChange, CustomerCreate, CustomerCreated, CustomerPublic,
    CustomersPage, CustomerSummary, CustomerUpdate, EventBatch, EventCreate, OrderBatch, OrderCreate,
    OrderCreated, RefundCreate, RefundCreated, StockUpdate, StockUpdated,
)
from guanxi.db import commit_retrying_conflicts
from guanxi.deps import CustomerReader, CustomerWriter, OrderWriter, RuntimeDep, SessionDep
from guanxi.pagination import MAX_LIMIT, decode_cursor, next_cursor
from guanxi.privacy import audit
from guanxi.schemas import IdPath
from guanxi.staff.roles import Perm

router = APIRouter(prefix="/api/v1", tags=["customers"])


def _errors(exc: ValidationError) -> list[dict]:
    return [{"loc": list(e["loc"]), "msg": e["msg"].removeprefix("Value error, ")} for e in exc.errors()]


@router.post("/customers", response_model=CustomerCreated, status_code=201,
             responses={200: {"model": CustomerCreated, "description": "An existing customer, updated"}})
def upsert_customer(body: CustomerCreate, actor: CustomerWriter, session: SessionDep, runtime: RuntimeDep,
                    response: Response) -> CustomerCreated:
    """Create a customer, or update the one any of the given identities already belongs to."""
    customer_id, created = profiles.upsert_customer(session, runtime.cipher, body.person())
    session.commit()
    response.status_code = 201 if created else 200
    return CustomerCreated(id=customer_id, created=created)


@router.get("/customers", response_model=CustomersPage)
def search_customers(
    actor: CustomerReader, session: SessionDep, runtime: RuntimeDep,
    q: Annotated[str | None, Query(max_length=200, description="exact e-mail or phone, id, or name prefix")] = None,
    tag: Annotated[str | None, Query(max_length=60)] = None,
    channel: Annotated[str | None, Query(max_length=40)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> CustomersPage:
    rows = profiles.search(session, runtime.cipher, q, tag=tag, channel=channel,
                           region=runtime.settings.default_region, after_id=decode_cursor(cursor), limit=limit)
    reveal = actor.can(Perm.customers_read_pii)
    items = [CustomerSummary(**profiles.summary(c, runtime.cipher, reveal=reveal)) for c in rows]
    return CustomersPage(items=items, next_cursor=next_cursor(rows, limit))


@router.get("/customers/{customer_id}", response_model=CustomerPublic)
def get_customer(customer_id: IdPath, actor: CustomerReader, session: SessionDep, runtime: RuntimeDep,
                 reveal: Annotated[bool, Query(description="personal data in full (audited) when the role allows")] = True
                 ) -> CustomerPublic:
    """The customer 360. Roles without personal-data access see it masked; every full read is audited."""
    full = reveal and actor.can(Perm.customers_read_pii)
    data = profiles.view(session, runtime.cipher, customer_id, reveal=full)
    if full:
        audit.record_pii_read(session, actor, "customer", data["id"],
                              threshold_per_hour=runtime.settings.pii_alert_per_hour)
        session.commit()
    return CustomerPublic(**data)


@router.patch("/customers/{customer_id}", response_model=CustomerCreated)
def update_customer(customer_id: IdPath, body: CustomerUpdate, actor: CustomerWriter, session: SessionDep,
                    runtime: RuntimeDep) -> CustomerCreated:
    customer = profiles.update_profile(session, runtime.cipher, customer_id, body.model_dump(exclude_none=True))
    session.commit()
    return CustomerCreated(id=customer.id, created=False)


@router.post("/customers/{customer_id}/consents", status_code=201)
def change_consent(customer_id: IdPath, body: ConsentChange, actor: CustomerWriter, session: SessionDep) -> dict:
    customer = profiles.live_customer(session, customer_id)
    row = consents.set_consent(session, customer.id, body.channel, body.purpose, body.granted,
                               source=body.source or actor.ref, notice_version=body.notice_version)
    session.commit()
    return {"id": row.id, "channel": row.channel, "purpose": row.purpose, "granted": row.granted,
            "at": row.at.isoformat()}


@router.post("/orders", response_model=OrderCreated, status_code=201,
             responses={200: {"model": OrderCreated, "description": "Seen before: the same ids"}})
def create_order(body: OrderCreate, actor: OrderWriter, session: SessionDep, runtime: RuntimeDep,
                 response: Response) -> OrderCreated:
    """Record an order; idempotent on (source, external_id), a new status updates it."""
    [result] = _ingest_with_retry(session, runtime, [body.record()])
    response.status_code = 201 if result.created else 200
    return OrderCreated(id=result.id, customer_id=result.customer_id)


def _ingest_with_retry(session, runtime, records):
    return commit_retrying_conflicts(session, lambda: ingest.ingest_orders(session, runtime.cipher, records))


@router.post("/orders/batch", response_model=BatchResults)
def create_orders(body: OrderBatch, actor: OrderWriter, session: SessionDep, runtime: RuntimeDep) -> BatchResults:
    """Up to 1,000 orders: a result per order; a bad order fails alone and the rest are kept."""
    results: list[BatchItemResult | None] = [None] * len(body.orders)
    valid, index = [], []
    for i, raw in enumerate(body.orders):
        try:
            valid.append(OrderCreate.model_validate(raw).record())
            index.append(i)
        except ValidationError as exc:
            results[i] = BatchItemResult(index=i, status=422, errors=_errors(exc))
    if valid:
        for i, r in zip(index, _ingest_with_retry(session, runtime, valid), strict=True):
            results[i] = BatchItemResult(index=i, status=201 if r.created else 200, id=r.id, customer_id=r.customer_id)
    return BatchResults(results=results)


@router.post("/orders/{order_id}/refunds", response_model=RefundCreated, status_code=201,
             responses={200: {"model": RefundCreated, "description": "Seen before"}})
def create_refund(order_id: IdPath, body: RefundCreate, actor: OrderWriter, session: SessionDep,
                  response: Response) -> RefundCreated:
    """Refund by amount or by lines; idempotent on external_id; 422 when more than was paid."""
    lines = [refunds.RefundLineIn(l.sku, l.quantity) for l in body.lines] if body.lines else None
    refund, created = refunds.refund_order(session, order_id, body.external_id, amount_minor=body.amount_minor,
                                           lines=lines)
    from guanxi.customers.models import Order

    status = session.get(Order, order_id).status
    session.commit()
    response.status_code = 201 if created else 200
    return RefundCreated(id=refund.id, order_id=order_id, amount_minor=refund.amount_minor, order_status=status)


@router.post("/products/stock", response_model=StockUpdated)
def update_stock(body: StockUpdate, actor: OrderWriter, session: SessionDep) -> StockUpdated:
    """Units on hand for up to 1,000 SKUs (unknown SKUs become products); recommendations leave out
    products with 0. Sending the same figures again changes nothing."""
    result = products.set_stock(session, {item.sku: item.stock for item in body.items})
    session.commit()
    return StockUpdated(**result)


@router.post("/events", response_model=BatchResults)
def create_events(body: EventBatch, actor: OrderWriter, session: SessionDep, runtime: RuntimeDep) -> BatchResults:
    """Up to 1,000 customer events; a result per event; idempotent on (source, external_id)."""
    results: list[BatchItemResult | None] = [None] * len(body.events)
    valid, index = [], []
    for i, raw in enumerate(body.events):
        try:
            e = EventCreate.model_validate(raw)
        except ValidationError as exc:
            results[i] = BatchItemResult(index=i, status=422, errors=_errors(exc))
            continue
        if e.customer_id is not None:
            try:
                profiles.live_customer(session, e.customer_id)
            except Exception as exc:  # NotFound: this event fails alone
                results[i] = BatchItemResult(index=i, status=422,
                                             errors=[{"loc": ["customer_id"], "msg": str(exc)}])
                continue
        valid.append(events_service.EventIn(
            kind=e.kind, occurred_at=e.occurred_at, person=e.customer.person(e.source) if e.customer else None,
            customer_id=e.customer_id, source=e.source, external_id=e.external_id, properties=e.properties))
        index.append(i)
    if valid:
        stored = events_service.record_events(session, runtime.cipher, valid)
        session.commit()
        for i, (eid, cid, created) in zip(index, stored, strict=True):
            results[i] = BatchItemResult(index=i, status=201 if created else 200, id=eid, customer_id=cid)
    return BatchResults(results=results)
