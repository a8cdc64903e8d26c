"""The demo shop's people: bilingual profiles, households, and planted duplicates.

A planted duplicate is the same person registering again on another channel, the way it
happens in real shops: the name in Traditional characters or with a typo, a phone number
with a digit wrong, an e-mail typed differently, the same delivery address. The generator
remembers which profiles are the same person, so tests can measure de-duplication.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field

from guanxi.customers import demo_data as data
from guanxi.customers import normalise
from guanxi.customers.records import IdentityKey, PersonIn
from guanxi.errors import Invalid

DUPLICATE_SHARE = 0.06   # of all profiles, the second profile of someone already there
HOUSEHOLD_SHARE = 0.02   # people who share a delivery address with a relative (not duplicates)


@dataclass
class DemoPerson:
    index: int
    channel: str
    name: str
    english: bool
    gender: str
    region: str
    city: str
    timezone: str
    locale: str
    acquired_at: dt.datetime
    channel_id: IdentityKey
    birthday: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    tags: list[str] = field(default_factory=list)
    duplicate_of: int | None = None
    variant: str = ""

    @property
    def identities(self) -> list[IdentityKey]:
        keys = [self.channel_id]
        if self.email:
            keys.append(IdentityKey("email", "", self.email))
        if self.phone:
            keys.append(IdentityKey("phone", "", self.phone))
        return keys

    def person_in(self) -> PersonIn:
        return PersonIn(identities=self.identities, name=self.name, gender=self.gender, birthday=self.birthday,
                        address=self.address, region=self.region, city=self.city, locale=self.locale,
                        timezone=self.timezone, acquisition_channel=self.channel, acquired_at=self.acquired_at,
                        tags=list(self.tags))


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


@functools.cache
def _s2t():
    from opencc import OpenCC

    return OpenCC("s2t")


class PeopleMaker:
    def __init__(self, rng: random.Random, seed: int, pick_time: Callable[[dt.datetime | None], dt.datetime]):
        self.rng = rng
        self.seed = seed
        self.pick_time = pick_time  # (not before) -> a moment in the shop's history
        self.used: set[str] = set()  # phones, e-mails and channel ids already given out
        self.serial = 0

    # -- one new person ------------------------------------------------------------------
    def person(self, index: int) -> DemoPerson:
        rng = self.rng
        english = rng.random() < 0.15
        gender = rng.choice(("female", "male")) if rng.random() < 0.93 else "unknown"
        channel = _weighted(rng, data.CHANNELS if not english else [("site", 35), ("shopify", 45), ("wechat", 20)])
        overseas = english and channel == "shopify" and rng.random() < 0.5
        if overseas:
            region, city, tz = rng.choice(data.OVERSEAS)
            address = None
        else:
            region, city, _, districts, streets = _weighted(rng, [(c, c[2]) for c in data.CITIES])
            tz = "Asia/Shanghai"
            address = self._address(region, city, districts, streets) if rng.random() < 0.55 else None
        name = self._english_name(gender) if english else self._chinese_name(gender)
        p = DemoPerson(index=index, channel=channel, name=name, english=english, gender=gender, region=region,
                       city=city, timezone=tz, locale="en" if english and rng.random() < 0.8 else "zh-CN",
                       acquired_at=self.pick_time(None), channel_id=self._channel_id(channel),
                       birthday=self._birthday(), address=address)
        wants_phone = not overseas and rng.random() < (0.5 if english else 0.96)
        wants_email = rng.random() < (0.95 if english or channel == "shopify" else 0.45)
        if wants_phone or not wants_email:
            p.phone = self._unused(self._phone) if not overseas else None
        if wants_email or p.phone is None:
            p.email = self._unused(lambda: self._email(p))
        p.tags = sorted({t for t, w in data.TAGS if rng.random() < w / 100})
        return p

    def _chinese_name(self, gender: str) -> str:
        rng = self.rng
        surname = _weighted(rng, data.SURNAMES)
        pool = data.GIVEN_FEMALE if gender == "female" else data.GIVEN_MALE if gender == "male" else data.GIVEN_ANY
        if rng.random() < 0.25:
            return surname + rng.choice(pool)
        first = rng.choice(data.GIVEN_ANY + pool) if rng.random() < 0.5 else rng.choice(pool)
        return surname + first + rng.choice(pool)

    def _english_name(self, gender: str) -> str:
        rng = self.rng
        firsts = data.FIRST_FEMALE if gender == "female" else data.FIRST_MALE if gender == "male" else (
            data.FIRST_FEMALE + data.FIRST_MALE)
        return f"{rng.choice(firsts)} {rng.choice(data.LAST_NAMES)}"

    def _birthday(self) -> str | None:
        rng = self.rng
        if rng.random() > 0.72:
            return None
        year_known = rng.random() > 0.15
        if rng.random() < 0.005:  # leap-day birthdays exist and break naive date code
            year = rng.choice(range(1968, 2005, 4))
            return f"{year}-02-29" if year_known else "--02-29"
        year = rng.randint(1962, 2006)
        day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
        return day.isoformat() if year_known else f"--{day.month:02d}-{day.day:02d}"

    def _address(self, region, city, districts, streets) -> str:
        rng = self.rng
        place = f"{city}市" if region == city else f"{region}省{city}市"
        if region == "香港":
            place = "香港"
        return (f"{place}{rng.choice(districts)}{rng.choice(streets)}{rng.randint(1, 999)}号"
                f"{rng.randint(1, 30)}栋{rng.randint(1, 32)}{rng.randint(1, 6):02d}室")

    def _phone(self) -> str:
        digits = self.rng.choice(data.MOBILE_PREFIXES) + "".join(self.rng.choices(string.digits, k=8))
        return normalise.phone(digits)

    def _email(self, p: DemoPerson) -> str:
        rng = self.rng
        if p.english:
            first, _, last = p.name.lower().replace("'", "").replace("ü", "u").partition(" ")
            local = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{last}{rng.randint(1, 99)}",
                                f"{first}_{last}", f"{last}.{first}{rng.randint(70, 99)}"])
            domain = _weighted(rng, data.EMAIL_DOMAINS_EN)
        else:
            domain = _weighted(rng, data.EMAIL_DOMAINS_CN)
            surname = next((s for s in ("欧阳", "司马", "上官") if p.name.startswith(s)), p.name[0])
            pinyin = data.SURNAME_PINYIN[surname]
            given = "".join(rng.choices(data.SYLLABLES, k=len(p.name) - len(surname)))
            if domain == "qq.com" and rng.random() < 0.6:
                local = str(rng.randint(10_000_000, 3_999_999_999))
            else:
                local = rng.choice([f"{pinyin}{given}", f"{pinyin}.{given}", f"{given}{pinyin}{rng.randint(1, 99)}",
                                    f"{pinyin}{given}{rng.randint(1970, 2006)}", f"{pinyin}_{given}"])
        return normalise.email(f"{local}@{domain}")

    def _channel_id(self, channel: str) -> IdentityKey:
        self.serial += 1
        n = self.serial
        if channel == "wechat":
            return IdentityKey("wechat_openid", "", f"o{self.seed:02d}" + "".join(
                self.rng.choices(string.ascii_letters + string.digits + "-_", k=25)) + f"{n:06d}")
        if channel == "douyin":
            return IdentityKey("douyin_id", "", f"dy{self.seed}{n:08d}")
        if channel == "shopify":
            return IdentityKey("shopify_id", "shopify", f"{7_000_000_000_000 + self.seed * 10_000_000 + n}")
        return IdentityKey("external", "site", f"D{self.seed}-U{n:07d}")

    def _unused(self, make: Callable[[], str]) -> str:
        for _ in range(100):
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value
        raise RuntimeError("could not find an unused contact value")

    # -- the same person again --------------------------------------------------------------
    def duplicate(self, o: DemoPerson, index: int) -> DemoPerson:
        rng = self.rng
        channel = rng.choice([c for c, _ in data.CHANNELS if c != o.channel])
        evidence = rng.choices(["phone", "email", "address", "profile"], [40, 30, 12, 18])[0]
        if evidence == "email" and not o.email or evidence == "address" and not o.address:
            evidence = "phone"
        if evidence == "profile" and not o.birthday:
            evidence = "phone"
        if evidence == "phone" and not o.phone:
            evidence = "email"
        name, name_variant = self._name_variant(o, allow_typo=evidence != "profile")
        d = DemoPerson(index=index, channel=channel, name=name, english=o.english, gender=o.gender,
                       region=o.region, city=o.city, timezone=o.timezone, locale=o.locale,
                       acquired_at=self.pick_time(o.acquired_at), channel_id=self._channel_id(channel),
                       duplicate_of=o.index)
        if evidence == "profile" or rng.random() < 0.5:
            d.birthday = o.birthday
        if evidence != "profile" and rng.random() < 0.12:
            d.region = d.city = None  # left blank on the new channel
        if evidence == "phone":
            d.phone, how = self._unused(lambda: self._phone_typo(o.phone)), "phone typo"
        elif evidence == "email":
            d.email, how = self._unused(lambda: self._email_variant(o.email)), "e-mail variant"
        elif evidence == "address":
            d.address, how = self._address_variant(o.address), "same address"
        else:
            how = "same name, birthday and city"
        if evidence != "phone" and not o.english and rng.random() < 0.15:
            d.phone = self._unused(self._phone)  # a second SIM card
        d.tags = [t for t in o.tags if rng.random() < 0.3]
        d.variant = f"{name_variant}; {how}"
        return d

    def _name_variant(self, o: DemoPerson, *, allow_typo: bool) -> tuple[str, str]:
        rng = self.rng
        kinds = ["same", "traditional", "typo", "spacing"] if not o.english else ["same", "typo", "case", "width"]
        kind = rng.choices(kinds, [35, 35, 15, 15] if not o.english else [35, 30, 25, 10])[0]
        if kind == "typo" and not allow_typo:
            kind = "same"
        if kind == "traditional":
            trad = _s2t().convert(o.name)
            return (trad, "Traditional name") if trad != o.name else (o.name, "same name")
        if kind == "typo":
            return (self._english_typo(o.name) if o.english else self._chinese_typo(o.name)), "name typo"
        if kind == "spacing":
            return f"{o.name[0]} {o.name[1:]}", "name with a space"
        if kind == "case":
            return rng.choice([o.name.upper(), o.name.lower()]), "name in other case"
        if kind == "width":
            return normalise_to_fullwidth(o.name), "full-width name"
        return o.name, "same name"

    def _chinese_typo(self, name: str) -> str:
        given_at = [i for i in range(1, len(name)) if name[i] in data.HOMOPHONES]
        if given_at:
            i = self.rng.choice(given_at)
            return name[:i] + data.HOMOPHONES[name[i]] + name[i + 1:]
        i = len(name) - 1
        return name[:i] + self.rng.choice([c for c in data.GIVEN_ANY if c != name[i]])

    def _english_typo(self, name: str) -> str:
        first, _, last = name.partition(" ")
        word = _typo(self.rng, first, string.ascii_lowercase)
        return f"{word} {last}"

    def _phone_typo(self, phone: str) -> str:
        national = phone.removeprefix("+86")
        for _ in range(50):
            digits = list(national)
            if self.rng.random() < 0.3:
                i = self.rng.randrange(3, 10)
                digits[i], digits[i + 1] = digits[i + 1], digits[i]
            else:
                i = self.rng.randrange(3, 11)
                digits[i] = self.rng.choice([c for c in string.digits if c != digits[i]])
            candidate = "".join(digits)
            if candidate != national:
                try:
                    return normalise.phone(candidate)
                except Invalid:
                    continue
        raise RuntimeError("no valid phone typo")

    def _email_variant(self, email: str) -> str:
        local, _, domain = email.partition("@")
        how = self.rng.random()
        if how < 0.35 and domain in data.DOMAIN_TYPOS:
            return f"{local}@{data.DOMAIN_TYPOS[domain]}"
        if how < 0.6:
            other = self.rng.choice([d for d, _ in data.EMAIL_DOMAINS_CN if d != domain])
            return f"{local}@{other}"
        for _ in range(20):
            try:
                return normalise.email(f"{_typo(self.rng, local, string.ascii_lowercase + string.digits)}@{domain}")
            except Invalid:
                continue
        return f"{local}@{data.DOMAIN_TYPOS.get(domain, 'qq.con')}"

    def _address_variant(self, address: str) -> str:
        # Retyped on a phone: full-width digits or a space here and there; the match key is the same.
        if self.rng.random() < 0.5:
            return address.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        return address.replace("号", "号 ", 1)

    # -- a relative at the same address ---------------------------------------------------------
    def relative(self, o: DemoPerson, index: int) -> DemoPerson:
        p = self.person(index)
        p.address, p.region, p.city, p.timezone = o.address, o.region, o.city, o.timezone
        if not o.english and not p.english and self.rng.random() < 0.5:
            p.name = o.name[0] + p.name[1:]  # same family name
        return p


def _typo(rng: random.Random, word: str, alphabet: str) -> str:
    if len(word) < 3:
        return word + rng.choice(alphabet)
    i = rng.randrange(1, len(word) - 1)
    op = rng.randrange(4)
    if op == 0:
        return word[:i] + word[i + 1:]                        # a letter dropped
    if op == 1:
        return word[:i] + word[i] + word[i:]                  # a letter doubled
    if op == 2 and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]  # two letters swapped
    return word[:i] + rng.choice([c for c in alphabet if c != word[i].lower()]) + word[i + 1:]


def normalise_to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


def make_people(rng: random.Random, seed: int, count: int,
                pick_time: Callable[[dt.datetime | None], dt.datetime]) -> tuple[list[DemoPerson], set[tuple[int, int]]]:
    """`count` profiles, some of them planted duplicates; returns them and the true duplicate pairs."""
    maker = PeopleMaker(rng, seed, pick_time)
    duplicates = round(count * DUPLICATE_SHARE)
    relatives = round(count * HOUSEHOLD_SHARE)
    originals = count - duplicates - relatives
    people = [maker.person(i) for i in range(originals)]
    with_address = [p for p in people if p.address]
    for _ in range(relatives):
        source = rng.choice(with_address) if with_address else rng.choice(people)
        people.append(maker.relative(source, len(people)))
    pairs: set[tuple[int, int]] = set()
    for original in rng.sample(people[:originals], min(duplicates, originals)):
        dup = maker.duplicate(original, len(people))
        people.append(dup)
        pairs.add((original.index, dup.index))
    # Shuffle so that ids say nothing about who is a duplicate.
    rng.shuffle(people)
    position = {p.index: i for i, p in enumerate(people)}
    for i, p in enumerate(people):
        p.index = i
        if p.duplicate_of is not None:
            p.duplicate_of = position[p.duplicate_of]
    return people, {tuple(sorted((position[a], position[b]))) for a, b in pairs}
