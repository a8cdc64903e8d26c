"""What a template sees for one real customer: the same shape as templates.SAMPLE_CONTEXT.

Points and tier come from whichever domain registers a provider (loyalty, when it lands);
until then they are 0 and "". A customer who withdrew personalisation gets a neutral
greeting and no recommendations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from guanxi.customers import consents, profiles
from guanxi.customers.models import Customer
from guanxi.privacy.crypto import PiiCipher

# name -> (session, customer_id) -> fields merged into context["customer"], e.g. {"points": 120, "tier": "gold"}
customer_fields: dict[str, Callable[[Session, int], dict[str, Any]]] = {}
# The same fields for many customers at once (session, [ids]) -> {id: fields}: queueing a large audience
# uses it instead of the one-customer provider of the same name, when both are registered.
customer_fields_many: dict[str, Callable[[Session, list[int]], dict[int, dict[str, Any]]]] = {}
# (session, customer_id) -> [{"sku": ..., "name": ...}]; analytics may register one
product_recommender: list[Callable[[Session, int], list[dict]]] = []

COMPOUND_SURNAMES = {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
                     "司徒", "夏侯", "令狐", "轩辕", "端木", "独孤", "南宫", "西门", "百里", "呼延", "澹台"}
NEUTRAL_NAME = {"zh-CN": "会员", "en": "member"}
EMPTY_OFFER = {"kind": "", "code": "", "title": "", "points": 0, "expires": ""}
EMPTY_ORDER = {"id": 0, "external_id": "", "placed_at": "", "delivered_at": "", "total": ""}


def personalisation_withdrawn(session: Session, customer_id: int, state: dict | None = None) -> bool:
    state = consents.current(session, customer_id) if state is None else state
    row = state.get(("any", "personalisation"))
    return row is not None and not row.granted


def fields_for(session: Session, customer_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The providers' customer fields for many customers, batched where a provider can."""
    out: dict[int, dict[str, Any]] = {cid: {} for cid in customer_ids}
    for name, provide in customer_fields.items():
        many = customer_fields_many.get(name)
        if many is not None:
            found = many(session, customer_ids)
            for cid in customer_ids:
                out[cid].update(found.get(cid, {}))
        else:
            for cid in customer_ids:
                out[cid].update(provide(session, cid))
    return out


def first_name(name: str) -> str:
    name = name.strip()
    if not name:
        return ""
    if " " in name:
        return name.split()[0]
    # Chinese names: the given name follows a one-character family name, or a two-character one (欧阳, 司马 ...)
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[2:]
    return name[1:] if len(name) in (2, 3) else name


def message_context(session: Session, cipher: PiiCipher, customer_id: int, *, shop_name: str,
                    locale: str | None = None, offer: dict | None = None, occasion: dict | None = None,
                    order: dict | None = None, links: dict | None = None, customer: Customer | None = None,
                    consent_state: dict | None = None, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """`customer`, `consent_state` and `fields` are what a batch already loaded (facts.live_customers,
    facts.consent_states, fields_for); without them each is looked up here."""
    c = customer if customer is not None else profiles.live_customer(session, customer_id)
    loc = locale or c.locale or "zh-CN"
    personal = not personalisation_withdrawn(session, c.id, consent_state)
    name = (cipher.decrypt(c.name_enc, context="name") or "") if personal else ""
    birthday = cipher.decrypt(c.birthday_enc, context="birthday") if personal else None
    customer = {"id": c.id, "name": name or NEUTRAL_NAME.get(loc, "member"),
                "first_name": first_name(name) or NEUTRAL_NAME.get(loc, "member"),
                "city": (c.city or "") if personal else "", "locale": loc, "tier": "", "points": 0,
                "birthday": (birthday or "")[-5:], "member_since": c.created_at.date().isoformat()}
    if fields is not None:
        customer.update(fields)
    else:
        for provide in customer_fields.values():
            customer.update(provide(session, c.id))
    products = []
    if personal:
        for recommend in product_recommender:
            products = recommend(session, c.id)
    return {
        "customer": customer,
        "offer": {**EMPTY_OFFER, **(offer or {})},
        "occasion": {"key": "", "date": "", "time": "", "title": "", "link": "", **(occasion or {})},
        "order": {**EMPTY_ORDER, **(order or {})},
        "products": products,
        "shop": {"name": shop_name},
        "links": {"unsubscribe": "", "preferences": "", **(links or {})},
        "personalised": personal,
    }
