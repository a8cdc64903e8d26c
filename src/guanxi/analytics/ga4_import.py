"""Import a GA4 BigQuery export (flattened CSV or JSON lines) as customer events, for the funnel.

Each row needs ``event_name``, ``user_pseudo_id`` and ``event_timestamp`` (microseconds since the
epoch, UTC, as BigQuery exports it; an ISO 8601 time is accepted too). Mapping:

    page_view → page_view      view_item → product_view     add_to_cart → add_to_cart
    begin_checkout → checkout_started                       purchase → custom {"event": "purchase"}

Other event names are skipped (counted, not errors). The person is the identity
("external", "ga4", user_pseudo_id). The channel is ``traffic_source.source`` (or
``traffic_source_source``, then ``platform``), else "ga4". Each event's external id is a hash of
user, timestamp, name and ``event_bundle_sequence_id``, so importing a file twice stores nothing
new. Bad rows are reported with their line number; the good ones are stored in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from guanxi.customers.events import EventIn, record_events
from guanxi.customers.records import IdentityKey, PersonIn
from guanxi.privacy.crypto import PiiCipher

SOURCE = "ga4"
KIND_OF = {"page_view": "page_view", "view_item": "product_view", "add_to_cart": "add_to_cart",
           "begin_checkout": "checkout_started", "purchase": "custom"}
BATCH = 1000
MAX_ERRORS = 1000  # listed in the report; all are counted


@dataclass
class Ga4Report:
    rows: int = 0
    created: int = 0
    known: int = 0
    skipped: int = 0
    bad: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"rows": self.rows, "created": self.created, "known": self.known, "skipped": self.skipped,
                "bad_rows": self.bad, "errors": self.errors}


def _flat(obj: dict, prefix: str = "") -> dict:
    """{"traffic_source": {"source": "x"}} → {"traffic_source.source": "x"} (nested exports)."""
    out = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def rows(text: str, fmt: str):
    """(line number, flat row or an error message) for each data line of a ``jsonl`` or ``csv`` text."""
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        for row in reader:
            yield reader.line_num, {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        return
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield n, f"not JSON: {exc.msg}"
            continue
        yield n, _flat(obj) if isinstance(obj, dict) else "not a JSON object"


def _time(value) -> dt.datetime:
    text = str(value).strip()
    if text.isdigit():
        return dt.datetime.fromtimestamp(int(text) / 1_000_000, tz=dt.UTC)
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError("a time without a zone")
    return t.astimezone(dt.UTC)


def to_event(row: dict) -> EventIn | str | None:
    """The event for one row, None to skip it, or why it is bad."""
    name, user, stamp = (row.get(k) for k in ("event_name", "user_pseudo_id", "event_timestamp"))
    missing = [k for k, v in (("event_name", name), ("user_pseudo_id", user), ("event_timestamp", stamp))
               if v in (None, "")]
    if missing:
        return f"missing {', '.join(missing)}"
    if str(name) not in KIND_OF:
        return None
    try:
        at = _time(stamp)
    except (ValueError, OverflowError, OSError):
        return f"event_timestamp {str(stamp)[:40]!r} is neither microseconds since 1970 nor an ISO time with a zone"
    if not dt.datetime(2000, 1, 1, tzinfo=dt.UTC) <= at <= dt.datetime(2200, 1, 1, tzinfo=dt.UTC):
        return "event_timestamp is out of range (2000–2200)"
    user = str(user)[:200]
    channel = str(row.get("traffic_source.source") or row.get("traffic_source_source") or row.get("platform")
                  or SOURCE)[:40]
    props: dict = {"channel": channel, "ga4_event": str(name)}
    if name == "purchase":
        props["event"] = "purchase"
        for key in ("ecommerce.transaction_id", "ecommerce.purchase_revenue", "ecommerce.currency"):
            if row.get(key) not in (None, ""):
                props[key.split(".", 1)[1]] = row[key]
    seq = row.get("event_bundle_sequence_id", "")
    digest = hashlib.sha256(f"{user}\x1f{stamp}\x1f{name}\x1f{seq}".encode()).hexdigest()[:40]
    return EventIn(kind=KIND_OF[str(name)], occurred_at=at, person=PersonIn([IdentityKey("external", SOURCE, user)]),
                   source=SOURCE, external_id=digest, properties=props)


def import_ga4(session: Session, cipher: PiiCipher, text: str, fmt: str, *, dry_run: bool = False) -> Ga4Report:
    """Check every row, store the good ones (not on a dry run); the caller commits."""
    report, batch = Ga4Report(), []
    for line, row in rows(text, fmt):
        report.rows += 1
        event = row if isinstance(row, str) else to_event(row)
        if event is None:
            report.skipped += 1
        elif isinstance(event, str):
            report.bad += 1
            if len(report.errors) < MAX_ERRORS:
                report.errors.append({"line": line, "reason": event})
        else:
            batch.append(event)
            if len(batch) >= BATCH and not dry_run:
                _store(session, cipher, batch, report)
                batch = []
    if dry_run:
        report.created = len(batch)  # "would be stored" (some may be known already)
    elif batch:
        _store(session, cipher, batch, report)
    return report


def _store(session, cipher, batch, report: Ga4Report) -> None:
    for _, _, created in record_events(session, cipher, batch):
        if created:
            report.created += 1
        else:
            report.known += 1
