"""Instagram's publishing error table (instagram-graph-api/reference/error-codes), on top of the Graph rules.

RETRY here means "retry the publish": for an expired or broken container that is a new container, which the
publish flow does anyway when it starts over.
"""

import re
from collections.abc import Iterable

from azmth_pipelines.integrations.common.errors import Disposition, PlatformError, error_for
from azmth_pipelines.integrations.common.http import ApiResponse
from azmth_pipelines.integrations.meta.errors import SubcodeRule, classify_graph_failure, graph_error
from azmth_pipelines.vocabulary import Platform

PLATFORM = Platform.INSTAGRAM

_RETRY = SubcodeRule(Disposition.RETRY)
_PERMANENT = SubcodeRule(Disposition.PERMANENT)

INSTAGRAM_SUBCODE_RULES: dict[int, SubcodeRule] = {
    2207001: _RETRY,  # -1 server error
    2207003: _RETRY,  # -2 media download timed out
    2207008: _RETRY,  # 24 media builder expired: retry in 30 s to 2 min
    2207020: _RETRY,  # -2 container expired: make a new one
    2207027: _RETRY,  # 9007 media not ready for publishing yet
    2207032: _RETRY,  # -1 create failed
    2207053: _RETRY,  # -1 unknown upload error: new container
    # 4 spam / action blocked; the doc warns the media may still have been published: check /media first.
    2207051: SubcodeRule(Disposition.PERMANENT, may_have_succeeded=True),
    2207042: SubcodeRule(Disposition.RATE_LIMITED),  # 9 publishing limit (content_publishing_limit) reached
    2207006: _PERMANENT,  # 24 media not found (permissions or expired)
    2207050: _PERMANENT,  # 25 account restricted or inactive: the artist must fix it in the app
    2207057: _PERMANENT,  # 1 thumb_offset out of range
    2207023: _PERMANENT,  # 100 unknown media type
    2207028: _PERMANENT,  # 100 carousel needs 2-10 items
    2207035: _PERMANENT,  # 100 product tags
    2207036: _PERMANENT,
    2207037: _PERMANENT,
    2207040: _PERMANENT,  # 100 more than 20 @tags
    2207026: _PERMANENT,  # 352 video format unsupported
    2207052: _PERMANENT,  # 9004 media URL could not be fetched
    2207004: _PERMANENT,  # 36000 image over 8 MiB
    2207005: _PERMANENT,  # 36001 image format unsupported
    2207009: _PERMANENT,  # 36003 aspect ratio out of range
    2207010: _PERMANENT,  # 36004 caption too long
}


def classify_instagram_failure(
    http_status: int, code: int | str | None, subcode: int | str | None, *, is_transient: bool = False
) -> Disposition:
    """Sort an Instagram Graph error (code, error_subcode) into what the caller should do."""
    return classify_graph_failure(
        http_status, code, subcode, is_transient=is_transient, subcode_rules=INSTAGRAM_SUBCODE_RULES
    )


def instagram_error(answer: ApiResponse, *, secrets: Iterable[str] = ()) -> PlatformError | None:
    return graph_error(answer, platform=PLATFORM, subcode_rules=INSTAGRAM_SUBCODE_RULES, secrets=secrets)


_SUBCODE_IN_TEXT = re.compile(r"\b(22\d{5})\b")


def container_error(container_id: str, status_code: str, status: str | None) -> PlatformError:
    """The error for a container that ended ERROR or EXPIRED (its `status` text often names a subcode)."""
    found = _SUBCODE_IN_TEXT.search(status or "")
    subcode = int(found.group(1)) if found else None
    if status_code == "EXPIRED":
        disposition = Disposition.RETRY  # not published within 24 h: a new container fixes it
    elif subcode is not None:
        disposition = classify_instagram_failure(400, None, subcode)
    else:
        disposition = Disposition.PERMANENT
    return error_for(
        disposition,
        f"container {container_id} ended {status_code}: {status or 'no detail'}",
        platform=PLATFORM,
        subcode=subcode,
        payload={"container_id": container_id, "status_code": status_code, "status": status},
    )
