"""The `guanxi` command as a user runs it: real subprocesses against the test database."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from guanxi import backup as backups
from guanxi import migrate
from guanxi.config import load_settings
from guanxi.db import make_engine, make_sessionmaker, transaction, utcnow
from guanxi.errors import ConfigError, GuanxiError
from guanxi.privacy import audit
from guanxi.privacy.models import AuditEntry
from guanxi.privacy.secrets import Secrets, read_secrets, write_secrets
from guanxi.runtime import build_runtime
from guanxi.staff import service
from guanxi.staff.models import ApiToken, StaffUser
from guanxi.staff.roles import Actor, Role

from .subprocesses import GUANXI, last_line, subprocess_env

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _one_error_line(result: subprocess.CompletedProcess, code: int) -> str:
    """A user error: the exit code, one line on stderr, no traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def _fresh_session(url: str):
    """A session on a new engine: after a restore, no pooled connection may remember the old tables."""
    engine = make_engine(url)
    return engine, make_sessionmaker(engine)()


# --- backup and restore ----------------------------------------------------------------------

def test_backup_and_restore_round_trip(cli, runtime, tmp_path):
    url = runtime.settings.resolved_database_url
    with transaction(runtime.factory) as session:
        service.create_user(session, email="keep@shop.example", password="long-enough-1", role="service")
        service.create_token(session, name="erp", role="tech")
    runtime.dispose()

    backup = tmp_path / "backups" / "guanxi.backup"
    result = cli("backup", str(backup))
    assert result.returncode == 0, result.stderr
    assert backup.stat().st_size > 0
    assert "keys export" in result.stdout  # reminds that the keys are not in the backup

    with transaction(runtime.factory) as session:  # changes after the backup
        service.disable_user(session, "keep@shop.example")
        service.revoke_token(session, "erp")
        service.create_token(session, name="after-backup", role="tech")
    runtime.dispose()

    result = cli("restore", str(backup), "--yes")
    assert result.returncode == 0, result.stderr
    engine, session = _fresh_session(url)
    try:
        user = session.scalar(select(StaffUser).where(StaffUser.email == "keep@shop.example"))
        assert user is not None and user.active
        tokens = {t.name: t.revoked_at for t in session.scalars(select(ApiToken))}
        assert tokens == {"erp": None}
    finally:
        session.close()
        engine.dispose()


@SQLITE_ONLY
def test_restore_refuses_a_file_that_is_not_a_backup(cli, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    assert "not a Guanxi SQLite backup" in _one_error_line(cli("restore", str(junk), "--yes"), 1)


@SQLITE_ONLY
def test_sqlite_backup_needs_a_database_and_restores_onto_a_new_machine(database_url, tmp_path):
    missing = tmp_path / "empty-dir" / "guanxi.db"
    missing.parent.mkdir()
    with pytest.raises(GuanxiError, match="nothing to back up"):
        backups.backup(f"sqlite:///{missing}", tmp_path / "b.db")
    assert not missing.exists()  # no empty database was made on the way

    copy = backups.backup(database_url, tmp_path / "b.db")
    new_machine = tmp_path / "new" / "data" / "guanxi.db"
    backups.restore(f"sqlite:///{new_machine}", copy)
    engine = make_engine(f"sqlite:///{new_machine}")
    try:
        assert migrate.at_head(engine)
    finally:
        engine.dispose()


# --- keys ------------------------------------------------------------------------------------

@SQLITE_ONLY
def test_keys_export_and_import_round_trip(cli, settings, tmp_path):
    secrets_path = settings.secrets_path
    original = read_secrets(secrets_path)
    exported = tmp_path / "keys.guanxi"
    passphrase = {"GUANXI_KEYS_PASSPHRASE": "correct horse battery staple"}

    result = cli("keys", "export", str(exported), env=passphrase)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    text = exported.read_text()
    assert original.session_secret not in text and "ciphertext" in text

    wrong = cli("keys", "import", str(exported), "--force", env={"GUANXI_KEYS_PASSPHRASE": "not the passphrase!"})
    assert "wrong passphrase" in _one_error_line(wrong, 1)
    assert "exists" in _one_error_line(cli("keys", "import", str(exported), env=passphrase), 1)

    secrets_path.unlink()  # the machine was lost: install the keys on a new one
    result = cli("keys", "import", str(exported), env=passphrase)
    assert result.returncode == 0, result.stderr
    assert read_secrets(secrets_path) == original
    assert stat.S_IMODE(secrets_path.stat().st_mode) == 0o600


# --- init ------------------------------------------------------------------------------------

def test_init_twice_is_safe_and_creates_the_admin(cli, backend, database_url, tmp_path):
    data_dir = tmp_path / "fresh"
    env = {"GUANXI_DATA_DIR": str(data_dir), "GUANXI_ADMIN_EMAIL": "Boss@Shop.example",
           "GUANXI_ADMIN_PASSWORD": "first-admin-pw-1"}
    if backend == "sqlite":
        env["GUANXI_DATABASE_URL"] = None  # the default: a SQLite file in the data dir, migrated from nothing
        url = f"sqlite:///{data_dir / 'guanxi.db'}"
    else:
        url = database_url

    first = cli("init", env=env)
    assert first.returncode == 0, first.stderr
    assert "first admin: boss@shop.example" in first.stdout.lower() and "first-admin-pw-1" not in first.stdout
    secrets_path = data_dir / "secrets.json"
    assert stat.S_IMODE(secrets_path.stat().st_mode) == 0o600
    secrets_before = secrets_path.read_text()

    second = cli("init", env=env)
    assert second.returncode == 0, second.stderr
    assert "created" not in second.stdout
    assert secrets_path.read_text() == secrets_before  # keys are never regenerated over old ones

    engine, session = _fresh_session(url)
    try:
        assert session.scalar(select(func.count()).select_from(StaffUser)) == 1
        user = service.authenticate(session, "boss@shop.example", "first-admin-pw-1", max_failures=5,
                                    lockout=dt.timedelta(minutes=15))
        assert user.role == "admin"
    finally:
        session.close()
        engine.dispose()


@SQLITE_ONLY
def test_init_without_a_password_prints_a_generated_one_once(cli, tmp_path):
    env = {"GUANXI_DATA_DIR": str(tmp_path / "fresh"), "GUANXI_DATABASE_URL": None}
    result = cli("init", env=env)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "shown once" in line)
    password = line.split(":")[-1].strip()
    assert len(password) >= 12
    engine, session = _fresh_session(f"sqlite:///{tmp_path / 'fresh' / 'guanxi.db'}")
    try:
        service.authenticate(session, "admin@guanxi.local", password, max_failures=5, lockout=dt.timedelta(minutes=1))
    finally:
        session.close()
        engine.dispose()


# --- tokens ----------------------------------------------------------------------------------

@SQLITE_ONLY  # the token rules themselves run on both backends in test_access.py
def test_token_create_list_revoke(cli, client, runtime):
    result = cli("token", "create", "--name", "shopify-sync", "--role", "tech")
    assert result.returncode == 0, result.stderr
    token = last_line(result.stdout)
    assert token.startswith("gx_") and " " not in token
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert (me["kind"], me["name"], me["role"]) == ("token", "shopify-sync", "tech")

    listed = cli("token", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split("\t")[:3] == ["shopify-sync", "tech", "active"]
    assert token not in listed.stdout  # names, never values

    assert cli("token", "revoke", "shopify-sync").returncode == 0
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    with runtime.factory() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == "shopify-sync"))
        assert row.revoked_at is not None and row.token_hash != token  # only a hash is stored


@SQLITE_ONLY
def test_user_errors_are_one_line(cli):
    assert "no token named" in _one_error_line(cli("token", "revoke", "[/nope]"), 1)  # markup-like text is safe
    bad_date = cli("audit", "report", "--actor", "user:li@shop.example", "--from", "yesterday", "--to", "2030-01-01")
    assert "is not a date" in _one_error_line(bad_date, 1)


# --- settings and startup --------------------------------------------------------------------

BAD_SETTINGS = [  # (variable, value, a command that reads it)
    ("GUANXI_DATABASE_URL", "not-a-url", "doctor"),
    ("GUANXI_LOGIN_MAX_FAILURES", "abc", "doctor"),
    ("GUANXI_JOB_MODULES", "guanxi.loyalty.jobs", "worker"),  # not a JSON list
    ("GUANXI_JOB_MODULES", '["no_such_package.jobs"]', "worker"),
]


@SQLITE_ONLY
def test_a_bad_setting_is_one_line_naming_it_and_exit_2(settings, tmp_path):
    procs = [subprocess.Popen([str(GUANXI), command], env=subprocess_env(**{variable: value}), cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for variable, value, command in BAD_SETTINGS]  # side by side: each only starts and fails
    for (variable, value, command), proc in zip(BAD_SETTINGS, procs):
        out, err = proc.communicate(timeout=60)
        result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        line = _one_error_line(result, 2)
        assert line.startswith(f"error: {variable}:"), (variable, value, line)


@SQLITE_ONLY
def test_production_refuses_to_start_without_secrets(tmp_path, database_url, cli):
    from guanxi.app import create_app

    empty = tmp_path / "no-secrets"
    prod = load_settings(_env_file=None, env="production", data_dir=empty, database_url=database_url)
    rt = build_runtime(prod)
    try:
        with pytest.raises(ConfigError, match="secrets file .* is missing"):
            create_app(runtime=rt)
    finally:
        rt.dispose()

    weak_dir = tmp_path / "weak"
    weak = Secrets.generate()
    weak.session_secret = "changeme"
    write_secrets(weak_dir / "secrets.json", weak)
    rt = build_runtime(load_settings(_env_file=None, env="production", data_dir=weak_dir, database_url=database_url))
    try:
        with pytest.raises(ConfigError, match="default value"):
            create_app(runtime=rt)
    finally:
        rt.dispose()

    result = cli("serve", "--port", "1", env={"GUANXI_ENV": "production", "GUANXI_DATA_DIR": str(empty)}, timeout=30)
    assert "secrets file" in _one_error_line(result, 2)


# --- doctor ----------------------------------------------------------------------------------

def test_doctor_reports_ok_and_masks_secrets(cli, backend, database_url):
    env = {"GUANXI_ADMIN_PASSWORD": "admin-pw-s3cret", "GUANXI_SHOPIFY_WEBHOOK_SECRET": "whsec_s3cret",
           "GUANXI_REDIS_URL": "redis://:redis-s3cret@127.0.0.1:6379/0"}
    hidden = ["admin-pw-s3cret", "whsec_s3cret", "redis-s3cret"]
    if backend == "postgresql":  # the local server trusts, so a password in the URL is sent but not needed
        env["GUANXI_DATABASE_URL"] = make_url(database_url).set(password="pg-s3cret").render_as_string(hide_password=False)
        hidden.append("pg-s3cret")
    result = cli("doctor", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for secret in hidden:
        assert secret not in out, f"doctor printed {secret!r}"
    checks = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in out.splitlines()
              if line.count("│") >= 3}
    for name in ("database reachable", "migrations at head", "keys present", "keys file private (0600)"):
        assert checks.get(name) == "yes", (name, out)
    assert checks["GUANXI_ADMIN_PASSWORD"] == "****" and checks["GUANXI_SHOPIFY_WEBHOOK_SECRET"] == "****"
    assert checks["GUANXI_REDIS_URL"].startswith("redis://") and "127.0.0.1:6379" in checks["GUANXI_REDIS_URL"]


@SQLITE_ONLY
def test_doctor_fails_when_keys_are_missing(cli, settings):
    os.remove(settings.secrets_path)
    result = cli("doctor")
    assert result.returncode == 1
    assert "keys present" in result.stdout and "NO" in result.stdout


# --- audit report ----------------------------------------------------------------------------

@SQLITE_ONLY  # audit.access_report itself runs on both backends in test_audit.py
def test_audit_report_lists_whose_data_an_actor_read(cli, runtime):
    li = Actor(kind="user", id=None, name="li@shop.example", role=Role.service)
    other = Actor(kind="token", id=None, name="crm", role=Role.service)
    with transaction(runtime.factory) as session:
        for customer in (7, 8, 8):
            audit.record_pii_read(session, li, "customer", customer, threshold_per_hour=100)
        audit.record_pii_read(session, li, "customer", 9, threshold_per_hour=100, kind=audit.AuditKind.pii_exported)
        audit.record_pii_read(session, other, "customer", 10, threshold_per_hour=100)
        audit.record(session, audit.AuditKind.api_write, li, subject_type="customer", subject_id=11)  # not a read
        session.add(AuditEntry(at=utcnow() - dt.timedelta(days=40), actor="user:li@shop.example",
                               actor_role="service", kind="pii_viewed", subject_type="customer",
                               subject_id="12", details={}))
    runtime.dispose()
    today = utcnow().date()
    window = ["--from", str(today - dt.timedelta(days=1)), "--to", str(today + dt.timedelta(days=1))]

    result = cli("audit", "report", "--actor", "user:li@shop.example", *window, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["actor"] == "user:li@shop.example" and report["subjects"] == 3
    reads = {(r["subject_id"], r["kind"]): r["reads"] for r in report["reads"]}
    assert reads == {("7", "pii_viewed"): 1, ("8", "pii_viewed"): 2, ("9", "pii_exported"): 1}
    assert all(r["first"] and r["last"] for r in report["reads"])
