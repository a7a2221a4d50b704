"""What a Threads post lets the artist choose: nothing yet."""

from azmth_pipelines.integrations.common.options import PostOptions

OPTIONS = PostOptions()
