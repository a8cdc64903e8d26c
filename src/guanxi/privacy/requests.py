"""A person's privacy requests: export of everything held about them, and erasure.

Every domain takes part through `customers.hooks`: an exporter returns the domain's data
about the person, an eraser removes or irreversibly anonymises it. This module only
orchestrates, audits, and makes the result JSON-able. Exporters and erasers take just a
session and a customer id; those that hold encrypted data find this request's cipher
with `cipher_of(session)`.
"""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from guanxi.customers import hooks, profiles
from guanxi.customers.models import Customer
from guanxi.db import utcnow
from guanxi.errors import NotFound
from guanxi.privacy import audit
from guanxi.privacy.audit import AuditKind
from guanxi.privacy.crypto import PiiCipher
from guanxi.staff.roles import Actor

EXPORT_FORMAT = "guanxi-export/1"
_CIPHER = "guanxi.privacy.cipher"
# The customers domain erases last: the other domains may still read the profile.
_LAST = "customers"


def cipher_of(session: Session) -> PiiCipher:
    try:
        return session.info[_CIPHER]
    except KeyError:
        raise RuntimeError("no privacy request is running in this session") from None


def _check_registered(registry: dict) -> None:
    if _LAST not in registry:
        # Without the customers domain an export would be empty and an erasure would erase nothing.
        raise RuntimeError("the customers domain's privacy hooks are not loaded: import guanxi.customers.privacy_hooks")


def export(session: Session, cipher: PiiCipher, customer_id: int, actor: Actor, *,
           alert_per_hour: int | None = None) -> dict:
    """One JSON-able document with everything held about the person, from every domain; audited."""
    _check_registered(hooks.exporters)
    person = profiles.live_customer(session, customer_id)
    session.info[_CIPHER] = cipher
    try:
        domains = {name: func(session, person.id) for name, func in hooks.exporters.items()}
    finally:
        session.info.pop(_CIPHER, None)
    document = {"format": EXPORT_FORMAT, "customer_id": person.id, "requested_id": customer_id,
                "exported_at": utcnow(), "domains": domains}
    details = {"domains": sorted(domains)}
    if alert_per_hour is None:
        audit.record(session, AuditKind.pii_exported, actor, subject_type="customer", subject_id=person.id, **details)
    else:
        audit.record_pii_read(session, actor, "customer", person.id, threshold_per_hour=alert_per_hour,
                              kind=AuditKind.pii_exported, **details)
    return jsonable(document)


def erase(session: Session, cipher: PiiCipher, customer_id: int, actor: Actor) -> dict:
    """Erase the person's personal data in every domain; orders stay, linked to a pseudonymous stub.

    Erasing a profile merged into another erases the person it was merged into. Erasing again
    changes nothing and answers with the first erasure's time.
    """
    _check_registered(hooks.erasers)
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"no customer {customer_id}")
    if customer.status == "erased":
        return {"id": customer.id, "status": "erased", "erased_at": jsonable(customer.erased_at),
                "already_erased": True, "domains": {}}
    person_id = profiles.live_customer(session, customer_id).id
    order = sorted(hooks.erasers.items(), key=lambda item: item[0] == _LAST)
    session.info[_CIPHER] = cipher
    try:
        # Erasers may return counts (never personal data) for the audit row.
        summary = {name: func(session, person_id) for name, func in order}
    finally:
        session.info.pop(_CIPHER, None)
    summary = {name: result if isinstance(result, dict) else {} for name, result in summary.items()}
    audit.record(session, AuditKind.customer_erased, actor, subject_type="customer", subject_id=person_id,
                 requested_id=customer_id, domains=summary)
    session.flush()
    return {"id": person_id, "status": "erased", "erased_at": jsonable(session.get(Customer, person_id).erased_at),
            "already_erased": False, "domains": summary}


def jsonable(value: Any) -> Any:
    """Datetimes as ISO 8601, decimals as text, bytes as base64: what json.dumps takes as is."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value
