"""Is this post on X's timeline the caption we sent? X rewrites a post's text, so plain equality misses it."""

import re
import unicodedata

from twitter_text import extract_urls_with_indices

# What every link becomes before texts are compared: X returns each URL as a t.co link of its own.
_LINK = "\x00link\x00"
# API v2 `text` comes back with &, < and > HTML-escaped; nothing else is.
_ESCAPED = re.compile(r"&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}
_SPACES = re.compile(r"\s+")


def same_post(shown: str, typed: str, *, with_media: bool) -> bool:
    """Whether a post's `text` as X returns it is the caption as it was sent. X rewrites the text: &, < and > come
    back HTML-escaped, every URL (even a bare domain) is a t.co link, and a post with media ends with the media's
    own t.co link. So links compare equal to any link, and that last one is dropped."""
    returned = _comparable(_unescaped(shown))
    sent = _comparable(typed)
    if returned == sent:
        return True
    return with_media and returned.endswith(_LINK) and returned.removesuffix(_LINK).rstrip() == sent


def looks_like(shown: str, typed: str) -> bool:
    """The same words once links are left out and spacing ignored: maybe this post, maybe not."""
    return _words(_comparable(_unescaped(shown))) == _words(_comparable(typed))


def _unescaped(text: str) -> str:
    # One pass, so an "&lt;" the artist typed (returned as "&amp;lt;") stays "&lt;".
    return _ESCAPED.sub(lambda match: _UNESCAPED[match.group(1)], text)


def _comparable(text: str) -> str:
    # X stores text NFC-normalized (counting-characters doc); it finds URLs the way twitter-text does.
    text = unicodedata.normalize("NFC", text)
    for url in reversed(extract_urls_with_indices(text)):
        start, end = url["indices"]
        text = text[:start] + _LINK + text[end:]
    return text.strip()


def _words(comparable: str) -> str:
    return _SPACES.sub(" ", comparable.replace(_LINK, " ")).strip()
