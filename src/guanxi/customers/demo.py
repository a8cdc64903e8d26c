"""The demo shop: a realistic bilingual shop's history, loaded through the bulk ingest path.

`generate` is pure (values in, values out; the same seed and clock give the same shop);
`load` stores it with `resolve_people` and `ingest_orders` like any import, so 5,000
customers and their two to three years of orders load in seconds. Loading the same shop
again adds nothing.
"""

from __future__ import annotations

import bisect
import itertools
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from guanxi.customers import demo_data as data
from guanxi.customers.demo_people import DemoPerson, make_people
from guanxi.customers.identity import chunks, resolve_people
from guanxi.customers.ingest import ingest_orders
from guanxi.customers.models import Consent, CustomerEvent, Order, OrderLine, Refund
from guanxi.customers.records import LineIn, OrderIn, PersonIn
from guanxi.db import utcnow
from guanxi.dialect import insert_ignoring_conflicts
from guanxi.privacy.crypto import PiiCipher

SHOP_TZ = ZoneInfo("Asia/Shanghai")
HISTORY_DAYS = 1000  # about two and three quarter years
HOURS = range(24)
HOUR_CUM = list(itertools.accumulate([2, 1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 9, 8, 7, 7, 7, 8, 9, 11, 14, 16, 14, 8]))
STORES = {"site": "官网 Official site", "wechat": "微信小程序 WeChat mini program",
          "douyin": "抖音旗舰店 Douyin flagship", "shopify": "Shopify global store"}
PEAK_DAYS = {(11, 11), (6, 18), (12, 12)}
# Bulk statements go to the Core tables: the ORM's bulk path costs several times more per row.
EVENTS, CONSENTS, REFUNDS = CustomerEvent.__table__, Consent.__table__, Refund.__table__
ORDERS, LINES = Order.__table__, OrderLine.__table__
EVENT_KINDS = {channel: ([k for k, _ in kinds], list(itertools.accumulate(w for _, w in kinds)))
               for channel, kinds in data.EVENT_KINDS_BY_CHANNEL.items()}

Progress = Callable[[str, int], None]


@dataclass
class DemoShop:
    people: list[DemoPerson]
    duplicates: set[tuple[int, int]]                  # indexes into people
    orders: list[OrderIn] = field(default_factory=list)
    refunds: list[dict] = field(default_factory=list)  # order (index), external_id, amount_minor, lines, at
    events: list[dict] = field(default_factory=list)   # person (index) and the event's columns
    consents: list[dict] = field(default_factory=list)  # person (index) and the consent's columns


@dataclass
class DemoResult:
    customers: int
    created: int
    orders: int
    refunds: int
    events: int
    consents: int
    customer_ids: list[int]
    duplicates: set[tuple[int, int]]  # (smaller id, larger id) of profiles that are one person


def day_weight(day: dt.date) -> float:
    """How busy a day is: Double 11, 618, Double 12 and the weeks before Spring Festival peak."""
    w = 1.15 if day.weekday() >= 5 else 1.0
    if day.month == 11 and day.day <= 11:
        w *= 9.0 if day.day == 11 else 1.6 + day.day * 0.15
    elif day.month == 10 and day.day >= 20:
        w *= 1.5
    elif day.month == 6 and day.day <= 18:
        w *= 6.0 if day.day == 18 else 1.5 + day.day * 0.05
    elif (day.month, day.day) == (12, 12):
        w *= 3.0
    festival = data.SPRING_FESTIVAL.get(day.year)
    if festival:
        delta = (day - festival).days
        if -21 <= delta < -4:
            w *= 2.2   # new-year goods and gifts
        elif -4 <= delta <= 6:
            w *= 0.35  # couriers stop for the holiday
    return w


class Calendar:
    """Picks moments in the shop's history, weighted by season and growing over time."""

    def __init__(self, rng: random.Random, now: dt.datetime):
        self.rng = rng
        self.now = now
        today = now.astimezone(SHOP_TZ).date()
        self.first = today - dt.timedelta(days=HISTORY_DAYS)
        self.cum: list[float] = []
        total = 0.0
        for n in range(HISTORY_DAYS + 1):
            day = self.first + dt.timedelta(days=n)
            total += day_weight(day) * (1 + 0.8 * n / HISTORY_DAYS)
            self.cum.append(total)

    def pick(self, not_before: dt.datetime | None = None, not_after: dt.datetime | None = None) -> dt.datetime:
        first_day = self._day(not_before) if not_before else 0
        lo = self.cum[first_day - 1] if first_day > 0 else 0.0
        hi = self.cum[self._day(not_after)] if not_after else self.cum[-1]
        n = min(bisect.bisect_left(self.cum, lo + self.rng.random() * max(hi - lo, 0.0)), HISTORY_DAYS)
        day = self.first + dt.timedelta(days=n)
        hour = self.rng.choices(HOURS, cum_weights=HOUR_CUM)[0]
        local = dt.datetime(day.year, day.month, day.day, hour, self.rng.randrange(60), self.rng.randrange(60),
                            tzinfo=SHOP_TZ)
        moment = local.astimezone(dt.UTC)
        if not_before is not None and moment < not_before:
            moment = not_before + dt.timedelta(minutes=self.rng.randint(5, 600))
        if moment > self.now:
            moment = self.now - dt.timedelta(minutes=self.rng.randint(1, 240))
        return moment

    def _day(self, moment: dt.datetime) -> int:
        return min(max((moment.astimezone(SHOP_TZ).date() - self.first).days, 0), HISTORY_DAYS)


def _season_factor(category: str, month: int) -> float:
    if category == "food/festive":
        return 0.05 if month not in (1, 2, 5, 6, 8, 9) else 4.0
    if category == "apparel/outerwear":
        return 3.0 if month in (10, 11, 12, 1) else 0.3
    if category.startswith("beauty/skincare") and month in (5, 6, 7, 8):
        return 1.8
    if category == "beauty/gift-sets" and month in (1, 2, 12):
        return 4.0
    return 1.0


def generate(customers: int, seed: int = 1, *, now: dt.datetime | None = None, activity: bool = True) -> DemoShop:
    """The demo shop as values: profiles (some planted duplicates), orders, refunds, events, consents."""
    rng = random.Random(seed)
    calendar = Calendar(rng, now or utcnow())
    people, duplicates = make_people(rng, seed, customers, calendar.pick)
    shop = DemoShop(people=people, duplicates=duplicates)
    if activity:
        products_by_month = {m: list(itertools.accumulate(_season_factor(p[2], m) for p in data.PRODUCTS))
                             for m in range(1, 13)}
        for p in people:
            _activity(rng, seed, calendar, products_by_month, p, shop)
    return shop


def _activity(rng, seed, calendar: Calendar, products_by_month, p: DemoPerson, shop: DemoShop) -> None:
    # Each customer buys at their own rate while active, then drifts away (what churn models look for).
    active_until = min(p.acquired_at + dt.timedelta(days=rng.expovariate(1 / 420)), calendar.now)
    rate = rng.gammavariate(0.9, 1 / 0.9) / (150 if p.duplicate_of is not None else 75)  # orders a day
    rate *= 2 if "vip" in p.tags else 1
    span = (active_until - p.acquired_at).total_seconds() / 86400
    times = [p.acquired_at + dt.timedelta(minutes=rng.randint(2, 90))] if rng.random() < 0.85 else []
    elapsed = rng.expovariate(rate) if rate > 0 else span
    while elapsed < span and len(times) < 60:
        times.append(calendar.pick(p.acquired_at, active_until))
        elapsed += rng.expovariate(rate)
    buyer = PersonIn(identities=[p.channel_id])
    for placed in sorted(min(t, calendar.now) for t in times):
        order = _order(rng, seed, p, buyer, placed, products_by_month, calendar.now, len(shop.orders) + 1)
        shop.orders.append(order)
        if order.status == "paid" and calendar.now - placed > dt.timedelta(days=5) and rng.random() < 0.06:
            _refund(rng, calendar, len(shop.orders) - 1, order, shop)
    _events(rng, seed, calendar, p, len(times), shop)
    _consents(rng, p, shop)


def _order(rng, seed, p: DemoPerson, buyer: PersonIn, placed: dt.datetime, products_by_month, now: dt.datetime,
           number: int) -> OrderIn:
    local = placed.astimezone(SHOP_TZ)
    chosen = {}
    for _ in range(rng.choices((1, 2, 3), (60, 28, 12))[0]):
        sku, name, category, price = rng.choices(data.PRODUCTS, cum_weights=products_by_month[local.month])[0]
        chosen[sku] = LineIn(sku=sku, name=name, category=category, unit_price_minor=price,
                             quantity=rng.choices((1, 2, 3), (80, 15, 5))[0])
    lines = list(chosen.values())
    subtotal = sum(line.quantity * line.unit_price_minor for line in lines)
    discount = 0
    if (local.month, local.day) in PEAK_DAYS:
        discount = subtotal * rng.choice((10, 15, 20)) // 100
    elif rng.random() < 0.15:
        discount = min(subtotal // 4, rng.choice((1000, 2000, 3000)))
    shipping = 0 if subtotal - discount >= 9900 else 800
    recent = now - placed < dt.timedelta(days=2)
    status = "pending" if recent and rng.random() < 0.3 else "cancelled" if rng.random() < 0.03 else "paid"
    live = f"live-{local:%Y%m%d}" if p.channel == "douyin" and rng.random() < 0.6 else None
    return OrderIn(source=p.channel, external_id=f"D{seed}-{number:08d}", person=buyer, placed_at=placed,
                   currency="CNY", total_minor=subtotal - discount + shipping, status=status,
                   discount_minor=discount, shipping_minor=shipping, channel=p.channel, store=STORES[p.channel],
                   live_session=live, lines=lines)


def _refund(rng, calendar: Calendar, index: int, order: OrderIn, shop: DemoShop) -> None:
    at = min(order.placed_at + dt.timedelta(days=rng.randint(2, 12), hours=rng.randint(0, 23)), calendar.now)
    line = order.lines[0]
    if rng.random() < 0.6 or line.unit_price_minor >= order.total_minor:
        amount, lines = order.total_minor, [{"sku": x.sku, "quantity": x.quantity} for x in order.lines]
    else:
        amount, lines = line.unit_price_minor, [{"sku": line.sku, "quantity": 1}]
    shop.refunds.append({"order": index, "external_id": f"{order.external_id}-R1", "amount_minor": amount,
                         "lines": lines, "at": at})


def _events(rng, seed, calendar: Calendar, p: DemoPerson, orders: int, shop: DemoShop) -> None:
    kinds, cum = EVENT_KINDS[p.channel]
    rows = [("sign_up", p.acquired_at)]
    rows += [(rng.choices(kinds, cum_weights=cum)[0], calendar.pick(p.acquired_at))
             for _ in range(min(40, rng.randint(1, 6) + 2 * orders))]
    rows.sort(key=lambda row: row[1])
    for kind, at in rows:
        props: dict = {"channel": p.channel}
        if kind in ("product_view", "add_to_cart", "wishlist", "review", "checkout_started"):
            props["sku"] = rng.choice(data.PRODUCTS)[0]
        if kind == "review":
            props["rating"] = rng.choices((1, 2, 3, 4, 5), (3, 4, 10, 30, 53))[0]
        elif kind == "search":
            props["query"] = rng.choice(data.SEARCH_WORDS)
        elif kind == "live_watch":
            props |= {"session": f"live-{at.astimezone(SHOP_TZ):%Y%m%d}", "seconds": rng.randint(20, 3600)}
        elif kind == "coupon_use":
            props["coupon"] = rng.choice(("NEW10", "VIP20", "D11-50", "618-30"))
        shop.events.append({"person": p.index, "kind": kind, "occurred_at": at, "source": p.channel,
                            "external_id": f"D{seed}-E{len(shop.events) + 1:09d}", "properties": props})


def _consents(rng, p: DemoPerson, shop: DemoShop) -> None:
    def notice(at: dt.datetime) -> str:
        return "2024-03" if at < dt.datetime(2025, 6, 1, tzinfo=dt.UTC) else "2025-06"

    def add(channel, purpose, granted, at):
        shop.consents.append({"person": p.index, "channel": channel, "purpose": purpose, "granted": granted,
                              "at": at, "source": f"demo:{p.channel}", "notice_version": notice(at)})

    at = p.acquired_at
    add("any", "service", True, at)
    marketing = [c for c, has in (("sms", p.phone), ("email", p.email), ("wechat", p.channel == "wechat")) if has]
    for channel in marketing:
        if rng.random() < 0.65:
            add(channel, "marketing", True, at)
            if rng.random() < 0.12:
                add(channel, "marketing", False, at + dt.timedelta(days=rng.randint(10, 400)))
    add("any", "analytics", rng.random() < 0.8, at)
    add("any", "personalisation", rng.random() < 0.85, at)
    if rng.random() < 0.2:
        add("any", "sharing", True, at)


def load(session: Session, cipher: PiiCipher, shop: DemoShop, *, progress: Progress | None = None,
         now: dt.datetime | None = None) -> DemoResult:
    """Store the shop through the bulk ingest path; the caller commits."""
    now = now or utcnow()
    step = progress or (lambda _what, _n: None)
    ids: list[int] = []
    created: list[bool] = []
    for part in chunks(shop.people, 1000):
        for cid, new in resolve_people(session, cipher, [p.person_in() for p in part], now=now):
            ids.append(cid)
            created.append(new)
        step("customers", len(part))
    order_ids: list[int] = []
    for part in chunks(shop.orders, 1000):
        order_ids += [r.id for r in ingest_orders(session, cipher, part, now=now)]
        step("orders", len(part))
    refunds = _load_refunds(session, shop, order_ids)
    events = 0
    for part in chunks(shop.events, 1000):
        rows = [{**{k: v for k, v in e.items() if k != "person"}, "customer_id": ids[e["person"]]} for e in part]
        stmt = insert_ignoring_conflicts(session, EVENTS, ["source", "external_id"]).returning(EVENTS.c.id)
        events += len(session.execute(stmt, rows).all())
        step("events", len(part))
    # Consents have no natural key: a profile that already existed keeps its history as it is.
    consent_rows = [{**{k: v for k, v in c.items() if k != "person"}, "customer_id": ids[c["person"]]}
                    for c in shop.consents if created[c["person"]]]
    for part in chunks(consent_rows, 1000):
        session.execute(insert(CONSENTS), list(part))
    return DemoResult(
        customers=len(set(ids)), created=sum(created), orders=len(set(order_ids)), refunds=refunds, events=events,
        consents=len(consent_rows), customer_ids=ids,
        duplicates={(min(ids[a], ids[b]), max(ids[a], ids[b])) for a, b in shop.duplicates})


def _load_refunds(session: Session, shop: DemoShop, order_ids: list[int]) -> int:
    rows = [{"order_id": order_ids[r["order"]], "external_id": r["external_id"], "amount_minor": r["amount_minor"],
             "lines": r["lines"], "created_at": r["at"]} for r in shop.refunds]
    new: set[int] = set()
    for part in chunks(rows, 500):
        stmt = insert_ignoring_conflicts(session, REFUNDS, ["order_id", "external_id"]).returning(REFUNDS.c.order_id)
        new.update(session.execute(stmt, list(part)).scalars())
    fresh = [r for r in shop.refunds if order_ids[r["order"]] in new]
    if not fresh:
        return 0
    orders = [{"oid": order_ids[r["order"]], "refunded": r["amount_minor"], "at": r["at"],
               "st": "refunded" if r["amount_minor"] >= shop.orders[r["order"]].total_minor else "partially_refunded"}
              for r in fresh]
    # Core executemany: one prepared UPDATE for all refunded orders and their lines.
    session.execute(update(ORDERS).where(ORDERS.c.id == bindparam("oid")).values(
        refunded_minor=bindparam("refunded"), status=bindparam("st"), updated_at=bindparam("at")), orders)
    lines = [{"oid": order_ids[r["order"]], "sku_": x["sku"], "qty": x["quantity"]} for r in fresh for x in r["lines"]]
    session.execute(update(LINES).where(LINES.c.order_id == bindparam("oid"), LINES.c.sku == bindparam("sku_"))
                    .values(refunded_quantity=bindparam("qty")), lines)
    return len(fresh)


def build_demo(session: Session, cipher: PiiCipher, customers: int, seed: int = 1, *,
               progress: Progress | None = None, now: dt.datetime | None = None) -> DemoResult:
    now = now or utcnow()
    return load(session, cipher, generate(customers, seed, now=now), progress=progress, now=now)
