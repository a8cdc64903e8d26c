from __future__ import annotations

import datetime as dt
from typing import Any

from guanxi.schemas import PublicModel


class AuditEntryPublic(PublicModel):
    id: int
    at: dt.datetime
    actor: str
    actor_role: str
    kind: str
    subject_type: str | None
    subject_id: str | None
    request_id: str | None
    details: dict[str, Any]


class AuditPage(PublicModel):
    items: list[AuditEntryPublic]
    next_cursor: str | None


class AlertPublic(PublicModel):
    id: int
    at: dt.datetime
    kind: str
    actor: str | None
    message: str
    acknowledged_at: dt.datetime | None


class AlertsPublic(PublicModel):
    items: list[AlertPublic]
    count: int
