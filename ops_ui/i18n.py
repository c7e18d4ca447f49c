"""Which language a page speaks: the user's choice, else the company's, else the app's default.

German is the salon's working language; English is there for colleagues who prefer it. Dates are formatted in the
same language (``ops_ui.formatting``), in the company's time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from flask import Flask, current_app, has_request_context
from flask_babel import LazyString, Translations, force_locale, get_locale, get_translations
from flask_login import current_user
from jinja2.nodes import EvalContext
from jinja2.utils import pass_eval_context
from markupsafe import Markup

from ops_ui.config import PROJECT_ROOT
from ops_ui.extensions import babel

LANGUAGES: dict[str, str] = {"de": "Deutsch", "en": "English"}
"""The languages the app is translated into, by code, each named in its own language."""


def supported(code: str | None) -> str | None:
    """``code`` when the app speaks it, else None (an old or mistyped value in the database must not break pages)."""
    return code if code in LANGUAGES else None


def select_locale() -> str:
    """Flask-Babel's locale selector, asked once per request."""
    default = supported(current_app.config.get("DEFAULT_LOCALE")) or "de"
    if not has_request_context() or not current_user.is_authenticated:
        return default
    return supported(current_user.locale) or supported(current_user.company_locale) or default


def current_locale() -> str:
    """The language of the current request, or English outside one (log lines, stored reasons, the CLI)."""
    if not has_request_context():
        return "en"
    locale = get_locale()
    return (supported(str(locale)) if locale is not None else None) or "en"


CATALOGUES = "sync_desk_catalogues"
"""``app.extensions`` key: each language's catalogue as Flask-Babel found it, by locale."""


def catalogue() -> Translations:
    """The catalogue of the language in force (``force_locale`` included): Flask-Babel's, found once per language.

    ``flask_babel.gettext`` finds the domain, the locale and its catalogue again at every call, three look-ups of
    the request context for each text; a board page asks for some five hundred texts from Python code.
    """
    locale = get_locale()
    if locale is None:  # outside an app context: no catalogue, the text as written
        return get_translations()
    catalogues: dict[object, Translations] = current_app.extensions[CATALOGUES]
    found = catalogues.get(locale)
    if found is None:
        found = catalogues[locale] = get_translations()
    return found


def gettext(text: str, **values: Any) -> str:
    """``text`` in the language in force, with ``values`` filled in: as ``flask_babel.gettext``, for Python code."""
    found = catalogue().gettext(text)
    return found % values if values else found


def ngettext(singular: str, plural: str, num: int, **values: Any) -> str:
    """The form of ``singular``/``plural`` for ``num`` (also ``%(num)s`` in it): as ``flask_babel.ngettext``."""
    values.setdefault("num", num)
    return catalogue().ngettext(singular, plural, num) % values


def lazy_gettext(text: str, **values: Any) -> str:
    """``gettext`` when the text is shown, not when it is made: for labels and messages made at import time. A
    Flask-Babel ``LazyString``, typed as the text it stands for (WTForms labels, constants)."""
    return LazyString(gettext, text, **values)  # type: ignore[return-value]


class Sentence:
    """A sentence for people, put into words when it is shown: in the reader's language on a page, in English in a
    log line or a stored record (``in_english``).

    Services build it where they know what happened; the view (or the record) decides the language. Unlike Flask-Babel's
    ``LazyString`` it is no markup: Jinja escapes it, so values from Cal.com or from people are safe in it. Values may
    be sentences themselves; they are worded in the same language. Compared, searched and sliced it acts as its words.
    """

    __slots__ = ("text", "values")

    def __init__(self, text: str, values: Mapping[str, Any] | None = None) -> None:
        self.text = text
        self.values = MappingProxyType(dict(values or {}))

    def __str__(self) -> str:
        if not self.values:
            return gettext(self.text)
        return gettext(self.text, **{name: str(value) for name, value in self.values.items()})

    def __repr__(self) -> str:
        return f"Sentence({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return str(self) == (str(other) if isinstance(other, Sentence) else other)

    def __hash__(self) -> int:
        return hash(self.text)

    def __contains__(self, part: str) -> bool:
        return part in str(self)

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # never ``__html__``: this is text, to be escaped
            raise AttributeError(name)
        return getattr(str(self), name)


def say(text: str, **values: Any) -> Sentence:
    """``say("Cal.com refused: %(message)s", message=…)``: a sentence for the catalogue (``pybabel extract -k say``)."""
    return Sentence(text, values)


def in_english(text: object) -> str:
    """``text`` worded in English, whatever the request's language: for what is stored or logged."""
    with force_locale("en"):
        return str(text)


@pass_eval_context
def as_written(eval_ctx: EvalContext, translated: str) -> str:
    """A translation as ``_()`` gives it: markup where autoescaping (values are escaped, not the translation)."""
    return Markup(translated) if eval_ctx.autoescape else translated


def _template_words(lookup: Callable[[str], str]) -> Callable[..., str]:
    """``_()`` and ``gettext()`` for templates that look words up with ``lookup``: as Jinja's own (always a format
    string; markup where autoescaping, so values are escaped, not the translation), in one call instead of three."""

    @pass_eval_context
    def words(eval_ctx: EvalContext, text: str, **values: Any) -> str:
        found = lookup(text)
        translated = as_written(eval_ctx, found)
        if not values and "%" not in found:  # nothing to format: most texts, spared a format pass
            return translated
        return translated % values

    return words


template_gettext = _template_words(lambda text: catalogue().gettext(text))
"""For a template rendered outside ``render_template`` (its language is asked at each call)."""


def _words_of_this_render() -> dict[str, Callable[..., str]]:
    """For each ``render_template``: ``_`` bound to the catalogue of the language in force, found once; a page asks
    for a thousand texts, and Flask-Babel would find the locale and its catalogue again at each."""
    if not has_request_context():
        return {}
    words = _template_words(catalogue().gettext)
    return {"_": words, "gettext": words}


def _choose_locale() -> None:
    """Choose the request's language at its start, while the signed-in user is as loaded: chosen only for the
    answer, after an action's commits have expired the user, it would read the user from the database again."""
    get_locale()


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(PROJECT_ROOT / "translations"))
    babel.init_app(app, locale_selector=select_locale)
    app.extensions[CATALOGUES] = {}
    app.before_request(_choose_locale)
    app.jinja_env.globals |= {
        "LANGUAGES": LANGUAGES,
        "current_locale": current_locale,
        "_": template_gettext,
        "gettext": template_gettext,
    }
    app.context_processor(_words_of_this_render)
