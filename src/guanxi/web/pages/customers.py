"""Customers: search by exact phone or e-mail, name prefix or id; filter by tag and channel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from guanxi.customers import profiles
from guanxi.deps import RuntimeDep, SessionDep
from guanxi.pagination import decode_cursor, next_cursor
from guanxi.staff.roles import Perm
from guanxi.web import menu
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import render

router = APIRouter()
menu.add("customers", N_("Customers"), "/customers", Perm.customers_read, order=20)

PAGE_SIZE = 50
CHANNELS = ("site", "wechat", "douyin", "weibo", "shopify", "taobao", "store", "import")
Text = Annotated[str, Query(max_length=200)]


@router.get("/customers")
def customer_list(request: Request, actor: page_for(Perm.customers_read), session: SessionDep, runtime: RuntimeDep,
                  q: Text = "", tag: Text = "", channel: Text = "", cursor: Text = ""):
    rows = profiles.search(session, runtime.cipher, q.strip() or None, tag=tag.strip() or None,
                           channel=channel.strip() or None, region=runtime.settings.default_region,
                           after_id=decode_cursor(cursor or None), limit=PAGE_SIZE)
    # Names in the list follow the API: in full for roles that may see personal data, masked otherwise.
    reveal = actor.can(Perm.customers_read_pii)
    items = [profiles.summary(c, runtime.cipher, reveal=reveal) for c in rows]
    return render(request, "customers/list.html", {
        "items": items, "q": q, "tag": tag, "channel": channel, "channels": CHANNELS,
        "next_cursor": next_cursor(rows, PAGE_SIZE), "paged": bool(cursor),
    }, fragment="customers/_results.html")
