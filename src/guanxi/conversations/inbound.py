"""Platform messages and calls into the inbox: who wrote (the customers domain decides), which thread."""

from __future__ import annotations

from sqlalchemy.orm import Session

from guanxi.conversations import platforms, threads
from guanxi.conversations.settings import ConversationSettings
from guanxi.customers import identity, normalise
from guanxi.customers.records import IdentityKey, PersonIn
from guanxi.privacy.crypto import PiiCipher

CHANNEL_OF_KIND = {"wechat_openid": "wechat", "weibo_id": "weibo", "douyin_id": "douyin", "phone": "phone",
                   "email": "email"}


def customer_for(session: Session, cipher: PiiCipher, kind: str, value: str, *, name: str | None = None) -> int:
    """The customer this platform identity belongs to; a first-time sender gets a profile."""
    key = IdentityKey(kind, "", normalise.identity(kind, value))
    person = PersonIn(identities=[key], name=name or None, acquisition_channel=CHANNEL_OF_KIND.get(kind))
    [(customer_id, _)] = identity.resolve_people(session, cipher, [person])
    return customer_id


def accept(session: Session, cipher: PiiCipher, cfg: ConversationSettings, msg: platforms.Inbound
           ) -> threads.Received:
    customer_id = customer_for(session, cipher, msg.identity_kind, msg.user_id, name=msg.user_name)
    conv = threads.thread_for(session, cipher, msg.channel, customer_id=customer_id, thread=msg.thread,
                              address=msg.user_id)
    return threads.receive(session, cipher, cfg, conv, msg.text, external_id=msg.message_id)


def accept_call(session: Session, cipher: PiiCipher, call: platforms.CallIn) -> threads.Received:
    customer_id = customer_for(session, cipher, "phone", call.phone)
    conv = threads.thread_for(session, cipher, "phone", customer_id=customer_id, address=call.phone)
    return threads.log_call(session, cipher, conv, direction=call.direction, seconds=call.seconds, notes=call.notes,
                            author=call.agent, external_id=call.call_id)
