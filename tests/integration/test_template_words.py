"""Templates put their texts into words through ``_()``: in the request's language, values escaped, the translation's
own markup kept, and the language followed when it changes within a request."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask, render_template, render_template_string
from flask_babel import force_locale, refresh
from jinja2 import ChoiceLoader, DictLoader

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


def test_a_fixed_text_is_translated_when_its_template_is_compiled_once_per_language(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A board page says about a thousand fixed texts; looked up at every render they were a tenth of its time."""
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"words.html": "{{ _('Sign in') }} | {{ _('Keeps #%(id)s', id=7) }}"}), app.jinja_env.loader]
    )
    asked: list[str] = []
    pages: list[str] = []
    with app.test_request_context("/"):
        for language in ("de", "en"):
            with force_locale(language):
                words = i18n.catalogue()
                monkeypatch.setattr(words, "gettext", _counted(words.gettext, asked))
        for language in ("de", "en", "de", "en"):
            with force_locale(language):
                pages.append(render_template("words.html"))

    assert pages == ["Anmelden | Behält #7", "Sign in | Keeps #7"] * 2
    assert asked.count("Sign in") == 2  # once for each language's copy of the template, then written in it
    assert asked.count("Keeps #%(id)s") == 4  # a text with values is put into words at each render


def _counted(gettext: Callable[[str], str], asked: list[str]) -> Callable[[str], str]:
    def counted(text: str) -> str:
        asked.append(text)
        return gettext(text)

    return counted
