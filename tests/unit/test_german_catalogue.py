"""The German catalogue covers every text marked for translation: no empty, fuzzy or missing entry, placeholders kept,
and the compiled catalogue the app loads says the same as the one people edit."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalogue(name: str) -> Catalog:
    with (TRANSLATIONS / name).open("rb") as file:
        return read_po(file)


def _messages(catalogue: Catalog) -> list[Message]:
    return [message for message in catalogue if message.id]


def _strings(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


GERMAN = _catalogue("de/LC_MESSAGES/messages.po")


def test_every_text_marked_for_translation_is_in_the_german_catalogue() -> None:
    marked = {message.id for message in _messages(_catalogue("messages.pot"))}
    german = {message.id for message in _messages(GERMAN)}
    assert marked - german == set(), "run `make translations` and translate the new texts"


def test_every_german_entry_is_translated_and_not_fuzzy() -> None:
    untranslated = [
        message.id
        for message in _messages(GERMAN)
        if message.fuzzy or not all(text.strip() for text in _strings(message.string))
    ]
    assert untranslated == []


def test_every_german_entry_keeps_the_placeholders_of_the_english() -> None:
    broken = [
        message.id
        for message in _messages(GERMAN)
        for english, german in zip(_strings(message.id), _strings(message.string), strict=False)
        if set(PLACEHOLDER.findall(english)) - {"num"} != set(PLACEHOLDER.findall(german)) - {"num"}
    ]
    assert broken == []


def test_the_compiled_catalogue_matches_the_one_people_edit() -> None:
    with (TRANSLATIONS / "de/LC_MESSAGES/messages.mo").open("rb") as file:
        compiled = {_strings(message.id): _strings(message.string) for message in read_mo(file) if message.id}
    edited = {_strings(message.id): _strings(message.string) for message in _messages(GERMAN)}
    assert compiled == edited, "run `make translations` to compile the catalogue"
