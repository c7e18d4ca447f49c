"""Templates compiled once per language: a fixed text, ``{{ _('Retry sync') }}``, is translated when the template is
compiled and rendered as written text, not looked up at each render.

A board page says about a thousand texts; each ``_()`` is a call through Jinja's runtime and a catalogue look-up
(3.5 µs), and most are the same fixed words on every row. So each language gets its own compiled copy of every
template loaded by name (a Jinja overlay with a cache of its own), chosen by the language in force when the template
is asked for (``force_locale`` included). A text with values (``_('Keeps #%(id)s', id=…)``) or a ``%`` stays a call
(``ops_ui.i18n``), and so does every ``_()`` of a template compiled from a string.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from babel import Locale
from flask import has_app_context
from flask.sansio.app import App
from flask.templating import Environment as FlaskEnvironment
from flask_babel import Translations, get_locale
from jinja2 import Template
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

from ops_ui.i18n import as_written, catalogue

AS_WRITTEN = "translated_when_compiled"
"""The filter a fixed text is compiled into: Jinja evaluates it on the constant while compiling."""


class FixedTexts(Extension):
    """Turns ``_('text')`` into ``('Text'|translated_when_compiled)`` in a language's templates."""

    def filter_stream(self, stream: TokenStream) -> Iterable[Token]:
        catalogue = getattr(self.environment, "catalogue", None)
        if catalogue is None:  # the environment of no language: templates from strings
            return stream
        return _fixed_texts_translated(stream, catalogue)


def _fixed_texts_translated(tokens: Iterable[Token], catalogue: Translations) -> Iterator[Token]:
    window: deque[Token] = deque()
    previous: Token | None = None
    for token in tokens:
        window.append(token)
        if len(window) < 4:
            continue
        translated = _fixed_text(previous, window, catalogue)
        if translated is None:
            previous = window.popleft()
            yield previous
            continue
        line = window[0].lineno
        yield from (
            Token(line, "lparen", "("),
            Token(line, "string", translated),
            Token(line, "pipe", "|"),
            Token(line, "name", AS_WRITTEN),
            Token(line, "rparen", ")"),
        )
        previous = window[-1]
        window.clear()
    yield from window


def _fixed_text(previous: Token | None, window: Sequence[Token], catalogue: Translations) -> str | None:
    """The translation when the four tokens are ``_ ( 'text' )``, not an attribute's ``x._(…)``; a text with a
    ``%`` is a format string, left to the call."""
    name, opening, text, closing = window
    if not (name.test("name:_") and opening.test("lparen") and text.test("string") and closing.test("rparen")):
        return None
    if previous is not None and previous.test("dot"):
        return None
    translated = catalogue.gettext(text.value)
    return None if "%" in text.value or "%" in translated else translated


class LanguageEnvironment(FlaskEnvironment):
    """Flask's template environment that hands out each template in the language in force."""

    catalogue: Translations | None = None
    """Set on a language's overlay: the catalogue its templates' fixed texts are translated with."""

    def __init__(self, app: App, **options: Any) -> None:
        super().__init__(app, **options)
        self.add_extension(FixedTexts)
        self.filters[AS_WRITTEN] = as_written
        self.languages: dict[Locale, LanguageEnvironment] = {}

    def get_template(self, name: str | Template, parent: str | None = None, globals: Any = None) -> Template:
        language = self._language()
        if language is None:
            return super().get_template(name, parent, globals)
        return language.get_template(name, parent, globals)

    def select_template(self, names: Any, parent: str | None = None, globals: Any = None) -> Template:
        language = self._language()
        if language is None:
            return super().select_template(names, parent, globals)
        return language.select_template(names, parent, globals)

    def _language(self) -> LanguageEnvironment | None:
        """The overlay of the language in force, made at its first template; None in an overlay itself, and outside
        an app (no language: the templates ask at each call)."""
        if self.overlayed or not has_app_context():
            return None
        locale = get_locale()
        if locale is None:
            return None
        found = self.languages.get(locale)
        if found is None:
            found = self.overlay()
            found.catalogue = catalogue()
            self.languages[locale] = found
        return found
