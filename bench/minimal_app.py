"""The yardstick for POST /api/v1/orders: a minimal async FastAPI endpoint doing only the inserts.

Same request body, same tables and rows as Guanxi: find the customer by the phone's blind
index or create it (customer row + phone identity, ON CONFLICT on the hash), insert the order
(ON CONFLICT on source + external id) and its lines, in one transaction on one pooled
psycopg async connection. No authentication, no audit row, no ORM, no product catalogue,
no phone parsing. The phone is encrypted and hashed with Guanxi's own cipher so that both
endpoints find the same returning customers.

    BENCH_PG_DSN=... GUANXI_DATA_DIR=... uvicorn minimal_app:create_app --factory --app-dir bench --workers 2
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
from pathlib import Path

import psycopg
from fastapi import FastAPI, Response
from pydantic import BaseModel

from guanxi.privacy.crypto import PiiCipher
from guanxi.privacy.secrets import read_secrets

POOL_SIZE = int(os.environ.get("BENCH_POOL_SIZE", "5"))


class Line(BaseModel):
    sku: str
    name: str = ""
    category: str | None = None
    quantity: int
    unit_price_minor: int


class Customer(BaseModel):
    phone: str
    name: str | None = None


class Order(BaseModel):
    source: str
    external_id: str
    customer: Customer
    placed_at: dt.datetime
    currency: str
    status: str = "paid"
    total_minor: int
    discount_minor: int = 0
    shipping_minor: int = 0
    channel: str | None = None
    lines: list[Line] = []


class Pool:
    """A fixed set of connections handed out in turn (enough for a benchmark, no health checks)."""

    def __init__(self, dsn: str, size: int):
        self.dsn, self.size = dsn, size
        self.idle: asyncio.Queue[psycopg.AsyncConnection] = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self.size):
            self.idle.put_nowait(await psycopg.AsyncConnection.connect(self.dsn))

    async def close(self) -> None:
        while not self.idle.empty():
            await self.idle.get_nowait().close()

    @contextlib.asynccontextmanager
    async def connection(self):
        conn = await self.idle.get()
        try:
            yield conn
        finally:
            self.idle.put_nowait(conn)


FIND = "SELECT customer_id FROM customer_identities WHERE value_hash = %s"
NEW_CUSTOMER = """INSERT INTO customers (status, name_enc, locale, timezone, tags, attributes, preferences,
    acquisition_channel, acquired_at, created_at, updated_at)
    VALUES ('active', %s, 'zh-CN', 'Asia/Shanghai', '[]', '{}', '{}', %s, %s, %s, %s) RETURNING id"""
NEW_IDENTITY = """INSERT INTO customer_identities (customer_id, kind, source, value_enc, value_hash, created_at)
    VALUES (%s, 'phone', '', %s, %s, %s) ON CONFLICT (value_hash) DO NOTHING RETURNING customer_id"""
NEW_ORDER = """INSERT INTO orders (source, external_id, customer_id, placed_at, status, currency, total_minor,
    discount_minor, shipping_minor, refunded_minor, channel, created_at, updated_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s)
    ON CONFLICT (source, external_id) DO NOTHING RETURNING id"""
NEW_LINE = """INSERT INTO order_lines (order_id, line_no, sku, name, category, quantity, unit_price_minor,
    refunded_quantity) VALUES (%s, %s, %s, %s, %s, %s, %s, 0)"""


def create_app() -> FastAPI:
    cipher = PiiCipher(read_secrets(Path(os.environ["GUANXI_DATA_DIR"]) / "secrets.json"))
    pool = Pool(os.environ["BENCH_PG_DSN"], POOL_SIZE)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await pool.open()
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.post("/orders", status_code=201)
    async def create_order(body: Order, response: Response) -> dict:
        now = dt.datetime.now(dt.UTC)
        h = cipher.blind_index("id:phone", f"\x00{body.customer.phone}")
        async with pool.connection() as conn, conn.transaction():
            row = await (await conn.execute(FIND, (h,))).fetchone()
            if row:
                customer_id = row[0]
            else:
                name_enc = cipher.encrypt(body.customer.name, context="name")
                cur = await conn.execute(NEW_CUSTOMER, (name_enc, body.channel, now, now, now))
                customer_id = (await cur.fetchone())[0]
                phone_enc = cipher.encrypt(body.customer.phone, context="phone")
                won = await (await conn.execute(NEW_IDENTITY, (customer_id, phone_enc, h, now))).fetchone()
                if won is None:  # a concurrent request stored this phone first
                    await conn.execute("DELETE FROM customers WHERE id = %s", (customer_id,))
                    customer_id = (await (await conn.execute(FIND, (h,))).fetchone())[0]
            cur = await conn.execute(NEW_ORDER, (
                body.source, body.external_id, customer_id, body.placed_at, body.status, body.currency,
                body.total_minor, body.discount_minor, body.shipping_minor, body.channel, now, now))
            order = await cur.fetchone()
            if order is None:
                response.status_code = 200
                return {"customer_id": customer_id}
            async with conn.cursor() as lines:
                await lines.executemany(NEW_LINE, [
                    (order[0], n, l.sku, l.name, l.category, l.quantity, l.unit_price_minor)
                    for n, l in enumerate(body.lines, start=1)])
        return {"id": order[0], "customer_id": customer_id}

    return app
