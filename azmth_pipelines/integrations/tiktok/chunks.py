"""TikTok's FILE_UPLOAD chunk plan (content-posting-api-media-transfer-guide, "Chunk restrictions").

- each chunk 5 MB-64 MB, except the last, which absorbs the trailing bytes (up to 128 MB);
- total_chunk_count = floor(video_size / chunk_size);
- a video under 5 MB goes as one chunk with chunk_size = video_size; over 64 MB it must be chunked;
- 1-1000 chunks, uploaded sequentially.
"""

from dataclasses import dataclass

# "MB" is ambiguous in the doc; 5 MiB is >= 5 MB in either reading, 64,000,000 B <= 64 MB in either.
MIN_CHUNK_BYTES = 5 * 1024 * 1024
MAX_CHUNK_BYTES = 64_000_000
MAX_CHUNKS = 1000
DEFAULT_CHUNK_BYTES = 10_000_000


@dataclass(frozen=True)
class Chunk:
    index: int
    first_byte: int
    last_byte: int  # inclusive, as in Content-Range
    total_bytes: int

    @property
    def size(self) -> int:
        return self.last_byte - self.first_byte + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.first_byte}-{self.last_byte}/{self.total_bytes}"


@dataclass(frozen=True)
class ChunkPlan:
    video_size: int
    chunk_size: int
    total_chunk_count: int

    @classmethod
    def for_size(cls, video_size: int, chunk_size: int = DEFAULT_CHUNK_BYTES) -> "ChunkPlan":
        if video_size <= 0:
            raise ValueError("a video to upload has at least one byte")
        if video_size <= max(chunk_size, MIN_CHUNK_BYTES) and video_size <= MAX_CHUNK_BYTES:
            return cls(video_size, video_size, 1)
        chunk_size = min(max(chunk_size, MIN_CHUNK_BYTES), MAX_CHUNK_BYTES)
        if video_size // chunk_size > MAX_CHUNKS:
            chunk_size = -(-video_size // MAX_CHUNKS)  # ceil: the fewest bytes per chunk that fit 1000 chunks
            if chunk_size > MAX_CHUNK_BYTES:
                raise ValueError(f"a {video_size} B video does not fit in {MAX_CHUNKS} chunks of <= 64 MB")
        return cls(video_size, chunk_size, video_size // chunk_size)

    def chunks(self) -> list[Chunk]:
        result = []
        for index in range(self.total_chunk_count):
            first = index * self.chunk_size
            last_index = index == self.total_chunk_count - 1
            last = self.video_size - 1 if last_index else first + self.chunk_size - 1
            result.append(Chunk(index, first, last, self.video_size))
        return result

    def source_info(self) -> dict[str, object]:
        return {
            "source": "FILE_UPLOAD",
            "video_size": self.video_size,
            "chunk_size": self.chunk_size,
            "total_chunk_count": self.total_chunk_count,
        }
