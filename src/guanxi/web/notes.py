"""Staff notes on a customer, and tag edits made on the 360 page.

Notes are personal data about the person: they are in the person's export and removed on
erasure. A merge moves no note: a profile shows its own notes and those of every profile
merged into it, so an unmerge needs nothing undone here.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from guanxi.customers import hooks, normalise, profiles
from guanxi.customers.privacy_hooks import person_ids
from guanxi.db import utcnow
from guanxi.errors import Invalid, NotFound
from guanxi.web.models import CustomerNote

MAX_NOTE = 4000
MAX_TAG = 60


def add_note(session: Session, customer_id: int, author: str, body: str) -> CustomerNote:
    body = body.strip()
    if not body:
        raise Invalid("a note needs some text")
    if len(body) > MAX_NOTE:
        raise Invalid(f"a note is at most {MAX_NOTE} characters")
    note = CustomerNote(customer_id=customer_id, author=author, body=body, created_at=utcnow())
    session.add(note)
    session.flush()
    return note


def notes_of(session: Session, customer_id: int, limit: int = 100) -> list[CustomerNote]:
    """The person's notes: this profile's and those of the profiles merged into it."""
    ids = person_ids(session, customer_id)
    return list(session.scalars(select(CustomerNote).where(CustomerNote.customer_id.in_(ids))
                                .order_by(CustomerNote.created_at.desc(), CustomerNote.id.desc()).limit(limit)))


def delete_note(session: Session, customer_id: int, note_id: int) -> None:
    note = session.get(CustomerNote, note_id)
    if note is None or note.customer_id not in person_ids(session, customer_id):
        raise NotFound(f"no note {note_id} on customer {customer_id}")
    session.delete(note)


def clean_tag(tag: str) -> str:
    tag = normalise.clean_text(tag)
    if not tag or len(tag) > MAX_TAG:
        raise Invalid(f"a tag is 1 to {MAX_TAG} characters")
    return tag


def remove_tag(session: Session, customer_id: int, tag: str) -> None:
    # profiles.update_profile only adds tags (imports must never drop one); staff may remove one here.
    customer = profiles.live_customer(session, customer_id)
    customer.tags = [t for t in (customer.tags or []) if t != tag]
    customer.updated_at = utcnow()


@hooks.exporter("notes")
def export_notes(session: Session, customer_id: int) -> list[dict]:
    return [{"at": n.created_at.isoformat(), "author": n.author, "body": n.body}
            for n in notes_of(session, customer_id, limit=10_000)]


@hooks.eraser("notes")
def erase_notes(session: Session, customer_id: int) -> None:
    session.execute(delete(CustomerNote).where(CustomerNote.customer_id.in_(person_ids(session, customer_id))))


@hooks.timeline("notes")
def notes_timeline(session: Session, customer_id: int, limit: int) -> list[dict]:
    return [{"at": n.created_at, "kind": "note", "summary": n.body[:80], "author": n.author}
            for n in notes_of(session, customer_id, limit)]
