"""A segment's members as CSV: named for roles that may read customers, pseudonymous for the analyst.

Named rows carry the customer id and, for roles with ``customers.read_pii``, the name, e-mail and
phone in full (masked otherwise), read through the customers domain's profile functions. Pseudonymous
rows carry only the keyed hash (``reports.pseudonym``) and non-personal figures: no e-mail, phone or
name, and no customer id that could be joined back. Every export is audited by the caller.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.analytics import reports
from guanxi.analytics.models import SavedSegment, SegmentMember
from guanxi.customers import normalise, profiles
from guanxi.privacy.crypto import PiiCipher

FIGURES = ("segment", "lifecycle_stage", "orders", "clv_minor", "currency", "churn_risk")
NAMED_HEAD = ("customer_id", "name", "email", "phone", "city", "member_since", *FIGURES)
PSEUDONYMOUS_HEAD = ("pseudonym", "member_since", *FIGURES)


def _since(session: Session, segment_id: int) -> dict[int, object]:
    rows = session.execute(select(SegmentMember.customer_id, SegmentMember.since)
                           .where(SegmentMember.segment_id == segment_id))
    return {cid: since for cid, since in rows}


def _contact(session: Session, cipher: PiiCipher, customer_id: int, reveal: bool) -> tuple:
    customer = profiles.live_customer(session, customer_id)
    name = profiles.summary(customer, cipher, reveal=True)["name"]
    found = {}
    for ident in profiles.identities_of(session, cipher, customer_id):
        found.setdefault(ident["kind"], ident["value"])
    email, phone = found.get("email"), found.get("phone")
    if not reveal:
        name, email, phone = normalise.mask("name", name), normalise.mask("email", email), \
            normalise.mask("phone", phone)
    return name, email, phone, customer.city


def rows(session: Session, cipher: PiiCipher, segment: SavedSegment, *, named: bool,
         reveal: bool) -> Iterator[list]:
    """The CSV rows (header first) of the segment's current members, by customer id."""
    since = _since(session, segment.id)
    yield list(NAMED_HEAD if named else PSEUDONYMOUS_HEAD)
    fields = reports.EXPORT_FIELDS
    for cid, *values in reports.member_rows(session, reports.members_of(segment)):
        figures = dict(zip(fields, values, strict=True))
        tail = ["" if figures[f] is None else figures[f] for f in FIGURES]
        joined = since.get(cid)
        when = joined.isoformat() if joined else ""
        if named:
            yield [cid, *("" if v is None else v for v in _contact(session, cipher, cid, reveal)), when, *tail]
        else:
            yield [reports.pseudonym(cipher, cid), when, *tail]


def to_csv(lines: Iterator[list]) -> tuple[str, int]:
    """The CSV text and the number of member rows in it."""
    out = io.StringIO()
    writer = csv.writer(out)
    count = -1
    for line in lines:
        writer.writerow(line)
        count += 1
    return out.getvalue(), count
