"""The media layer: what a file is, whether a platform takes it, and how to make it acceptable.

- probe.py       probe_file / probe_bytes -> MediaProbe (Pillow for pictures, the static ffmpeg for video)
- checks.py      check_media(platform, probe, ...) -> [MediaProblem], from integrations/<p>/limits.py
- crop.py        CropSpec (stored per platform as JSON) and crop_image -> sRGB JPEG with even sides
- trim.py        trim_video: at most N seconds, stream copy where possible
- store.py       MediaStore: content-addressed files served at a public URL; server.py serves it locally
- samples.py     make_image / make_video for the demo and tests
Every failure is a MediaError whose message is written for the artist. A fix or hand-off only one platform
needs (a silent audio track, a hand-off to the app) lives in that platform's folder, integrations/<platform>/.
"""
