"""The inbox over HTTP."""

from __future__ import annotations

from fastapi import APIRouter

from guanxi.conversations import customer_hooks as _customer_hooks  # noqa: F401  (timeline, export, erasure, merge)
from guanxi.conversations.chat_api import router as chat_router
from guanxi.conversations.webhooks_api import router as webhooks_router

router = APIRouter()
router.include_router(webhooks_router)
router.include_router(chat_router)
