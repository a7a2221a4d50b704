"""Write a file so that readers see either nothing or the finished file, never a half-written one."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output(output: Path) -> Iterator[Path]:
    """Yield a temp path beside `output`; on success it is renamed over `output`, on failure removed."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    # Same directory, same suffix: the rename stays on one filesystem and ffmpeg can still infer the format.
    fd, temp_name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.stem}-", suffix=output.suffix)
    os.close(fd)
    temp = Path(temp_name)
    try:
        yield temp
        temp.chmod(0o644)  # mkstemp creates 0600; published media is world-readable like any saved file
        os.replace(temp, output)
    finally:
        temp.unlink(missing_ok=True)
