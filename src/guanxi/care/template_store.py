"""Saved templates: one per (name, channel, locale), versioned, previewed with a real customer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.care import bridges  # noqa: F401  (loyalty points and tier in the context, when present)
from guanxi.care import templates
from guanxi.care.context import message_context
from guanxi.care.models import CareTemplate
from guanxi.db import utcnow
from guanxi.errors import Invalid, NotFound
from guanxi.privacy import audit
from guanxi.privacy.crypto import PiiCipher
from guanxi.staff.roles import Actor


def save_template(session: Session, actor: Actor, *, name: str, channel: str, locale: str,
                  subject: str | None, body: str) -> CareTemplate:
    """Create or replace a template; it must render against the sample context, or nothing is saved."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid("a template name is 1 to 100 characters", errors=[{"loc": ["body", "name"], "msg": "length"}])
    templates.validate(channel, locale, subject, body)
    row = session.scalar(select(CareTemplate).where(CareTemplate.name == name, CareTemplate.channel == channel,
                                                    CareTemplate.locale == locale).with_for_update())
    if row is None:
        row = CareTemplate(name=name, channel=channel, locale=locale, version=0)
        session.add(row)
    if row.version and row.subject == (subject or None) and row.body == body:
        return row
    row.subject, row.body = subject or None, body
    row.version += 1
    row.updated_by, row.updated_at = actor.ref, utcnow()
    session.flush()
    audit.record(session, "care_template_saved", actor, subject_type="care_template", subject_id=row.id,
                 name=name, channel=channel, locale=locale, version=row.version)
    return row


def get_template(session: Session, template_id: int) -> CareTemplate:
    row = session.get(CareTemplate, template_id)
    if row is None:
        raise NotFound(f"no template {template_id}")
    return row


def list_templates(session: Session, name: str | None = None) -> list[CareTemplate]:
    stmt = select(CareTemplate).order_by(CareTemplate.name, CareTemplate.channel, CareTemplate.locale)
    if name:
        stmt = stmt.where(CareTemplate.name == name)
    return list(session.scalars(stmt))


def delete_template(session: Session, actor: Actor, template_id: int) -> None:
    row = get_template(session, template_id)
    audit.record(session, "care_template_deleted", actor, subject_type="care_template", subject_id=row.id,
                 name=row.name, channel=row.channel, locale=row.locale)
    session.delete(row)


def find_template(session: Session, name: str, channel: str, locale: str) -> CareTemplate | None:
    """The template for the customer's locale, else zh-CN, else en."""
    rows = {r.locale: r for r in session.scalars(select(CareTemplate).where(
        CareTemplate.name == name, CareTemplate.channel == channel))}
    for loc in (locale, "zh-CN", "en"):
        if loc in rows:
            return rows[loc]
    return None


def preview(session: Session, cipher: PiiCipher, actor: Actor, template_id: int, customer_id: int, *,
            shop_name: str, pii_alert_per_hour: int = 300) -> dict:
    """Render a saved template for a real customer (audited: the text shows the person's data)."""
    row = get_template(session, template_id)
    context = message_context(session, cipher, customer_id, shop_name=shop_name, locale=row.locale,
                              links={"unsubscribe": "#unsubscribe", "preferences": "#preferences"})
    subject, body = templates.render(row.subject, row.body, context)
    audit.record_pii_read(session, actor, "customer", customer_id, threshold_per_hour=pii_alert_per_hour,
                          what="care_template_preview", template_id=row.id)
    return {"template_id": row.id, "version": row.version, "customer_id": customer_id, "channel": row.channel,
            "locale": row.locale, "subject": subject, "body": body,
            "banned_words": templates.banned_words(subject, body)}
