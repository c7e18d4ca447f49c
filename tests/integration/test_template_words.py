"""Templates put their texts into words through ``_()``: in the request's language, values escaped, the translation's
own markup kept, and the language followed when it changes within a request."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale, refresh

from ops_ui import i18n

TEMPLATE = '{{ _("Cal.com refused: %(message)s", message=message) }} | {{ gettext("Sign in") }}'


Render = Callable[[Flask, str, str], str]


def _through_render_template(app: Flask, source: str, message: str) -> str:
    return render_template_string(source, message=message)


def _straight_from_jinja(app: Flask, source: str, message: str) -> str:
    return app.jinja_env.from_string(source).render(message=message)


RENDERS = pytest.mark.parametrize("render", [_through_render_template, _straight_from_jinja])


@RENDERS
def test_words_are_german_with_the_values_escaped(app: Flask, render: Render) -> None:
    app.config["DEFAULT_LOCALE"] = "de"
    with app.test_request_context("/"):
        assert render(app, TEMPLATE, "<b>busy</b>") == "Cal.com hat abgelehnt: &lt;b&gt;busy&lt;/b&gt; | Anmelden"


@RENDERS
def test_the_translation_itself_is_not_escaped_twice(app: Flask, render: Render) -> None:
    app.config["DEFAULT_LOCALE"] = "de"
    with app.test_request_context("/"):
        rendered = render(app, '{{ _("%(count)s%% <b>%(name)s</b>", count=3, name=message) }}', "&")
    assert rendered == "3% <b>&amp;</b>"


@RENDERS
def test_a_text_without_values_is_still_a_format_string_and_markup(app: Flask, render: Render) -> None:
    with app.test_request_context("/"):
        assert render(app, '{{ _("100%% <b>synced</b>") }} {{ _("<i>Sign in</i>") }}', "") == (
            "100% <b>synced</b> <i>Sign in</i>"
        )


@RENDERS
def test_a_change_of_language_within_a_request_is_followed(app: Flask, render: Render) -> None:
    app.config["DEFAULT_LOCALE"] = "de"
    with app.test_request_context("/"):
        assert render(app, TEMPLATE, "x").endswith("Anmelden")
        with force_locale("en"):
            assert render(app, TEMPLATE, "x") == "Cal.com refused: x | Sign in"
        assert render(app, TEMPLATE, "x").endswith("Anmelden")
        app.config["DEFAULT_LOCALE"] = "en"
        refresh()
        assert i18n.current_locale() == "en"
        assert render(app, TEMPLATE, "x").endswith("Sign in")
