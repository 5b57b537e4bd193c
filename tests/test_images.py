"""Image loading: multi-page TIFF, EXIF orientation, corrupt files, the decompression-bomb guard, blank pages."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from intake.errors import CorruptFileError, TooLargeError
from intake.images import is_blank, read_image
from intake.pages import PageKind
from intake.settings import load_settings


@pytest.fixture
def settings(tmp_path):
    return load_settings(env={}, data_dir=tmp_path / "data")


def text_page(size=(1000, 700), label="12345678", colour="black") -> Image.Image:
    im = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(im)
    for row in range(12):
        d.text((60, 40 + row * 50), f"{label} invoice line {row} 0123456789", fill=colour, font_size=28)
    d.rectangle((30, 20, size[0] - 30, size[1] - 20), outline=colour, width=3)
    return im


def test_multipage_tiff_gives_one_page_per_frame_and_drops_blank(tmp_path, settings):
    path = tmp_path / "scan.tif"
    blank = Image.new("RGB", (1000, 700), (250, 250, 248))
    text_page(label="first").save(path, save_all=True, append_images=[blank, text_page(label="third")], compression="tiff_lzw")
    pages = read_image(path, settings)
    assert [p.number for p in pages] == [1, 3]
    assert all(p.kind == PageKind.IMAGE and p.image.shape == (700, 1000, 3) for p in pages)
    assert (pages[0].width, pages[0].height) == (1000.0, 700.0)


def test_grey_and_palette_images_become_bgr(tmp_path, settings):
    path = tmp_path / "red.png"
    im = text_page(colour=(200, 0, 0))
    im.convert("P", palette=Image.Palette.ADAPTIVE).save(path)
    (page,) = read_image(path, settings)
    b, g, r = page.image[:, :, 0].astype(int), page.image[:, :, 1].astype(int), page.image[:, :, 2].astype(int)
    red = (r - b > 100) & (r - g > 100)
    assert red.sum() > 500  # channel order is BGR, not RGB
    grey = tmp_path / "g.bmp"
    text_page().convert("L").save(grey)
    assert read_image(grey, settings)[0].image.ndim == 3


def test_exif_orientation_is_applied(tmp_path, settings):
    path = tmp_path / "phone.jpg"
    im = text_page(size=(900, 600))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: viewers rotate 90° clockwise
    im.save(path, exif=exif, quality=90)
    (page,) = read_image(path, settings)
    assert page.image.shape[:2] == (900, 600)


def test_truncated_jpeg_is_corrupt_with_one_line(tmp_path, settings):
    good = tmp_path / "good.jpg"
    text_page().save(good, quality=90)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    with pytest.raises(CorruptFileError) as e:
        read_image(bad, settings)
    assert "\n" not in str(e.value) and "bad.jpg" in str(e.value)
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    with pytest.raises(CorruptFileError):
        read_image(garbage, settings)


def test_decompression_bomb_guard(tmp_path, settings):
    path = tmp_path / "big.png"
    Image.new("L", (3000, 3000), 255).save(path)  # 9 Mpx, compresses to almost nothing
    settings.max_image_pixels = 5_000_000  # between 1× and 2× the limit Pillow would only warn
    with pytest.raises(TooLargeError):
        read_image(path, settings)
    settings.max_image_pixels = 1_000_000
    with pytest.raises(TooLargeError):
        read_image(path, settings)


def test_page_cap(tmp_path, settings):
    path = tmp_path / "many.tif"
    text_page().save(path, save_all=True, append_images=[text_page() for _ in range(4)])
    settings.max_pages = 3
    with pytest.raises(TooLargeError):
        read_image(path, settings)


def test_blank_detection_thresholds():
    rng = np.random.default_rng(1)
    noisy_paper = np.clip(235 + rng.normal(0, 6, (1400, 1000, 3)), 0, 255).astype(np.uint8)
    assert is_blank(noisy_paper)
    shaded = np.tile(np.linspace(170, 250, 1000, dtype=np.uint8), (1400, 1)).repeat(3).reshape(1400, 1000, 3)
    assert is_blank(shaded)
    sparse = np.asarray(text_page(size=(1000, 1400)))[:, :, ::-1].copy()
    sparse[300:] = 255  # only a few lines of text left
    assert not is_blank(sparse)
