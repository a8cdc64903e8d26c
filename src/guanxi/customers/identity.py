"""Identity resolution at ingest: an exact normalised identity never makes a second profile.

Works in bulk (one query per step for a whole batch) and under concurrency: identity rows are
unique on their blind index, inserted with ON CONFLICT DO NOTHING, and a profile created here
that lost the race for all its identities is removed in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from guanxi.customers import normalise
from guanxi.customers.models import Customer, DuplicateCandidate, Identity
from guanxi.customers.records import IdentityKey, PersonIn
from guanxi.db import utcnow
from guanxi.dialect import insert_ignoring_conflicts
from guanxi.privacy.crypto import PiiCipher

CHUNK = 900
# Bulk statements name the Core tables, not the ORM classes: same SQL, less per-statement overhead.
CUSTOMERS, IDENTITIES = Customer.__table__, Identity.__table__


def identity_hash(cipher: PiiCipher, key: IdentityKey) -> str:
    return cipher.blind_index(f"id:{key.kind}", f"{key.source}\x00{key.value}")


def chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def owners_of(session: Session, hashes: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    unique = list(dict.fromkeys(hashes))
    for part in chunks(unique):
        rows = session.execute(
            select(IDENTITIES.c.value_hash, IDENTITIES.c.customer_id).where(IDENTITIES.c.value_hash.in_(part)))
        found.update((h, cid) for h, cid in rows)
    return found


def profile_columns(cipher: PiiCipher, fields: dict) -> dict:
    """Turn plain profile fields into column values: personal data encrypted and blind-indexed."""
    cols: dict = {}
    for name, value in fields.items():
        if name == "name":
            cols["name_enc"] = cipher.encrypt(value, context="name")
            key = normalise.name_key(value)
            cols["name_prefix_hash"] = cipher.blind_index("name_prefix", key[:2]) if len(key) >= 2 else None
            cols["name_initial_hash"] = cipher.blind_index("name_initial", key[:1]) if key else None
        elif name == "birthday":
            cols["birthday_enc"] = cipher.encrypt(value, context="birthday")
            cols["birthday_md_hash"] = cipher.blind_index("birthday_md", normalise.birthday_month_day(value))
        elif name == "address":
            cols["address_enc"] = cipher.encrypt(value, context="address")
            cols["address_hash"] = cipher.blind_index("address", normalise.name_key(value))
        else:
            cols[name] = value
    return cols


def resolve_people(session: Session, cipher: PiiCipher, people: Sequence[PersonIn], *,
                   now: dt.datetime | None = None, defaults: dict | None = None) -> list[tuple[int, bool]]:
    """Map each person to a customer id, creating profiles for unknown people.

    Returns (customer_id, created) per person, in order. People in the same batch who share
    an identity are one person. Identities new to a known customer are added to it.
    """
    now = now or utcnow()
    hashed = [[(k, identity_hash(cipher, k)) for k in p.identities] for p in people]
    # Group the batch: people sharing any identity hash are the same person.
    group_of_hash: dict[str, int] = {}
    group_of_person: list[int] = []
    for i, ids in enumerate(hashed):
        group = next((group_of_hash[h] for _, h in ids if h in group_of_hash), i)
        for _, h in ids:
            group_of_hash.setdefault(h, group)
        group_of_person.append(group)

    owners = owners_of(session, group_of_hash)
    customer_of_group: dict[int, int] = {}
    conflicts: set[tuple[int, int]] = set()
    for i, ids in enumerate(hashed):
        g = group_of_person[i]
        found = [owners[h] for _, h in ids if h in owners]
        if found and g not in customer_of_group:
            customer_of_group[g] = found[0]
        for other in found:
            if g in customer_of_group and other != customer_of_group[g]:
                conflicts.add(tuple(sorted((customer_of_group[g], other))))

    new_groups = [g for g in dict.fromkeys(group_of_person) if g not in customer_of_group]
    created_groups: set[int] = set()
    if new_groups:
        first_person = {}
        for i, g in enumerate(group_of_person):
            first_person.setdefault(g, i)
        base = {"status": "active", "created_at": now, "updated_at": now, "tags": [], "attributes": {},
                "preferences": {}, **(defaults or {})}
        rows = []
        for g in new_groups:
            fields = people[first_person[g]].given()
            rows.append({**base, "acquired_at": now, **profile_columns(cipher, fields)})
        ids = _insert_customers(session, rows)
        for g, cid in zip(new_groups, ids, strict=True):
            customer_of_group[g] = cid
            created_groups.add(g)

    # Attach every identity not yet stored to its customer.
    identity_rows = []
    seen: set[str] = set()
    for i, ids in enumerate(hashed):
        cid = customer_of_group[group_of_person[i]]
        for key, h in ids:
            if h in owners or h in seen:
                continue
            seen.add(h)
            identity_rows.append({"customer_id": cid, "kind": key.kind, "source": key.source,
                                  "value_enc": cipher.encrypt(key.value, context=key.kind),
                                  "value_hash": h, "created_at": now})
    inserted: set[str] = set()
    for part in chunks(identity_rows, 500):
        stmt = insert_ignoring_conflicts(session, IDENTITIES, ["value_hash"]).returning(IDENTITIES.c.value_hash)
        inserted.update(session.scalars(stmt, list(part)).all())
    lost = [r for r in identity_rows if r["value_hash"] not in inserted]
    if lost:
        # Another transaction stored these identities first: their customer is the person.
        winners = owners_of(session, [r["value_hash"] for r in lost])
        remap: dict[int, int] = {}
        for r in lost:
            if r["customer_id"] in {customer_of_group[g] for g in created_groups}:
                remap.setdefault(r["customer_id"], winners[r["value_hash"]])
        for g in list(created_groups):
            if customer_of_group[g] in remap:
                customer_of_group[g] = remap[customer_of_group[g]]
                created_groups.discard(g)
        for orphan, winner in remap.items():
            session.execute(update(Identity).where(Identity.customer_id == orphan).values(customer_id=winner))
            session.execute(delete(Customer).where(Customer.id == orphan))
    if conflicts:
        record_candidates(session, [(a, b, 0.99, ["share an identity in one delivery"]) for a, b in conflicts])
    return [(customer_of_group[g], g in created_groups) for g in group_of_person]


def _insert_customers(session: Session, rows: list[dict]) -> list[int]:
    ids: list[int] = []
    columns = sorted({k for r in rows for k in r})
    # A key missing from some rows takes the column's own default (not NULL), e.g. locale.
    table = Customer.__table__
    fallback = {c: table.c[c].default.arg if table.c[c].default is not None and table.c[c].default.is_scalar else None
                for c in columns}
    uniform = [{c: r.get(c, fallback[c]) for c in columns} for r in rows]
    for part in chunks(uniform, 500):
        result = session.execute(insert(CUSTOMERS).returning(CUSTOMERS.c.id, sort_by_parameter_order=True), list(part))
        ids.extend(result.scalars().all())
    return ids


def record_candidates(session: Session, pairs: list[tuple[int, int, float, list[str]]]) -> int:
    rows = [{"a_id": min(a, b), "b_id": max(a, b), "score": s, "reasons": r, "status": "pending",
             "created_at": utcnow()} for a, b, s, r in pairs if a != b]
    if not rows:
        return 0
    stmt = insert_ignoring_conflicts(session, DuplicateCandidate, ["a_id", "b_id"]).returning(DuplicateCandidate.id)
    return len(session.scalars(stmt, rows).all())
