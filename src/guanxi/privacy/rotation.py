"""Data key rotation: a new key becomes active and every encrypted value is re-encrypted with it.

Resumable: each batch commits on its own, and rows whose values are all under the active key
are skipped, so a rotation killed midway is finished by running it again (which then adds no
new key: a new key is only added when every value is already under the active one). Old keys
stay in the secrets file, for older backups and for servers not yet restarted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from sqlalchemy import Table, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from guanxi.db import transaction
from guanxi.errors import GuanxiError
from guanxi.privacy import audit
from guanxi.privacy.audit import AuditKind
from guanxi.privacy.crypto import PiiCipher
from guanxi.privacy.secrets import read_secrets, write_secrets
from guanxi.staff.roles import Actor
from guanxi.tables import metadata

Progress = Callable[[int, int], None]  # (rows done, rows in all)


@dataclass
class RotationReport:
    key_id: str
    resumed: bool
    rows: int = 0
    values: int = 0
    complete: bool = False


def encrypted_tables() -> list[tuple[Table, list]]:
    """Every table with `*_enc` columns, and those columns."""
    found = []
    for table in metadata().sorted_tables:
        columns = [c for c in table.c if c.name.endswith("_enc")]
        if columns:
            found.append((table, columns))
    return found


def _stale(columns, key_id: str):
    return or_(*(and_(c.is_not(None), c.not_like(f"{key_id}.%")) for c in columns))


def pending_rows(session: Session, key_id: str) -> dict[str, int]:
    """Rows per table holding a value not yet under `key_id`."""
    return {table.name: session.scalar(select(func.count()).select_from(table).where(_stale(columns, key_id)))
            for table, columns in encrypted_tables()}


def _contexts(table: Table, column, row) -> list[str]:
    # The associated data a value was sealed with: the field's name (customers.name_enc → "name"),
    # or the identity kind for identity values.
    candidates = [column.name.removesuffix("_enc")]
    if column.info.get("pii_context"):   # a column sealed under its own name for the data (e.g. conversation bodies)
        candidates.insert(0, column.info["pii_context"])
    if "kind" in table.c and row.kind:
        candidates.insert(0, row.kind)
    return [*candidates, ""]


def _reseal(cipher: PiiCipher, token: str, contexts: list[str], where: str) -> str:
    for context in contexts:
        try:
            plain = cipher.decrypt(token, context=context)
        except InvalidTag:
            continue
        except KeyError:
            raise GuanxiError(f"{where} is under key {PiiCipher.key_id_of(token)!r}, which the secrets file does "
                              "not hold: import the keys it was written with (`guanxi keys import`)") from None
        return cipher.encrypt(plain, context=context)
    raise GuanxiError(f"{where} cannot be decrypted with its key: the value or the key is damaged")


def reencrypt(factory: sessionmaker[Session], cipher: PiiCipher, *, batch_size: int = 500,
              max_batches: int | None = None, progress: Progress | None = None) -> RotationReport:
    """Re-encrypt every value not under the cipher's active key, a committed batch at a time."""
    key_id = cipher.active_key_id
    report = RotationReport(key_id=key_id, resumed=False)
    with factory() as session:
        total = sum(pending_rows(session, key_id).values())
    if progress:
        progress(0, total)
    batches = 0
    for table, columns in encrypted_tables():
        extra = [table.c.kind] if "kind" in table.c else []
        last_id = 0
        while True:
            if max_batches is not None and batches >= max_batches:
                return report
            with transaction(factory) as session:
                rows = session.execute(
                    select(table.c.id, *columns, *extra).where(table.c.id > last_id, _stale(columns, key_id))
                    .order_by(table.c.id).limit(batch_size).with_for_update()).all()
                if not rows:
                    break
                _rewrite(session, cipher, table, columns, rows)
            batches += 1
            last_id = rows[-1].id
            report.rows += len(rows)
            report.values += sum(1 for r in rows for c in columns if _needs(r, c, key_id))
            if progress:
                progress(report.rows, total)
    report.complete = True
    return report


def _needs(row, column, key_id: str) -> bool:
    token = row._mapping[column.name]
    return token is not None and PiiCipher.key_id_of(token) != key_id


def _rewrite(session: Session, cipher: PiiCipher, table: Table, columns: list, rows) -> None:
    # Rows are grouped by which of their columns change, so each group is one executemany.
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        values = {}
        for column in columns:
            if _needs(row, column, cipher.active_key_id):
                values[column.name] = _reseal(cipher, row._mapping[column.name], _contexts(table, column, row),
                                              f"{table.name}.{column.name} of row {row.id}")
        groups.setdefault(tuple(sorted(values)), []).append(
            {"row_id": row.id, **{f"new_{name}": value for name, value in values.items()}})
    for names, params in groups.items():
        stmt = (update(table).where(table.c.id == bindparam("row_id"))
                .values({name: bindparam(f"new_{name}") for name in names}))
        session.execute(stmt, params)


def rotate_keys(factory: sessionmaker[Session], secrets_path: Path, actor: Actor, *, batch_size: int = 500,
                max_batches: int | None = None, progress: Progress | None = None) -> RotationReport:
    """Add a new data key (unless a rotation is unfinished) and re-encrypt everything with it.

    The new key is written to the secrets file before any value uses it, so a crash at any
    point leaves every value readable. Audited as keys_rotated when the rotation completes.
    """
    secrets = read_secrets(secrets_path)
    with factory() as session:
        resumed = any(pending_rows(session, secrets.active_key_id).values())
    if not resumed:
        secrets.add_key()
        write_secrets(secrets_path, secrets)
    report = reencrypt(factory, PiiCipher(secrets), batch_size=batch_size, max_batches=max_batches,
                       progress=progress)
    report.resumed = resumed
    if report.complete:
        with transaction(factory) as session:
            audit.record(session, AuditKind.keys_rotated, actor, subject_type="key", subject_id=report.key_id,
                         rows=report.rows, values=report.values, resumed=resumed)
    return report
