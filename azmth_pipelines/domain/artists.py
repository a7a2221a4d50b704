"""Artists: the owners of everything else."""

from sqlalchemy.orm import Session

from azmth_pipelines.db.models import Artist
from azmth_pipelines.domain import validation
from azmth_pipelines.domain.errors import NotFound


def create_artist(session: Session, *, name: str, timezone: str = "UTC") -> Artist:
    artist = Artist(
        name=validation.non_empty("name", name, max_length=200),
        timezone=validation.timezone_name(timezone),
    )
    session.add(artist)
    session.flush()
    return artist


def get_artist(session: Session, artist_id: int) -> Artist:
    artist = session.get(Artist, artist_id)
    if artist is None:
        raise NotFound("artist", artist_id)
    return artist
