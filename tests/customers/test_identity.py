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
