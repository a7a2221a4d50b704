"""Counting a caption the ways the platforms count it; each platform's rule is its limits.py `caption_problem`."""

import re

_HASHTAG = re.compile(r"(?<!\w)#\w+")
_MENTION = re.compile(r"(?<!\w)@[\w.]+")


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def hashtag_count(text: str) -> int:
    return len(_HASHTAG.findall(text))


def mention_count(text: str) -> int:
    return len(_MENTION.findall(text))
