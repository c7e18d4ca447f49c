"""The German catalogue covers every text marked for translation: no empty, fuzzy or missing entry, placeholders kept,
and the compiled catalogue the app loads says the same as the one people edit.

What is marked is read from the sources themselves, as ``make translations`` extracts it (the mapping of babel.cfg, the
Makefile's keywords), not from the committed ``messages.pot``: a text marked today and not yet translated fails here."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "_n": None, "say": None}
"""Babel's own and the Makefile's ``-k _l -k _n -k say``."""
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalogue(name: str) -> Catalog:
    with (TRANSLATIONS / name).open("rb") as file:
        return read_po(file)


def _messages(catalogue: Catalog) -> list[Message]:
    return [message for message in catalogue if message.id]


def _strings(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


GERMAN = _catalogue("de/LC_MESSAGES/messages.po")


def _marked_in_the_sources() -> set[str]:
    """Every msgid (a plural's singular) the sources mark, extracted the way ``make translations`` does."""
    with (ROOT / "babel.cfg").open() as file:
        method_map, options_map = parse_mapping_cfg(file)
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True)
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def test_every_text_marked_for_translation_is_in_the_german_catalogue() -> None:
    marked = _marked_in_the_sources() - {""}
    german = {message.id if isinstance(message.id, str) else message.id[0] for message in _messages(GERMAN)}
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
