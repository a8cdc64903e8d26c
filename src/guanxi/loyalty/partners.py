"""Coalition partners (联合型忠诚度计划): members earn at partner merchants and spend on their vouchers.

A partner posts a member's purchase (or points in its own scheme); the exchange rate turns it into
a lot in our ledger with source "partner:<code>", idempotent on the partner's external id. A
voucher is a redemption of a reward of kind "voucher" whose details name the partner
(`{"partner": "<code>"}`); the partner checks and consumes its code with its own token.

A partner learns as little as the exchange needs: an opaque member reference of its own, and
only with the member's sharing consent a masked name, the tier and the available points. Never a
phone number or e-mail address, never another partner's figures.

Settlement per calendar month in the shop's time zone: points issued at the partner and points of
its vouchers consumed there, each times the agreed value per point.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from guanxi.customers import consents, hooks, normalise, profiles
from guanxi.customers.identity import identity_hash
from guanxi.customers.models import Customer, Identity
from guanxi.customers.records import IdentityKey
from guanxi.db import utcnow
from guanxi.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from guanxi.loyalty import store, tiers
from guanxi.loyalty.models import PointLot, Redemption, Reward
from guanxi.loyalty.partner_models import MemberCode, Partner, VoucherUse
from guanxi.privacy.crypto import PiiCipher

SOURCE_PREFIX = "partner:"
TOKEN_PREFIX = "gxp_"
UNITS = ("currency", "points")
STATUSES = ("active", "suspended")
EDITABLE = ("name", "rate_units", "rate_points", "value_minor", "value_points", "currency", "status")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
CODE = re.compile(r"^[A-Za-z0-9_-]{1,24}$")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a till


# -- rules without storage ----------------------------------------------------------------------

def points_for(units: int, rate_units: int, rate_points: int) -> int:
    """Our points for `units` of the partner's: rate_points per rate_units, rounded down (no fractions)."""
    if units <= 0:
        raise Invalid("post a positive amount", errors=[{"loc": ["body"], "msg": "> 0"}])
    return units * rate_points // rate_units


def value_of(points: int, value_minor: int, value_points: int) -> int:
    """Minor units for `points` at value_minor per value_points points, rounded half up once, on the total."""
    return (2 * points * value_minor + value_points) // (2 * value_points)


def month_bounds(month: str, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a calendar month "YYYY-MM" in `timezone`, in UTC."""
    m = _MONTH.match(month or "")
    if not m:
        raise Invalid(f"{month!r} is not a month; write YYYY-MM, e.g. 2026-11",
                      errors=[{"loc": ["month"], "msg": "YYYY-MM"}])
    year, mon = int(m.group(1)), int(m.group(2))
    zone = ZoneInfo(timezone)
    start = dt.datetime(year, mon, 1, tzinfo=zone)
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def source_of(partner: Partner) -> str:
    return SOURCE_PREFIX + partner.code


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- partners and their tokens ------------------------------------------------------------------

def list_partners(session: Session) -> list[Partner]:
    return list(session.scalars(select(Partner).order_by(Partner.code)))


def get_partner(session: Session, code: str) -> Partner:
    row = session.scalar(select(Partner).where(Partner.code == code))
    if row is None:
        raise NotFound(f"no partner {code!r}")
    return row


def _check(fields: dict) -> None:
    if fields.get("unit") == "currency" and not fields.get("unit_currency"):
        raise Invalid("a partner posting purchases names their currency (unit_currency)",
                      errors=[{"loc": ["body", "unit_currency"], "msg": "required when unit is currency"}])
    if fields.get("unit") == "points" and fields.get("unit_currency"):
        raise Invalid("a partner posting its own points has no unit_currency",
                      errors=[{"loc": ["body", "unit_currency"], "msg": "only when unit is currency"}])
    for name in ("rate_units", "rate_points", "value_points"):
        if name in fields and fields[name] <= 0:
            raise Invalid(f"{name} is a positive whole number", errors=[{"loc": ["body", name], "msg": "> 0"}])
    if fields.get("value_minor", 0) < 0:
        raise Invalid("value_minor is not negative", errors=[{"loc": ["body", "value_minor"], "msg": ">= 0"}])
    if "status" in fields and fields["status"] not in STATUSES:
        raise Invalid(f"status is one of {', '.join(STATUSES)}", errors=[{"loc": ["body", "status"], "msg": "status"}])


def create_partner(session: Session, *, now: dt.datetime | None = None, **fields) -> tuple[Partner, str]:
    """A new partner and its first API token (the plaintext is returned once and never stored)."""
    now = now or utcnow()
    if not CODE.match(fields.get("code") or ""):
        raise Invalid("a partner code is 1 to 24 ASCII letters, digits, - or _",
                      errors=[{"loc": ["body", "code"], "msg": CODE.pattern}])
    _check(fields)
    if session.scalar(select(Partner.id).where(Partner.code == fields["code"])) is not None:
        raise Conflict(f"a partner with code {fields['code']!r} exists already")
    row = Partner(**fields, status=fields.get("status", "active"), created_at=now, updated_at=now)
    session.add(row)
    plain = _issue(row, now)
    session.flush()
    return row, plain


def update_partner(session: Session, code: str, **fields) -> Partner:
    """Name, rates, value and status; the code and unit stay (they are in the ledger's history)."""
    row = get_partner(session, code)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise Invalid(f"cannot change {', '.join(sorted(unknown))}")
    _check(fields)
    for key, value in fields.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.flush()
    return row


def _issue(row: Partner, now: dt.datetime) -> str:
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row.token_hash, row.token_issued_at, row.token_last_used_at = _hash(plain), now, None
    return plain


def rotate_token(session: Session, code: str, *, now: dt.datetime | None = None) -> tuple[Partner, str]:
    """A new token for the partner; the old one stops working at once."""
    row = get_partner(session, code)
    plain = _issue(row, now or utcnow())
    session.flush()
    return row, plain


def revoke_token(session: Session, code: str) -> Partner:
    row = get_partner(session, code)
    row.token_hash, row.token_issued_at = None, None
    session.flush()
    return row


def partner_for_token(session: Session, plain: str) -> Partner:
    """The partner a bearer token belongs to; staff tokens, revoked tokens and suspended partners fail."""
    row = session.scalar(select(Partner).where(Partner.token_hash == _hash(plain))) if plain else None
    if row is None:
        raise Unauthorized("this is not a valid partner token (unknown, rotated or revoked)")
    if row.status != "active":
        raise Forbidden(f"partner {row.code!r} is suspended")
    row.token_last_used_at = utcnow()
    return row


# -- members as partners see them ---------------------------------------------------------------

def member_code(session: Session, customer_id: int) -> str:
    """The member's code for partner tills (made on first ask, then the same)."""
    customer_id = profiles.live_customer(session, customer_id).id
    row = session.get(MemberCode, customer_id)
    if row is None:
        for _ in range(5):
            code = "M" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(9))
            if session.scalar(select(MemberCode.code).where(MemberCode.code == code)) is None:
                break
        row = MemberCode(customer_id=customer_id, code=code, created_at=utcnow())
        session.add(row)
        session.flush()
    return row.code


def find_member(session: Session, cipher: PiiCipher, *, code: str | None = None, phone: str | None = None,
                email: str | None = None, region: str = "CN") -> Customer:
    """The live member behind what they shared at the partner: their member code, phone or e-mail."""
    if sum(v is not None for v in (code, phone, email)) != 1:
        raise Invalid("identify the member by exactly one of code, phone, email",
                      errors=[{"loc": ["body", "member"], "msg": "one of code, phone, email"}])
    customer_id = None
    if code is not None:
        customer_id = session.scalar(select(MemberCode.customer_id).where(
            MemberCode.code == normalise.clean_text(code).upper()))
    else:
        kind, value = ("phone", normalise.phone(phone, region)) if phone is not None \
            else ("email", normalise.email(email))
        customer_id = session.scalar(select(Identity.customer_id).where(
            Identity.value_hash == identity_hash(cipher, IdentityKey(kind, "", value))))
    if customer_id is None:
        raise NotFound("no member matches what was shared; ask the member for their member code")
    return profiles.live_customer(session, customer_id)


def shares_with_partners(session: Session, customer_id: int) -> bool:
    return consents.allows(session, customer_id, "any", "sharing")


def member_view(session: Session, cipher: PiiCipher, partner: Partner, customer: Customer) -> dict:
    """What this partner may know of the member: its own reference; with sharing consent, a little more."""
    view = {"member_ref": cipher.blind_index("partner_member", f"{partner.id}:{customer.id}")[:24],
            "sharing": shares_with_partners(session, customer.id), "name": None, "tier": None,
            "available_points": None}
    if view["sharing"]:
        view["name"] = normalise.mask("name", cipher.decrypt(customer.name_enc, context="name"))
        view["tier"] = tiers.tier_of(session, customer.id)
        view["available_points"] = store.balance_of(session, customer.id)["available"]
    return view


# -- earning at a partner -----------------------------------------------------------------------

@dataclass
class Earned:
    customer: Customer
    lot: PointLot
    created: bool


def earn(session: Session, partner: Partner, customer: Customer, external_id: str, *, units: int,
         currency: str | None = None, occurred_at: dt.datetime | None = None,
         now: dt.datetime | None = None) -> Earned:
    """Points for a purchase (or points) at the partner, once per external id; a replay changes nothing."""
    now = now or utcnow()
    if partner.unit == "currency" and currency != partner.unit_currency:
        raise Invalid(f"partner {partner.code} posts amounts in {partner.unit_currency}",
                      errors=[{"loc": ["body", "currency"], "msg": partner.unit_currency}])
    if partner.unit == "points" and currency is not None:
        raise Invalid(f"partner {partner.code} posts its own points, without a currency",
                      errors=[{"loc": ["body", "currency"], "msg": "leave out"}])
    points = points_for(units, partner.rate_units, partner.rate_points)
    source = source_of(partner)
    seen = _lot(session, source, external_id)
    if seen is None:
        account = store.open_account(session, customer.id)
        seen = _lot(session, source, external_id)
    if seen is not None:
        if seen.customer_id != customer.id or seen.details.get("units") != units:
            raise Conflict(f"external id {external_id!r} was posted before for another purchase")
        return Earned(customer, seen, False)
    if points == 0:
        raise Invalid(f"{units} earns no points at {partner.rate_points} per {partner.rate_units}",
                      errors=[{"loc": ["body"], "msg": f"at least {-(-partner.rate_units // partner.rate_points)}"}])
    details = {"partner": partner.code, "units": units, "unit": partner.unit,
               "rate": [partner.rate_points, partner.rate_units]}
    if currency:
        details["currency"] = currency
    if occurred_at:
        details["occurred_at"] = occurred_at.isoformat()
    try:
        lot = account.new_lot(points=points, earned_at=now, available_at=now,
                              expires_at=store.expires_for(session, now, customer.timezone or "UTC"),
                              source=source, ref=external_id, rule=source, details=details)
    except IntegrityError:  # the same id for another member, at the same moment (their locks differ)
        raise Conflict(f"external id {external_id!r} was posted before for another purchase") from None
    entries = account.book.expire_due(now)
    entry = account.book.earn(lot, now=now)
    entry.details = {**entry.details, "partner": partner.code}
    account.write([*entries, entry], actor=source)
    return Earned(customer, account.rows[lot.id], True)


def _lot(session: Session, source: str, ref: str) -> PointLot | None:
    return session.scalar(select(PointLot).where(PointLot.source == source, PointLot.ref == ref))


# -- vouchers -----------------------------------------------------------------------------------

def is_partner_voucher(reward: Reward | None, partner: Partner) -> bool:
    return reward is not None and reward.kind == "voucher" and (reward.details or {}).get("partner") == partner.code


def _voucher(session: Session, partner: Partner, code: str, *, lock: bool = False
             ) -> tuple[Redemption, Reward, VoucherUse | None]:
    stmt = select(Redemption).where(Redemption.code == normalise.clean_text(code).upper())
    redemption = session.scalar(stmt.with_for_update() if lock else stmt)
    reward = session.get(Reward, redemption.reward_id) if redemption and redemption.reward_id else None
    if redemption is None or not is_partner_voucher(reward, partner):
        # Another partner's voucher is as unknown as a made-up code.
        raise NotFound(f"no voucher {code!r} for partner {partner.code}")
    use = session.scalar(select(VoucherUse).where(VoucherUse.redemption_id == redemption.id))
    return redemption, reward, use


def _voucher_view(redemption: Redemption, reward: Reward, use: VoucherUse | None) -> dict:
    state = "used" if use else {"confirmed": "valid", "reserved": "reserved"}.get(redemption.status, "cancelled")
    return {"code": redemption.code, "status": state, "reward": reward.name, "reward_id": reward.id,
            "points": redemption.points, "issued_at": redemption.created_at,
            "used_at": use.used_at if use else None, "ref": use.ref if use else None}


def voucher(session: Session, partner: Partner, code: str) -> dict:
    return _voucher_view(*_voucher(session, partner, code))


def use_voucher(session: Session, partner: Partner, code: str, *, ref: str | None = None,
                now: dt.datetime | None = None) -> tuple[dict, bool]:
    """Consume a valid voucher once; the same call again (same ref) answers with the first use."""
    redemption, reward, use = _voucher(session, partner, code, lock=True)
    if use is not None:
        if use.ref != ref:
            raise Conflict(f"voucher {redemption.code} was used already at {use.used_at.isoformat()}")
        return _voucher_view(redemption, reward, use), False
    if redemption.status != "confirmed":
        raise Conflict(f"voucher {redemption.code} is {redemption.status}, not valid for use")
    use = VoucherUse(redemption_id=redemption.id, partner_id=partner.id, points=redemption.points, ref=ref,
                     used_at=now or utcnow())
    session.add(use)
    session.flush()
    return _voucher_view(redemption, reward, use), True


# -- settlement ---------------------------------------------------------------------------------

def statement(session: Session, partner: Partner, month: str, timezone: str) -> dict:
    """Points issued at the partner and its vouchers consumed there in a month, at the agreed value."""
    start, end = month_bounds(month, timezone)
    issued = session.execute(select(func.coalesce(func.sum(PointLot.points), 0), func.count())
                             .where(PointLot.source == source_of(partner), PointLot.earned_at >= start,
                                    PointLot.earned_at < end)).one()
    redeemed = session.execute(select(func.coalesce(func.sum(VoucherUse.points), 0), func.count())
                               .where(VoucherUse.partner_id == partner.id, VoucherUse.used_at >= start,
                                      VoucherUse.used_at < end)).one()

    def line(points, count) -> dict:
        return {"points": int(points), "count": int(count),
                "value_minor": value_of(int(points), partner.value_minor, partner.value_points)}

    out = {"partner": partner.code, "name": partner.name, "month": month, "timezone": timezone,
           "from": start, "to": end, "currency": partner.currency,
           "value_per_point": {"value_minor": partner.value_minor, "points": partner.value_points},
           "issued": line(*issued), "redeemed": line(*redeemed)}
    # Positive: the partner owes the programme for the points it handed out; negative: the other way round.
    out["net_minor"] = out["issued"]["value_minor"] - out["redeemed"]["value_minor"]
    return out


def statement_lines(session: Session, partner: Partner, month: str, timezone: str) -> list[dict]:
    """Each earn and each voucher use of the month, oldest first (the statement's detail)."""
    start, end = month_bounds(month, timezone)
    zone = ZoneInfo(timezone)
    rows = [{"kind": "issued", "at": at, "ref": ref, "points": int(p)} for at, ref, p in session.execute(
        select(PointLot.earned_at, PointLot.ref, PointLot.points).where(
            PointLot.source == source_of(partner), PointLot.earned_at >= start, PointLot.earned_at < end))]
    rows += [{"kind": "redeemed", "at": at, "ref": code, "points": int(p)} for at, code, p in session.execute(
        select(VoucherUse.used_at, Redemption.code, VoucherUse.points).join(
            Redemption, Redemption.id == VoucherUse.redemption_id).where(
            VoucherUse.partner_id == partner.id, VoucherUse.used_at >= start, VoucherUse.used_at < end))]
    rows.sort(key=lambda r: (r["at"], r["kind"], r["ref"]))
    for r in rows:
        r["at"] = r["at"].astimezone(zone)
    return rows


def statement_csv(summary: dict, lines: list[dict]) -> str:
    """The statement as CSV: one row per earn and voucher use, then the totals with their values."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["section", "at", "ref", "points", "count", "value_minor", "currency"])
    for r in lines:
        w.writerow([r["kind"], r["at"].isoformat(), r["ref"], r["points"], "", "", ""])
    for kind in ("issued", "redeemed"):
        t = summary[kind]
        w.writerow([f"total_{kind}", summary["month"], summary["partner"], t["points"], t["count"], t["value_minor"],
                    summary["currency"]])
    w.writerow(["net", summary["month"], summary["partner"], "", "", summary["net_minor"], summary["currency"]])
    return buf.getvalue()


@hooks.eraser("loyalty_partners")
def erase_member_code(session: Session, customer_id: int) -> None:
    # The code identifies the person at partner tills; the ledger rows it produced stay.
    row = session.get(MemberCode, customer_id)
    if row is not None:
        session.delete(row)
