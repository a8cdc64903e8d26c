"""Key rotation (privacy.rotation) re-seals every encrypted field of the inbox: addresses, bodies, subjects, file names."""

from __future__ import annotations

from guanxi.conversations import attachments, email_threads, threads
from guanxi.conversations.models import ConversationAttachment
from guanxi.db import transaction
from guanxi.privacy import rotation
from guanxi.privacy.crypto import PiiCipher
from guanxi.privacy.secrets import read_secrets
from guanxi.service.tickets import AttachmentIn
from guanxi.staff.roles import SYSTEM

PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)


def test_rotation_reseals_conversation_fields(runtime, settings, conv_cfg, make_customer):
    cid, email, _ = make_customer()
    with transaction(runtime.factory) as s:
        got = email_threads.receive_mail(s, runtime.cipher, email_threads.MailIn(
            customer_id=cid, address=email, message_id="<rot-1@example.com>", subject="发票", body="请开发票",
            attachments=[AttachmentIn("fapiao.png", "image/png", PNG)]), conv_cfg, data_dir=settings.data_dir)
        conv_id, msg_id = got.conversation.id, got.message.id
    report = rotation.rotate_keys(runtime.factory, settings.secrets_path, SYSTEM)
    assert report.complete
    cipher = PiiCipher(read_secrets(settings.secrets_path))
    with runtime.factory() as s:
        msg = threads.messages_of(s, conv_id)[0]
        assert msg.id == msg_id and PiiCipher.key_id_of(msg.body_enc) == cipher.active_key_id
        assert threads.body_of(cipher, msg) == "请开发票"
        assert threads.address_of(cipher, threads.get(s, conv_id)) == email
        assert email_threads.reply_headers(s, cipher, threads.get(s, conv_id)).subject == "Re: 发票"
        [att] = s.query(ConversationAttachment).all()
        assert attachments.name_of(cipher, att) == "fapiao.png"
