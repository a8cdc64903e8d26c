from sqlalchemy import select
from typer.testing import CliRunner

from guanxi.customers import profiles
from guanxi.customers.models import Customer
from guanxi.privacy import rotation
from guanxi.privacy.crypto import PiiCipher
from guanxi.privacy.models import AuditEntry
from guanxi.privacy.secrets import read_secrets
from guanxi.staff.roles import SYSTEM


def seed(client, auth, n=7) -> list[int]:
    h = auth("admin")
    ids = []
    for i in range(n):
        body = {"email": f"p{i}@example.com", "phone": f"1390013{i:04d}", "name": f"客户{i} Person",
                "birthday": f"1990-01-{i + 1:02d}", "address": f"{i} Rotation Road"}
        if i % 3 == 0:
            body.pop("address")  # some values are NULL: nothing to re-encrypt there
        ids.append(client.post("/api/v1/customers", json=body, headers=h).json()["id"])
    return ids


def snapshot(runtime, cipher, ids) -> dict:
    with runtime.factory() as s:
        return {cid: {k: v for k, v in profiles.view(s, cipher, cid, reveal=True).items()
                      if k in ("name", "birthday", "address", "identities")} for cid in ids}


def key_ids(runtime) -> set[str]:
    found = set()
    with runtime.factory() as s:
        for table, columns in rotation.encrypted_tables():
            for row in s.execute(select(*columns)):
                found |= {PiiCipher.key_id_of(v) for v in row if v is not None}
    return found


def test_rotation_reencrypts_everything(client, auth, runtime, settings):
    ids = seed(client, auth)
    before = snapshot(runtime, runtime.cipher, ids)
    assert key_ids(runtime) == {"k1"}
    progress = []
    report = rotation.rotate_keys(runtime.factory, settings.secrets_path, SYSTEM, batch_size=3,
                                  progress=lambda done, total: progress.append((done, total)))
    assert report.complete and not report.resumed and report.key_id == "k2"
    assert report.rows == 7 + 14 and report.values == 7 * 2 + 4 + 14
    assert progress[0] == (0, 21) and progress[-1] == (21, 21)
    secrets = read_secrets(settings.secrets_path)
    assert secrets.active_key_id == "k2" and set(secrets.pii_keys) == {"k1", "k2"}
    assert key_ids(runtime) == {"k2"}
    cipher = PiiCipher(secrets)
    assert snapshot(runtime, cipher, ids) == before
    with runtime.factory() as s:  # the blind index is unchanged: search still finds people
        assert [c.id for c in profiles.search(s, cipher, "p3@example.com")] == [ids[3]]
        [row] = s.scalars(select(AuditEntry).where(AuditEntry.kind == "keys_rotated"))
        assert row.subject_id == "k2" and row.details["values"] == report.values


def test_interrupted_rotation_resumes(client, auth, runtime, settings):
    ids = seed(client, auth)
    before = snapshot(runtime, runtime.cipher, ids)
    # A rotation killed after two batches: part of the data under k2, the rest still under k1.
    first = rotation.rotate_keys(runtime.factory, settings.secrets_path, SYSTEM, batch_size=2, max_batches=2)
    assert not first.complete and first.rows == 4
    assert key_ids(runtime) == {"k1", "k2"}
    cipher = PiiCipher(read_secrets(settings.secrets_path))
    assert snapshot(runtime, cipher, ids) == before  # readable throughout
    with runtime.factory() as s:
        assert s.scalar(select(AuditEntry).where(AuditEntry.kind == "keys_rotated")) is None
        untouched = s.scalar(select(Customer.name_enc).where(Customer.id == ids[-1]))

    second = rotation.rotate_keys(runtime.factory, settings.secrets_path, SYSTEM, batch_size=2)
    assert second.complete and second.resumed and second.key_id == "k2"
    assert second.rows == 21 - 4  # rows already under k2 were skipped
    assert set(read_secrets(settings.secrets_path).pii_keys) == {"k1", "k2"}  # no new key on resume
    assert key_ids(runtime) == {"k2"}
    assert snapshot(runtime, cipher, ids) == before
    with runtime.factory() as s:
        assert s.scalar(select(Customer.name_enc).where(Customer.id == ids[-1])) != untouched

    third = rotation.rotate_keys(runtime.factory, settings.secrets_path, SYSTEM)
    assert third.key_id == "k3" and not third.resumed and key_ids(runtime) == {"k3"}


def test_keys_rotate_command(client, auth, runtime, settings):
    from guanxi.cli import _register, app

    _register()
    ids = seed(client, auth, n=3)
    before = snapshot(runtime, runtime.cipher, ids)
    result = CliRunner().invoke(app, ["keys", "rotate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "rotated to key k2" in result.output
    assert key_ids(runtime) == {"k2"}
    assert snapshot(runtime, PiiCipher(read_secrets(settings.secrets_path)), ids) == before
