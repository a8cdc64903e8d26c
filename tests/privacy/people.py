"""A person with personal data in every field, for the privacy tests."""

PERSON = {"email": "mei.chen@example.com", "phone": "13912345678", "name": "陈美玲", "birthday": "1990-05-06",
          "address": "上海市徐汇区漕溪北路 88 号", "city": "上海", "tags": ["vip"]}
