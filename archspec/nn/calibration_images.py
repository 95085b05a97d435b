"""Calibration and evaluation inputs for quantisation: a folder of images, or generated inputs.

An image is decoded with Pillow, converted to RGB, scaled so that it covers the network's H×W
(for a square input: the shorter side becomes the input size), centre-cropped to H×W, scaled
to [0, 1] and normalised per channel by ``mean`` and ``std`` (ImageNet's by default): the
torchvision ``Resize`` + ``CenterCrop`` + ``Normalize`` recipe, at the crop size itself.

Generated inputs are seeded standard-normal tensors: what a normalised image looks like to the
first layer, but nothing like a real image's statistics, so every figure computed on them says so.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: suffixes read from a calibration folder (any case); other files are skipped and counted
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm")


class CalibrationError(ValueError):
    """A calibration folder or image that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Inputs:
    """A batch of NCHW float32 inputs and where they came from."""

    data: np.ndarray
    real: bool  # decoded images (top-1 agreement means something) or generated
    source: str  # "12 images from DIR" / "32 generated inputs (seeded N(0, 1), not images)"


def image_files(folder: str | os.PathLike[str]) -> tuple[list[Path], int]:
    """The image files directly in ``folder``, sorted by name, and how many other entries were
    skipped; :class:`CalibrationError` when the folder does not exist or holds no image."""
    root = Path(folder)
    if not root.exists():
        raise CalibrationError(f"calibration folder {folder} does not exist; give a folder of "
                               "images (PNG, JPEG, ...)")
    if not root.is_dir():
        raise CalibrationError(f"calibration path {folder} is not a folder; give a folder of "
                               "images (PNG, JPEG, ...)")
    entries = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    images = [p for p in entries if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    if not images:
        raise CalibrationError(
            f"calibration folder {folder} holds no images (looked for "
            f"{', '.join(IMAGE_SUFFIXES)}); put a few hundred representative images there, or "
            "leave out --calibration to calibrate on generated inputs")
    return images, len(entries) - len(images)


def load_image(path: Path, size: tuple[int, int], *, mean: Sequence[float] = IMAGENET_MEAN,
               std: Sequence[float] = IMAGENET_STD) -> np.ndarray:
    """One image as a 3×H×W float32 array (see the module docstring for the recipe)."""
    from PIL import Image, UnidentifiedImageError

    h, w = size
    try:
        with Image.open(path) as image:
            image.load()
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise CalibrationError(f"cannot read calibration image {path}: {exc}; remove it or "
                               "replace it with a readable image") from None
    scale = max(h / rgb.height, w / rgb.width)  # cover H×W, then crop the centre
    rh, rw = max(h, round(rgb.height * scale)), max(w, round(rgb.width * scale))
    rgb = rgb.resize((rw, rh), Image.Resampling.BILINEAR)
    top, left = (rh - h) // 2, (rw - w) // 2
    rgb = rgb.crop((left, top, left + w, top + h))
    pixels = np.asarray(rgb, dtype=np.float32) / np.float32(255.0)  # H×W×3 in [0, 1]
    normalised = (pixels - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(normalised.transpose(2, 0, 1), dtype=np.float32)


def load_images(folder: str | os.PathLike[str], shape: tuple[int, int, int], *,
                count: int | None = None, mean: Sequence[float] = IMAGENET_MEAN,
                std: Sequence[float] = IMAGENET_STD) -> Inputs:
    """The first ``count`` images of ``folder`` (by name; all when None) as an N×3×H×W batch."""
    channels, h, w = shape
    if channels != 3:
        raise CalibrationError(f"calibration images are decoded as RGB (3 channels); this "
                               f"network takes {channels}: calibrate on generated inputs")
    if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
        raise CalibrationError("mean and std need 3 values each (R,G,B), std positive")
    files, _ = image_files(folder)
    files = files if count is None else files[:count]
    data = np.stack([load_image(f, (h, w), mean=mean, std=std) for f in files])
    return Inputs(data, True, f"{len(files)} image{'s' * (len(files) != 1)} from {folder}")


def generated_inputs(count: int, shape: tuple[int, int, int], *, seed: int = 0) -> Inputs:
    """``count`` seeded standard-normal inputs of C×H×W, labelled as generated."""
    data = np.random.default_rng(seed).standard_normal((count, *shape), dtype=np.float32)
    return Inputs(data, False, f"{count} generated inputs (seeded N(0, 1) noise, not images)")
