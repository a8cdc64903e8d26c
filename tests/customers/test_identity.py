from sqlalchemy import select

from guanxi.customers.identity import resolve_people
from guanxi.customers.models import Customer
from guanxi.customers.records import IdentityKey, PersonIn
from guanxi.db import transaction


def test_a_batch_mixing_given_and_missing_fields_uses_column_defaults(runtime):
    people = [PersonIn([IdentityKey("email", "", "a@example.com")], locale="en", timezone="Europe/Berlin"),
              PersonIn([IdentityKey("email", "", "b@example.com")], name="B")]
    with transaction(runtime.factory) as session:
        results = resolve_people(session, runtime.cipher, people)
    assert [created for _, created in results] == [True, True]
    with runtime.factory() as session:
        rows = {c.id: (c.locale, c.timezone) for c in session.scalars(select(Customer))}
    assert rows[results[0][0]] == ("en", "Europe/Berlin")
    assert rows[results[1][0]] == ("zh-CN", "Asia/Shanghai")


def test_people_sharing_an_identity_in_one_batch_are_one_customer(runtime):
    shared = IdentityKey("phone", "", "+8613800138000")
    people = [PersonIn([IdentityKey("email", "", "x@example.com"), shared]), PersonIn([shared])]
    with transaction(runtime.factory) as session:
        (a, _), (b, _) = resolve_people(session, runtime.cipher, people)
    assert a == b


def test_a_delivery_naming_two_known_customers_queues_them_as_duplicates(runtime):
    from guanxi.customers.models import DuplicateCandidate

    email, phone = IdentityKey("email", "", "one@example.com"), IdentityKey("phone", "", "+8613800138001")
    with transaction(runtime.factory) as session:
        (a, _), (b, _) = resolve_people(session, runtime.cipher, [PersonIn([email]), PersonIn([phone])])
    with transaction(runtime.factory) as session:
        [(c, created)] = resolve_people(session, runtime.cipher, [PersonIn([email, phone])])
    assert not created and c in (a, b)
    with runtime.factory() as session:
        pairs = [(p.a_id, p.b_id, p.status) for p in session.scalars(select(DuplicateCandidate))]
    assert pairs == [(min(a, b), max(a, b), "pending")]
