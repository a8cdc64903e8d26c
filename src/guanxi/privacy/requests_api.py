"""Privacy requests over HTTP: a person's data export and erasure (privacy officers only)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from guanxi.deps import PrivacyOfficer, RuntimeDep, SessionDep
from guanxi.privacy import requests
from guanxi.schemas import IdPath

router = APIRouter(prefix="/api/v1", tags=["privacy"])


@router.get("/customers/{customer_id}/export")
def export_customer(customer_id: IdPath, actor: PrivacyOfficer, session: SessionDep, runtime: RuntimeDep,
                    response: Response) -> dict:
    """Everything held about the person, from every domain, as one JSON document (audited)."""
    document = requests.export(session, runtime.cipher, customer_id, actor,
                               alert_per_hour=runtime.settings.pii_alert_per_hour)
    session.commit()
    response.headers["Content-Disposition"] = f'attachment; filename="customer-{document["customer_id"]}-export.json"'
    response.headers["Cache-Control"] = "no-store"
    return document


@router.post("/customers/{customer_id}/erasure")
def erase_customer(customer_id: IdPath, actor: PrivacyOfficer, session: SessionDep, runtime: RuntimeDep) -> dict:
    """Erase the person's personal data in every domain; orders stay for accounting, linked to a
    pseudonymous stub. Afterwards the old e-mail or phone finds nobody. Repeating it changes nothing."""
    result = requests.erase(session, runtime.cipher, customer_id, actor)
    session.commit()
    return result
