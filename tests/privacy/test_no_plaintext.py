"""No personal data in plain text at rest: not in the SQLite file or its WAL, not in any PostgreSQL table."""

import json
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

# Distinctive values: none of them can turn up in a database by chance.
PEOPLE = [
    {"name": "Zephyrine Quabblestone", "email": "zephyrine.quabble@probe-plaintext.example",
     "phone": "+86 139 7364 2851", "birthday": "1983-07-19", "address": "42 Wobbleford Crescent, Xuhui"},
    {"name": "欧阳翠芬", "email": "cuifen.ouyang@probe-plaintext.example.cn", "phone": "138 6152 9437",
     "birthday": "--11-23", "address": "北京市朝阳区望京街道 1024 号翡翠苑"},
]
PHONES = [("+8613973642851", "13973642851"), ("+8613861529437", "13861529437")]
CITY = "Probeville-QX7"  # not personal data: stored as is, which shows the scan can see the data


def needles() -> list[str]:
    found = []
    for person, (e164, local) in zip(PEOPLE, PHONES, strict=True):
        found += [person["name"], person["email"], e164, local, person["birthday"], person["address"],
                  person["name"].split()[-1], person["email"].split("@")[0], person["address"].split(",")[0]]
    return found


def forms(value: str) -> list[bytes]:
    """UTF-8, and the \\u escapes of JSON columns written with ensure_ascii."""
    escaped = json.dumps(value)[1:-1]
    return list(dict.fromkeys([value.encode(), escaped.encode(), value.casefold().encode()]))


def write_people(client, auth) -> list[int]:
    h = auth("admin")
    ids = []
    for i, p in enumerate(PEOPLE):
        reply = client.post("/api/v1/customers", json={**p, "city": CITY}, headers=h)
        assert reply.status_code == 201, reply.text
        ids.append(reply.json()["id"])
        order = client.post("/api/v1/orders", headers=h, json={
            "source": "shop", "external_id": f"NP-{i}", "placed_at": "2026-05-01T10:00:00+08:00",
            "customer": {"email": p["email"], "phone": p["phone"], "name": p["name"]},
            "currency": "CNY", "total_minor": 990})
        assert order.json()["customer_id"] == ids[-1], order.text
        # Reads are audited: the audit rows must not carry the data either.
        assert client.get(f"/api/v1/customers/{ids[-1]}", headers=h).json()["name"] == p["name"]
    return ids


def database_bytes(runtime) -> bytes:
    url = make_url(str(runtime.engine.url))
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        files = [path, path.with_name(path.name + "-wal")]
        assert files[1].exists(), "expected the WAL to hold the recent writes"
        return b"".join(f.read_bytes() for f in files if f.exists())
    chunks = []
    with runtime.engine.connect() as conn:
        tables = conn.scalars(text("SELECT table_name FROM information_schema.tables "
                                   "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")).all()
        assert "customers" in tables and "customer_identities" in tables
        for name in tables:
            chunks += conn.scalars(text(f'SELECT CAST(t AS text) FROM "{name}" AS t')).all()
    return "\n".join(chunks).encode()


def test_no_plaintext_personal_data_at_rest(client, auth, runtime):
    ids = write_people(client, auth)
    stored = database_bytes(runtime)
    assert CITY.encode() in stored  # the scan sees what is written
    leaks = [n for n in needles() for form in forms(n) if form in stored]
    assert leaks == []


def test_search_still_works_and_analysts_see_nothing(client, auth):
    ids = write_people(client, auth)
    admin, analyst = auth("admin"), auth("analyst")
    for person, cid, (e164, local) in zip(PEOPLE, ids, PHONES, strict=True):
        for q in (person["email"], person["email"].upper(), e164, local, person["phone"]):
            items = client.get("/api/v1/customers", params={"q": q}, headers=admin).json()["items"]
            assert [i["id"] for i in items] == [cid], q
        listed = client.get("/api/v1/customers", params={"q": person["email"]}, headers=analyst)
        one = client.get(f"/api/v1/customers/{cid}", headers=analyst)
        assert listed.status_code == one.status_code == 200
        assert one.json()["masked"]
        for reply in (listed, one, client.get("/api/v1/customers", headers=analyst)):
            body = reply.text.encode()
            assert [n for n in needles() for form in forms(n) if form in body] == []
