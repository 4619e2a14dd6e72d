"""Knowledge files: a key given twice is refused instead of silently replacing the first."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import strict_yaml

KNOWLEDGE = Path(__file__).resolve().parents[2] / "bot" / "knowledge"


def test_a_key_given_twice_is_refused_with_both_lines() -> None:
    text = "classes:\n  pain_word:\n    words: [pain]\n  other:\n    words: [x]\n" \
           "  pain_word:\n    words: [ache]\n"
    with pytest.raises(strict_yaml.DuplicateKeyError) as raised:
        strict_yaml.load(text)
    message = str(raised.value)
    assert "'pain_word' is given twice (first on line 2)" in message
    assert "line 6" in message


def test_nested_and_top_level_duplicates_are_both_refused() -> None:
    with pytest.raises(strict_yaml.DuplicateKeyError):
        strict_yaml.load("version: 1\nversion: 2\n")
    with pytest.raises(strict_yaml.DuplicateKeyError):
        strict_yaml.load("a:\n  - b: 1\n    b: 2\n")


def test_equal_values_under_different_keys_are_fine() -> None:
    assert strict_yaml.load("a: 1\nb: 1\nc: {d: 1, e: 1}\n") == {"a": 1, "b": 1,
                                                                  "c": {"d": 1, "e": 1}}


@pytest.mark.parametrize("path", sorted(KNOWLEDGE.glob("*.yml")), ids=lambda p: p.name)
def test_every_knowledge_file_names_each_key_once(path: Path) -> None:
    assert strict_yaml.load(path.read_text(encoding="utf-8"))
