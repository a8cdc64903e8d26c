"""zh-CN and en: the message catalogues (.po, loaded and compiled in memory) and choosing a locale.

The catalogues live in web/locale/<locale>/LC_MESSAGES/messages.po. They are compiled when
first used, so a fresh clone needs no build step and no .mo file is committed.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from markupsafe import Markup

LOCALES = ("zh-CN", "en")
LOCALE_NAMES = {"zh-CN": "中文", "en": "English"}
LOCALE_COOKIE = "guanxi_locale"
CATALOGUES = Path(__file__).parent / "locale"


def babel_name(locale: str) -> str:
    return locale.replace("-", "_")


@functools.cache
def translations(locale: str) -> NullTranslations:
    path = CATALOGUES / babel_name(locale) / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=babel_name(locale))
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def supported(value: str | None) -> str | None:
    """The supported locale a tag asks for ("zh", "zh-Hans-CN", "en-GB" ...), or None."""
    if not value:
        return None
    tag = value.strip().replace("_", "-").lower()
    if tag.startswith("zh"):
        return "zh-CN"
    if tag.startswith("en"):
        return "en"
    return None


def from_accept_language(header: str | None) -> str | None:
    """The best supported locale of an Accept-Language header, by its q-values."""
    if not header:
        return None
    ranked = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag))
    for neg_q, _, tag in sorted(ranked):
        if neg_q < 0 and (found := supported(tag)):
            return found
    return None


def choose(*, cookie: str | None, own_setting: str | None, accept_language: str | None, default: str) -> str:
    """The browser's explicit choice, then the person's setting, then the browser's languages."""
    return supported(cookie) or supported(own_setting) or from_accept_language(accept_language) or default


class Gettext:
    """gettext callables for one locale, in Jinja's "newstyle" form: `_("Hi %(name)s", name=x)`."""

    def __init__(self, locale: str):
        self.locale = locale
        self._t = translations(locale)

    def gettext(self, message: str, **variables) -> str:
        text = Markup(self._t.gettext(message))  # catalogue text is trusted; variables get escaped
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, n: int, **variables) -> str:
        text = Markup(self._t.ngettext(singular, plural, n))
        return text % {"num": n, **variables}

    def plain(self, message: str, **variables) -> str:
        """For text outside HTML (e-mail, headers): no escaping."""
        text = self._t.gettext(message)
        return text % variables if variables else text


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is translated later (menu labels, sections)."""
    return message
