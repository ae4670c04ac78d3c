"""The data-quality page renders in headless Chromium: a screenshot is taken and is a real, non-blank picture.

Chromium is Debian's ``chromium`` package (``apt-get install -y chromium``). Its absence fails
the test: the page is part of what the report promises, so not checking it is not a pass.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from dedup.quality import assess, write_report
from tests.dedup.quality_data import AS_OF, clean_population, households, inject_household_errors, inject_person_errors

WIDTH, HEIGHT = 1280, 2000
# The screenshot goes to pytest's temp folder, or to the folder this variable names (to look at it).
SCREENSHOT_DIR = "HAWIYA_TEST_SCREENSHOT_DIR"


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("chromium is not installed: `apt-get install -y chromium` (Debian's package) to render the page")


def _screenshot(html: Path, out: Path, profile: Path) -> Path:
    png = out / "page.png"
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        f"--window-size={WIDTH},{HEIGHT}",
        html.resolve().as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return png


def _unfilter_sequential(kind: int, line: list[int], up: list[int], channels: int) -> np.ndarray:
    row = [0] * len(line)
    for x, value in enumerate(line):
        left = row[x - channels] if x >= channels else 0
        up_left = up[x - channels] if x >= channels else 0
        if kind == 3:
            predicted = (left + up[x]) // 2
        else:
            p = left + up[x] - up_left
            pa, pb, pc = abs(p - left), abs(p - up[x]), abs(p - up_left)
            predicted = left if pa <= pb and pa <= pc else up[x] if pb <= pc else up_left
        row[x] = (value + predicted) & 0xFF
    return np.array(row, dtype=np.int64)


def _png_pixels(path: Path) -> tuple[int, int, np.ndarray]:
    """Width, height and the RGB(A) pixels of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    pos, idat, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    channels = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8).reshape(height, 1 + width * channels)
    pixels = np.zeros((height, width * channels), dtype=np.uint8)
    previous = np.zeros(width * channels, dtype=np.int64)
    for y in range(height):  # undo the per-row filters (PNG specification, section 9)
        kind, line = int(raw[y, 0]), raw[y, 1:].astype(np.int64)
        if kind == 0:
            row = line
        elif kind == 1:  # Sub: a running sum along the row, per channel
            row = np.cumsum(line.reshape(width, channels), axis=0).ravel() & 0xFF
        elif kind == 2:  # Up
            row = (line + previous) & 0xFF
        else:  # Average or Paeth: each byte needs the one decoded just before it
            row = _unfilter_sequential(kind, line.tolist(), previous.tolist(), channels)
        pixels[y] = row
        previous = np.asarray(row, dtype=np.int64)
    return width, height, pixels.reshape(height, width, channels)


@pytest.mark.slow
def test_the_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    people = inject_person_errors(clean_population(5000, seed=41), seed=42).frame
    report = assess(people, dataset="file", source="people.parquet", as_of=AS_OF)
    _, html = write_report(report, tmp_path / "persons")
    shown = Path(os.environ.get(SCREENSHOT_DIR) or tmp_path)
    shown.mkdir(parents=True, exist_ok=True)
    png = _screenshot(html, shown, tmp_path / "profile")
    print(f"\nscreenshot: {png}")

    width, height, pixels = _png_pixels(png)
    assert (width, height) == (WIDTH, HEIGHT)
    colours = {tuple(p) for p in pixels[::4, ::4, :3].reshape(-1, 3).tolist()}
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    # The header band is the page's dark blue, and the charts' bars are drawn (severity colours).
    assert tuple(pixels[20, 20, :3]) == (0x12, 0x3A, 0x6B)
    rgb = pixels[..., :3]
    for colour in ((0x1F, 0x5F, 0xA8), (0xEF, 0x8F, 0x00)):  # completeness bars, warning bars
        assert (rgb == colour).all(axis=2).sum() > 500, colour


@pytest.mark.slow
def test_the_rsu_page_renders_too(tmp_path: Path) -> None:
    members = inject_household_errors(households(1500, seed=43), seed=44).frame
    _, html = write_report(assess(members, dataset="rsu", as_of=AS_OF), tmp_path / "rsu")
    png = _screenshot(html, tmp_path, tmp_path / "profile")
    width, height, pixels = _png_pixels(png)
    assert (width, height) == (WIDTH, HEIGHT)
    assert len({tuple(p) for p in pixels[::4, ::4, :3].reshape(-1, 3).tolist()}) > 50
