"""Files in conversations: checked by their bytes, stored encrypted in the data dir, shown only to those allowed.

The type is what the content is (magic numbers), not what the name or the browser claims; a name
whose extension says another type is refused too. The file on disk is the PII cipher's sealed
text of the bytes (AES-GCM, the same keys as every personal field), under a random name; the
table keeps the encrypted original name. Staff with the inbox permission and the visitor whose
thread it is may read it (the routes check that); nobody else can name the file.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from guanxi.conversations import threads
from guanxi.conversations.models import Conversation, ConversationAttachment, ConversationMessage
from guanxi.conversations.settings import ConversationSettings, get_conversation_settings
from guanxi.db import utcnow
from guanxi.errors import GuanxiError, Invalid, NotFound
from guanxi.privacy.crypto import PiiCipher

NAME_CONTEXT = "filename"   # the column name without _enc: what key rotation (privacy.rotation) tries
UNCOMMITTED = "conversation_files_written"   # session.info: sealed files whose rows are not committed yet
DOOMED = "conversation_files_erased"         # session.info: files whose rows were deleted, removed on commit
FOLDER = "attachments"
EXTENSIONS = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
              "webp": "image/webp", "pdf": "application/pdf"}


class TooLarge(GuanxiError):
    status = 413
    title = "File too large"


class UnsupportedType(GuanxiError):
    status = 415
    title = "File type not allowed"


def sniff(data: bytes) -> str | None:
    """The content type the bytes are, from their first bytes; None when not one we know."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def check(cfg: ConversationSettings, filename: str, data: bytes) -> str:
    """The file's content type if it may be attached; else TooLarge (413), UnsupportedType (415) or Invalid (422)."""
    if not filename.strip():
        raise Invalid("the file needs a name")
    if not data:
        raise Invalid(f"{filename} is empty")
    if len(data) > cfg.attachment_max_bytes:
        raise TooLarge(f"{filename} is {len(data):,} bytes; files are at most {cfg.attachment_max_bytes:,} bytes")
    kind = sniff(data)
    allowed = ", ".join(cfg.attachment_types)
    if kind is None or kind not in cfg.attachment_types:
        raise UnsupportedType(f"{filename} is not an allowed file; send one of: {allowed}")
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    if ext in EXTENSIONS and EXTENSIONS[ext] != kind:
        raise UnsupportedType(f"{filename} is named .{ext} but its content is {kind}; rename it or send the real file")
    return kind


@dataclass(frozen=True)
class Store:
    """Where the sealed files live: <data dir>/attachments/."""

    root: Path

    def path(self, key: str) -> Path:
        return self.root / FOLDER / key

    def write(self, cipher: PiiCipher, key: str, data: bytes) -> None:
        folder = self.root / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        # The cipher seals text: the bytes go in as base64, bound to this file's key.
        sealed = cipher.encrypt(base64.b64encode(data).decode(), context=f"{FOLDER}:{key}")
        tmp = folder / f".{key}.tmp"
        tmp.write_text(sealed)
        os.chmod(tmp, 0o600)
        tmp.replace(self.path(key))

    def read(self, cipher: PiiCipher, key: str) -> bytes:
        try:
            sealed = self.path(key).read_text()
        except FileNotFoundError:
            raise NotFound("the file is no longer stored") from None
        return base64.b64decode(cipher.decrypt(sealed, context=f"{FOLDER}:{key}"))

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


@event.listens_for(Session, "after_commit")
def _files_kept(session: Session) -> None:
    session.info.pop(UNCOMMITTED, None)
    for path in session.info.pop(DOOMED, []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_rollback")
def _files_dropped(session: Session) -> None:
    # The rows are gone, so their files must go too: nothing half-written survives a failed transaction.
    for path in session.info.pop(UNCOMMITTED, []):
        path.unlink(missing_ok=True)
    session.info.pop(DOOMED, None)   # the erasure did not happen: its files stay


def store_at(data_dir: Path | None) -> Store:
    """The store in this data dir; without one, the data dir of the settings now in force."""
    if data_dir is None:
        from guanxi.config import load_settings

        data_dir = load_settings().data_dir
    return Store(Path(data_dir))


def add(session: Session, cipher: PiiCipher, store: Store, cfg: ConversationSettings, msg: ConversationMessage,
        filename: str, data: bytes, *, now: dt.datetime | None = None) -> ConversationAttachment:
    """Attach one checked file to a message (the message is in the caller's transaction)."""
    kind = check(cfg, filename, data)
    key = secrets.token_hex(16)
    store.write(cipher, key, data)
    session.info.setdefault(UNCOMMITTED, []).append(store.path(key))
    att = ConversationAttachment(conversation_id=msg.conversation_id, message_id=msg.id, content_type=kind,
                                 filename_enc=cipher.encrypt(filename.strip()[:255], context=NAME_CONTEXT),
                                 size=len(data), storage_key=key, created_at=now or utcnow())
    session.add(att)
    session.flush()
    return att


def add_from_mail(session: Session, cipher: PiiCipher, store: Store, msg: ConversationMessage, filename: str,
                  data: bytes) -> bool:
    """A file that came with an e-mail: kept when allowed; the mail itself is never refused for it."""
    try:
        add(session, cipher, store, get_conversation_settings(), msg, filename, data)
    except GuanxiError:
        return False
    return True


def move(session: Session, from_conversation_id: int, to_conversation_id: int) -> None:
    """The thread's messages joined another thread (a visitor signed in): their files go along."""
    session.execute(update(ConversationAttachment).where(ConversationAttachment.conversation_id == from_conversation_id)
                    .values(conversation_id=to_conversation_id))


def erase(session: Session, conversation_ids: list[int], store: Store | None = None) -> int:
    """Remove the files of these conversations (erasure); the sealed files go once the transaction commits."""
    store = store or store_at(None)
    rows = list(session.scalars(select(ConversationAttachment).where(
        ConversationAttachment.conversation_id.in_(conversation_ids)))) if conversation_ids else []
    for att in rows:
        session.info.setdefault(DOOMED, []).append(store.path(att.storage_key))
        session.delete(att)
    session.flush()
    return len(rows)


def name_of(cipher: PiiCipher, att: ConversationAttachment) -> str:
    return cipher.decrypt(att.filename_enc, context=NAME_CONTEXT) or "file"


def of_messages(session: Session, message_ids: list[int]) -> dict[int, list[ConversationAttachment]]:
    out: dict[int, list[ConversationAttachment]] = {}
    if message_ids:
        for a in session.scalars(select(ConversationAttachment).where(ConversationAttachment.message_id.in_(message_ids))
                                 .order_by(ConversationAttachment.id)):
            out.setdefault(a.message_id, []).append(a)
    return out


def get_in(session: Session, conv: Conversation, attachment_id: int) -> ConversationAttachment:
    """The attachment, if it belongs to this conversation (the caller has checked who may read that)."""
    att = session.get(ConversationAttachment, attachment_id)
    if att is None or att.conversation_id != conv.id:
        raise NotFound(f"no file {attachment_id} in this conversation")
    return att


def public(cipher: PiiCipher, att: ConversationAttachment) -> dict:
    return {"id": att.id, "filename": name_of(cipher, att), "content_type": att.content_type, "size": att.size}


def reply_with_file(session: Session, cipher: PiiCipher, store: Store, cfg: ConversationSettings, conv: Conversation,
                    author: str, filename: str, data: bytes, *, text: str = "") -> tuple[ConversationMessage,
                                                                                       ConversationAttachment]:
    """An agent sends a file (with an optional line of text) to the visitor of a live chat."""
    if conv.channel != "livechat":
        # The platforms' reply adapters carry text only; a file there would silently never arrive.
        raise Invalid("files can be sent on live chat only; on other channels send a link")
    check(cfg, filename, data)
    msg = threads.reply(session, cipher, conv, text.strip() or filename.strip(), author, kind="file")
    return msg, add(session, cipher, store, cfg, msg, filename, data)
