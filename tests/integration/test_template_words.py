"""Templates put their texts into words through ``_()``: in the request's language, values escaped, the translation's
own markup kept, and the language followed when it changes within a request."""

from __future__ import annotations

from flask import Flask
from flask_babel import force_locale, refresh

from ops_ui import i18n

TEMPLATE = '{{ _("Cal.com refused: %(message)s", message=message) }} | {{ gettext("Sign in") }}'


def _render(app: Flask, message: str) -> str:
    return app.jinja_env.from_string(TEMPLATE).render(message=message)


def test_words_are_german_with_the_values_escaped(app: Flask) -> None:
    app.config["DEFAULT_LOCALE"] = "de"
    with app.test_request_context("/"):
        assert _render(app, "<b>busy</b>") == "Cal.com hat abgelehnt: &lt;b&gt;busy&lt;/b&gt; | Anmelden"


def test_the_translation_itself_is_not_escaped_twice(app: Flask) -> None:
    app.config["DEFAULT_LOCALE"] = "de"
    with app.test_request_context("/"):
        rendered = app.jinja_env.from_string('{{ _("%(count)s%% <b>%(name)s</b>", count=3, name="&") }}').render()
    assert rendered == "3% <b>&amp;</b>"


def test_a_change_of_language_within_a_request_is_followed(app: Flask) -> None:
    app.config["DEFAULT_LOCALE"] = "de"
    with app.test_request_context("/"):
        assert _render(app, "x").endswith("Anmelden")
        with force_locale("en"):
            assert _render(app, "x") == "Cal.com refused: x | Sign in"
        assert _render(app, "x").endswith("Anmelden")
        app.config["DEFAULT_LOCALE"] = "en"
        refresh()
        assert i18n.current_locale() == "en"
        assert _render(app, "x").endswith("Sign in")
