"""Calibration folders: real PNG and JPEG files written with Pillow, read back and normalised;
empty, missing and corrupt inputs refused with the file named."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from archspec.nn.calibration_images import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    CalibrationError,
    generated_inputs,
    image_files,
    load_images,
)

RED = (200, 40, 10)


def test_uniform_png_and_jpeg_normalised(tmp_path) -> None:  # noqa: ANN001
    Image.new("RGB", (50, 30), RED).save(tmp_path / "a.png")
    Image.new("RGB", (30, 70), RED).save(tmp_path / "b.jpg", quality=100)
    (tmp_path / "notes.txt").write_text("not an image")
    files, skipped = image_files(tmp_path)
    assert [f.name for f in files] == ["a.png", "b.jpg"] and skipped == 1
    inputs = load_images(tmp_path, (3, 16, 24))
    assert inputs.data.shape == (2, 3, 16, 24) and inputs.data.dtype == np.float32
    assert inputs.real and inputs.source == f"2 images from {tmp_path}"
    want = (np.array(RED) / 255 - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    np.testing.assert_allclose(inputs.data[0].mean(axis=(1, 2)), want, atol=1e-5)  # PNG: exact
    np.testing.assert_allclose(inputs.data[1].mean(axis=(1, 2)), want, atol=3 / 255 / 0.224)


def test_centre_crop_of_the_shorter_side(tmp_path) -> None:  # noqa: ANN001
    """A 60×20 image: black | white | black thirds. Resized to 48×16 (shorter side 16), the centre
    16×16 crop is the white third, whole."""
    image = Image.new("L", (60, 20), 0)
    image.paste(255, (20, 0, 40, 20))
    image.save(tmp_path / "x.png")
    data = load_images(tmp_path, (3, 16, 16), mean=(0, 0, 0), std=(1, 1, 1)).data[0]
    assert data[:, :, 2:-2].min() > 0.9  # bilinear edges aside, white
    gray = load_images(tmp_path, (3, 16, 48), mean=(0, 0, 0), std=(1, 1, 1)).data[0]
    assert gray[:, :, :12].max() < 0.1 and gray[:, :, 36:].max() < 0.1  # the black thirds


def test_count_takes_the_first_by_name(tmp_path) -> None:  # noqa: ANN001
    for i in range(3):
        Image.new("RGB", (8, 8), (i * 100, 0, 0)).save(tmp_path / f"{i}.png")
    data = load_images(tmp_path, (3, 8, 8), count=2, mean=(0, 0, 0), std=(1, 1, 1)).data
    np.testing.assert_allclose(data[:, 0, 0, 0], [0, 100 / 255], atol=1e-6)


def test_empty_missing_and_not_a_folder(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(CalibrationError, match="holds no images"):
        load_images(tmp_path, (3, 8, 8))
    with pytest.raises(CalibrationError, match="does not exist"):
        load_images(tmp_path / "gone", (3, 8, 8))
    (tmp_path / "f.png").write_bytes(b"")
    with pytest.raises(CalibrationError, match="not a folder"):
        load_images(tmp_path / "f.png", (3, 8, 8))


def test_corrupt_image_named(tmp_path) -> None:  # noqa: ANN001
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    good = (tmp_path / "a.png").read_bytes()
    (tmp_path / "b.png").write_bytes(good[: len(good) // 2])  # truncated
    with pytest.raises(CalibrationError, match="b.png"):
        load_images(tmp_path, (3, 8, 8))
    (tmp_path / "b.png").write_bytes(b"not a png at all")
    with pytest.raises(CalibrationError, match="b.png"):
        load_images(tmp_path, (3, 8, 8))


def test_generated_inputs_say_so() -> None:
    a, b = generated_inputs(4, (3, 8, 8)), generated_inputs(4, (3, 8, 8))
    assert not a.real and "generated" in a.source and "not images" in a.source
    np.testing.assert_array_equal(a.data, b.data)  # seeded
