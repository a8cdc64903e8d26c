"""Duplicate detection: matching rules on values, and the whole run on a demo shop (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import random
import string

from sqlalchemy import func, select

from guanxi.customers import dedup, demo, merging
from guanxi.customers.matching import candidate_pairs, find_matches, make_record, score_pair
from guanxi.customers.models import Customer, DuplicateCandidate, Merge
from guanxi.db import transaction
from guanxi.staff.roles import SYSTEM

SEED = 11


def rec(id, **fields):
    return make_record(id, **fields)


def test_traditional_and_simplified_names_are_the_same_name():
    a = rec(1, name="张伟", birthday="1990-05-01", city="上海", phones=["+8613800138000"])
    b = rec(2, name="張偉", birthday="1990-05-01", city="上海")
    score, reasons = score_pair(a, b)
    assert score >= 0.9
    assert "same name in Traditional and Simplified characters" in reasons and "same birthday" in reasons


def test_typos_in_phone_and_email_are_found_and_explained():
    phone = score_pair(rec(1, name="李娜", phones=["+8613912345678"], city="北京"),
                       rec(2, name="李娜", phones=["+8613912345687"], city="北京"))  # two digits swapped
    assert phone[0] >= 0.9 and "phone numbers differ by one digit" in phone[1]
    email = score_pair(rec(1, name="Emily Chen", emails=["emily.chen@gmail.com"]),
                       rec(2, name="Emliy Chen", emails=["emily.chen@gmial.com"]))
    assert email[0] >= 0.5 and "e-mail addresses differ only by a typo in the domain" in email[1]


def test_namesakes_are_not_duplicates():
    # 王伟 is a very common name: same name alone, or with conflicting facts, is not one person.
    same_name = score_pair(rec(1, name="王伟", city="上海"), rec(2, name="王伟", city="上海"))
    assert same_name[0] < 0.5
    conflicting = score_pair(rec(1, name="王伟", birthday="1988-01-02", city="上海", gender="male"),
                             rec(2, name="王伟", birthday="1991-07-09", city="北京", gender="male"))
    assert conflicting[0] < 0.01 and "different birthdays" in conflicting[1]
    family = score_pair(rec(1, name="陈静", address_key="k1", gender="female"),
                        rec(2, name="陈明", address_key="k1", gender="male"))
    assert family[0] < 0.5


def test_blocking_compares_only_records_that_share_a_key():
    rng = random.Random(5)
    words = ["".join(rng.choices(string.ascii_lowercase, k=10)) for _ in range(300)]
    records = [rec(i, name=f"{w[:5]} {w[5:]}", emails=[f"{w}@example.com"]) for i, w in enumerate(words)]
    typo = words[7][:4] + words[7][5:]  # one letter dropped
    records.append(rec(300, name=f"{words[7][:5]} {words[7][5:]}", emails=[f"{typo}@example.com"]))
    pairs = {tuple(p) for p in candidate_pairs(records).tolist()}
    assert (7, 300) in pairs
    assert len(pairs) < 50  # nowhere near 300 * 301 / 2
    [match] = [m for m in find_matches(records) if {m.a_id, m.b_id} == {7, 300}]
    assert match.score >= 0.5


def test_reasons_carry_no_personal_data():
    _, reasons = score_pair(rec(1, name="周杰", phones=["+8613700001111"], emails=["zhoujie@qq.com"]),
                            rec(2, name="周杰", phones=["+8613700001112"], emails=["zhoujie@163.com"]))
    text = json.dumps(reasons, ensure_ascii=False)
    for secret in ("周杰", "13700001111", "zhoujie"):
        assert secret not in text


def test_finds_planted_duplicates_on_demo_shop(runtime):
    shop = demo.generate(1500, SEED, activity=False)
    with transaction(runtime.factory) as session:
        truth = demo.load(session, runtime.cipher, shop).duplicates
    with runtime.factory() as session:
        report = dedup.run(session, runtime.cipher, SYSTEM, dry_run=True)
    found = {(m.a_id, m.b_id) for m in report.matches}
    hits = found & truth
    precision, recall = len(hits) / len(found), len(hits) / len(truth)
    print(f"\n{report.profiles} profiles, {len(truth)} planted pairs: found {len(found)}, "
          f"precision {precision:.3f}, recall {recall:.3f} in {report.seconds:.2f} s")
    assert len(truth) == 90
    assert recall >= 0.95 and precision >= 0.95

    with transaction(runtime.factory) as session:
        report = dedup.run(session, runtime.cipher, SYSTEM, threshold=0.9)
    merged = {(s, m) for s, m, _ in report.merged}
    assert merged and merged <= truth  # every automatic merge was right
    with runtime.factory() as session:
        assert session.scalar(select(func.count()).select_from(Customer).where(Customer.status == "merged")) == len(merged)
        pending = session.scalars(select(DuplicateCandidate).where(DuplicateCandidate.status == "pending")).all()
        assert pending and all(0.5 <= c.score < 0.9 and c.reasons for c in pending)
        assert {(c.a_id, c.b_id) for c in pending} | merged == found
    # A second run finds nothing new to merge or queue.
    with transaction(runtime.factory) as session:
        again = dedup.run(session, runtime.cipher, SYSTEM, threshold=0.9)
    assert again.merged == [] and again.queued == 0


def test_dismissed_or_unmerged_pairs_are_not_merged_again(runtime):
    shop = demo.generate(300, SEED, activity=False)
    with transaction(runtime.factory) as session:
        demo.load(session, runtime.cipher, shop)
        report = dedup.run(session, runtime.cipher, SYSTEM, dry_run=True)
    sure = [m for m in report.matches if m.score >= 0.9]
    assert len(sure) >= 2
    first, second = sure[0], sure[1]
    with transaction(runtime.factory) as session:
        dedup._queue(session, [first])
        candidate = session.scalar(select(DuplicateCandidate).where(DuplicateCandidate.a_id == first.a_id,
                                                                    DuplicateCandidate.b_id == first.b_id))
        dedup.dismiss_candidate(session, candidate.id, SYSTEM)
        undone = merging.merge(session, second.a_id, second.b_id, SYSTEM)
        merging.unmerge(session, undone.id, SYSTEM)
    with transaction(runtime.factory) as session:
        rerun = dedup.run(session, runtime.cipher, SYSTEM, threshold=0.9)
    merged_pairs = {(s, m) for s, m, _ in rerun.merged}
    assert (first.a_id, first.b_id) not in merged_pairs and (second.a_id, second.b_id) not in merged_pairs
    assert rerun.held_back == 2
    with runtime.factory() as session:
        assert session.scalar(select(func.count()).select_from(Merge).where(Merge.undone_at.is_(None))) == len(merged_pairs)
