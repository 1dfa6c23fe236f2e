"""Pen-drawn digits rendered as phone photos of paper, to measure how well photos are read.

    python -m tools.make_photos --pen ../shared/data/pen_digits_dev.npz --out DIR --count N --seed S

Each photo is 1200 x 1600 px (portrait), a JPEG of quality 70-90: a sheet of blank, ruled or squared
paper (textured) lying on a desk, with one of the paper's edges in the frame, rotated by up to 10
degrees and seen in slight perspective, lit unevenly (a gradient and a soft shadow), with one real
pen-drawn digit on it (UniPen strokes) written in ballpoint (2-4 px), felt pen (5-10 px) or pencil
(grey and grainy), 15-40 % of the frame high. Photo i depends only on (seed, i): the same command
always writes the same files. Files are named `{i:05d}_{digit}_{paper}_{pen}.jpg`. With --width, each
photo is shrunk to that width and saved again (the committed test photos: 480 px wide, to stay small).

The benchmark (tools.photo_accuracy) calls `photo_of` in-process, without writing files.
"""

import argparse
import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from digitlab.pen import PenDigits, load_pen_digits

FRAME = (1200, 1600)  # width, height of the photo in px
PAPERS = ("blank", "ruled", "squared")
PENS = ("ballpoint", "felt", "pencil")
SHEET = (1700, 2300)  # the sheet in paper px (about frame px): bigger than the frame, so only some edges show
SUPERSAMPLE = 2  # the ink is drawn 2x larger, then averaged down: anti-aliased strokes


@dataclass(frozen=True)
class Photo:
    image: Image.Image  # RGB, decoded from the JPEG
    jpeg: bytes
    label: int
    paper: str
    pen: str


def kinds(index: int) -> tuple[str, str]:
    """Photo i's paper and pen: every run of 9 photos has each paper with each pen once (balanced breakdowns)."""
    return PAPERS[index % 3], PENS[(index // 3) % 3]


def photo_of(strokes: list[np.ndarray], label: int, index: int, seed: int = 0, frame: tuple[int, int] = FRAME) -> Photo:
    """Photo `index` of a run seeded by `seed`: the digit's strokes on a random paper with the index's paper and pen."""
    rng = np.random.default_rng([seed, index])
    paper, pen = kinds(index)
    width, height = frame
    digit_height = rng.uniform(0.15, 0.40) * height
    ink_patch, patch_origin = draw_ink(strokes, digit_height, pen_width(pen, rng), pen == "pencil", rng)
    digit_centre = np.array([width / 2, height / 2]) + rng.uniform(-0.08, 0.08, 2) * width
    digit_to_frame = paper_to_frame(rng, frame, digit_centre)
    sheet_to_frame = digit_to_frame @ translation(*sheet_offset(rng, frame, digit_centre, ink_patch.shape[::-1]))
    u, v = frame_to_paper_coordinates(sheet_to_frame, frame)
    reflectance = paper_reflectance(u, v, paper, rng)
    coverage = warp(ink_patch, digit_to_frame @ translation(*patch_origin), frame)
    with_ink(reflectance, coverage, pen, rng)
    scene = on_desk(reflectance, sheet_mask(u, v), rng)
    image = camera(scene * lighting(frame, rng)[..., None], rng)
    jpeg = to_jpeg(image, int(rng.integers(70, 91)))
    return Photo(Image.open(io.BytesIO(jpeg)).convert("RGB"), jpeg, int(label), paper, pen)


def pen_width(pen: str, rng: np.random.Generator) -> float:
    """Stroke width in frame px: a ballpoint or a pencil line is 2-4 px at 1200 px across, a felt pen 5-10 px."""
    return float(rng.uniform(5, 10) if pen == "felt" else rng.uniform(2, 4))


def draw_ink(
    strokes: list[np.ndarray], digit_height: float, width: float, grainy: bool, rng: np.random.Generator
) -> tuple[np.ndarray, tuple[float, float]]:
    """Ink coverage in [0, 1] of a patch holding the digit centred at (0, 0), and the patch's top-left corner.

    The digit is `digit_height` px high (less if it would be more than 1.2 x as wide), slanted by a few degrees
    as a hand writes; pen pressure varies a little along the strokes, and a pencil (grainy) leaves gaps where
    the paper's tooth did not catch the graphite. No strokes: a blank patch (a photo of paper alone).
    """
    if not strokes:
        return np.zeros((1, 1), np.float32), (0.0, 0.0)
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    extent = np.maximum(high - low, 1e-3)
    scale = min(digit_height / extent[1], 1.2 * digit_height / extent[0])
    slant = np.deg2rad(rng.uniform(-4, 4))
    rotation = np.array([[np.cos(slant), -np.sin(slant)], [np.sin(slant), np.cos(slant)]])
    placed = [((s - (low + high) / 2) * scale) @ rotation.T for s in strokes]
    margin = width + 4
    half = np.abs(np.concatenate(placed)).max(axis=0) + margin
    origin = -half
    big = SUPERSAMPLE
    size = tuple(int(np.ceil(2 * h * big)) for h in half)
    image = Image.new("L", size, 0)
    draw = ImageDraw.Draw(image)
    radius = width * big / 2
    for stroke in placed:
        xy = (stroke - origin) * big
        level = int(255 * rng.uniform(0.8, 1.0))
        if len(xy) > 1:
            draw.line([tuple(p) for p in xy], fill=level, width=max(1, round(width * big)), joint="curve")
        for x, y in (xy[0], xy[-1]) if len(xy) > 1 else xy:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=level)
    coverage = np.asarray(image.reduce(big), dtype=np.float32) / 255
    if grainy:
        coverage = coverage * np.clip(0.75 + noise(rng, coverage.shape, 0.25), 0, 1)
    return coverage, (float(origin[0]), float(origin[1]))


def translation(dx: float, dy: float) -> np.ndarray:
    return np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]], dtype=np.float64)


def paper_to_frame(rng: np.random.Generator, frame: tuple[int, int], digit_centre: np.ndarray) -> np.ndarray:
    """3 x 3 homography from paper px, counted from the digit's centre, to frame px.

    The paper is turned by up to 10 degrees about the digit, which lands at `digit_centre`; then the frame's
    corners are moved by up to 2.5 % of its width: a phone held not quite parallel to the paper.
    """
    width, height = frame
    angle = np.deg2rad(rng.uniform(-10, 10))
    cos, sin = np.cos(angle), np.sin(angle)
    similarity = translation(*digit_centre) @ np.array([[cos, -sin, 0], [sin, cos, 0], [0, 0, 1]])
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    moved = corners + rng.uniform(-0.025, 0.025, corners.shape).astype(np.float32) * width
    perspective = cv2.getPerspectiveTransform(corners, moved)
    return perspective @ similarity


def sheet_offset(
    rng: np.random.Generator, frame: tuple[int, int], digit_centre: np.ndarray, patch_size: tuple[int, int]
) -> tuple[float, float]:
    """Where the digit is on the sheet: (dx, dy) such that paper px p is at p + (dx, dy) relative to the digit.

    One or two sides are chosen to show the sheet's edge, 3-20 % of the frame in from that side but never
    closer than 40 px to the digit; on the other sides the sheet reaches well beyond the frame.
    """
    sheet_w, sheet_h = SHEET
    room = np.array([digit_centre[0], frame[0] - digit_centre[0], digit_centre[1], frame[1] - digit_centre[1]])
    needed = np.array([patch_size[0], patch_size[0], patch_size[1], patch_size[1]]) / 2 + 40
    sides = rng.permutation(4)[: int(rng.integers(1, 3))]
    gaps = []  # from the digit's centre to the sheet's left, right, top, bottom edges
    for side in range(4):
        full = (sheet_w if side < 2 else sheet_h) / 2
        if side in sides and room[side] - 0.03 * frame[side // 2] > needed[side]:
            gaps.append(max(needed[side], room[side] - rng.uniform(0.03, 0.20) * frame[side // 2]))
        else:
            gaps.append(full)
    left, right, top, bottom = gaps
    return -_near_side(left, right, sheet_w), -_near_side(top, bottom, sheet_h)


def _near_side(before: float, after: float, length: float) -> float:
    """The digit's paper coordinate along one axis, given the wanted gaps to the sheet's two edges."""
    if before < length / 2:
        return before
    if after < length / 2:
        return length - after
    return length / 2


def frame_to_paper_coordinates(homography: np.ndarray, frame: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(u, v) paper coordinates (sheet px, from its top-left corner) of every frame pixel's centre."""
    width, height = frame
    inverse = np.linalg.inv(homography)
    x, y = np.meshgrid(np.arange(width, dtype=np.float32) + 0.5, np.arange(height, dtype=np.float32) + 0.5)
    inverse = inverse.astype(np.float32)
    w = inverse[2, 0] * x + inverse[2, 1] * y + inverse[2, 2]
    u = (inverse[0, 0] * x + inverse[0, 1] * y + inverse[0, 2]) / w
    v = (inverse[1, 0] * x + inverse[1, 1] * y + inverse[1, 2]) / w
    return u, v


def sheet_mask(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """1 on the sheet, 0 off it, anti-aliased over a pixel at its edges."""
    inside = np.minimum(np.minimum(u, SHEET[0] - u), np.minimum(v, SHEET[1] - v))
    return np.clip(inside + 0.5, 0, 1).astype(np.float32)


def paper_reflectance(u: np.ndarray, v: np.ndarray, paper: str, rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) paper colour in [0, 1]: slightly tinted white with grain and faint blotches, and its printed lines."""
    height, width = u.shape
    tint = np.array([1.0, rng.uniform(0.97, 1.0), rng.uniform(0.92, 0.99)], np.float32) * rng.uniform(0.88, 0.97)
    grain = 1 + noise(rng, (height, width), 0.015) + smooth_noise((height, width), 40, 0.015, rng)
    colour = grain[..., None] * tint
    if paper == "blank":
        return colour
    line_colour = np.array([0.55, 0.7, 0.9] if rng.random() < 0.6 else [0.6, 0.6, 0.62], np.float32)
    strength = rng.uniform(0.5, 0.9)
    if paper == "ruled":
        lines = line_profile(v, rng.uniform(40, 55), rng.uniform(1.5, 3), rng)
    else:
        spacing, thickness = rng.uniform(28, 40), rng.uniform(1.0, 2.2)
        lines = np.maximum(line_profile(v, spacing, thickness, rng), line_profile(u, spacing, thickness, rng))
    alpha = (strength * lines)[..., None]
    return colour * (1 - alpha + alpha * line_colour)


def line_profile(coordinate: np.ndarray, spacing: float, thickness: float, rng: np.random.Generator) -> np.ndarray:
    """Printed lines every `spacing` px along one paper axis, `thickness` px thick, anti-aliased: 1 on a line."""
    phase = rng.uniform(0, spacing)
    distance = np.abs((coordinate - phase + spacing / 2) % spacing - spacing / 2)
    return np.clip(thickness / 2 + 0.5 - distance, 0, 1)


def with_ink(reflectance: np.ndarray, coverage: np.ndarray, pen: str, rng: np.random.Generator) -> None:
    """Lays the digit's ink on the paper, in place: dark blue or black for pens, grey graphite for a pencil."""
    if pen == "pencil":
        colour = np.full(3, rng.uniform(0.3, 0.5), np.float32)
    elif rng.random() < 0.5:
        colour = np.array([0.08, 0.1, 0.35], np.float32) * np.float32(rng.uniform(0.6, 1.2))
    else:
        colour = np.full(3, rng.uniform(0.05, 0.15), np.float32)
    box = bounding_box(coverage > 0)
    if box is None:
        return
    alpha = (coverage[box] * np.float32(rng.uniform(0.85, 1.0)))[..., None]
    reflectance[box] = reflectance[box] * (1 - alpha) + colour * alpha


def on_desk(reflectance: np.ndarray, on_sheet: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The sheet lying on a desk, in place: the desk shows where the sheet does not cover the frame."""
    box = bounding_box(on_sheet < 1)
    if box is None:
        return reflectance
    cover = on_sheet[box][..., None]
    reflectance[box] = reflectance[box] * cover + desk(cover.shape[:2], rng) * (1 - cover)
    return reflectance


def bounding_box(mask: np.ndarray) -> tuple[slice, slice] | None:
    """The slices of the smallest rectangle holding every True pixel (None if there is none)."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def warp(patch: np.ndarray, homography: np.ndarray, frame: tuple[int, int]) -> np.ndarray:
    return cv2.warpPerspective(patch, homography, frame, flags=cv2.INTER_LINEAR, borderValue=0)


def desk(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) a desk's colour: wood with grain, a dark or a grey surface, each a little textured."""
    height, width = shape
    kind = rng.integers(3)
    base = ([0.55, 0.38, 0.22], [0.18, 0.18, 0.2], [0.45, 0.45, 0.45])[kind]
    texture = 1 + smooth_noise((height, width), 60, 0.08, rng) + noise(rng, (height, width), 0.02)
    if kind == 0:  # wood grain: bands along a direction, wavy
        angle = rng.uniform(0, np.pi)
        x, y = np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)[:, None]
        along = x * np.float32(np.cos(angle)) + y * np.float32(np.sin(angle))
        along = along + smooth_noise((height, width), 200, 30, rng)
        texture = texture * (1 + np.float32(0.12) * np.sin(along / np.float32(rng.uniform(6, 15))))
    return texture[..., None] * np.array(base, np.float32) * rng.uniform(0.8, 1.2)


def lighting(frame: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """(H, W) light falling on the scene: a gradient (one side 15-40 % darker) and a soft shadow (a hand, a phone)."""
    width, height = frame
    small = (height // 10, width // 10)
    y, x = np.mgrid[0 : small[0], 0 : small[1]].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = x * np.cos(angle) + y * np.sin(angle)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    light = 1 - rng.uniform(0.15, 0.4) * ramp
    shadow = np.zeros(small, np.float32)
    centre = rng.uniform([0, 0], [small[1], small[0]])
    axes = rng.uniform(0.3, 0.7, 2) * small[1]
    cv2.ellipse(
        shadow,
        (int(centre[0]), int(centre[1])),
        (int(axes[0]), int(axes[1])),
        float(rng.uniform(0, 180)),
        0,
        360,
        1.0,
        -1,
    )
    shadow = cv2.GaussianBlur(shadow, (0, 0), rng.uniform(4, 10))
    light = light * (1 - rng.uniform(0.15, 0.45) * shadow) * rng.uniform(0.85, 1.05)
    return cv2.resize(light.astype(np.float32), frame, interpolation=cv2.INTER_LINEAR)


def smooth_noise(shape: tuple[int, int], scale: float, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """Noise that varies over about `scale` px, about +-amplitude: blotches, uneven wood."""
    small = (max(2, int(shape[0] / scale) + 2), max(2, int(shape[1] / scale) + 2))
    coarse = rng.normal(0, amplitude, small).astype(np.float32)
    return cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def noise(rng: np.random.Generator, shape: tuple[int, ...], sigma: float) -> np.ndarray:
    """Gaussian noise, float32 (half the time of float64 noise over a 2-megapixel frame)."""
    return rng.standard_normal(shape, dtype=np.float32) * np.float32(sigma)


def camera(scene: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) uint8 as a phone gives it: slightly out of focus, with sensor noise."""
    blurred = cv2.GaussianBlur(scene, (0, 0), rng.uniform(0.5, 1.1))
    noisy = blurred * 255 + noise(rng, blurred.shape[:2], rng.uniform(1.5, 4))[..., None]
    return np.clip(noisy, 0, 255).astype(np.uint8)


def to_jpeg(image: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def shrunk(photo: Photo, width: int) -> bytes:
    """The photo's JPEG, or, for a smaller width, the photo shrunk to it and saved again at JPEG quality 80."""
    if width >= photo.image.width:
        return photo.jpeg
    height = round(photo.image.height * width / photo.image.width)
    buffer = io.BytesIO()
    photo.image.resize((width, height), Image.Resampling.LANCZOS).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def spread_over_writers(pen_file: str | Path, count: int, seed: int = 0) -> np.ndarray:
    """`count` sample indices taken in turn from every writer (each writer's in a random order), sorted.

    Files without a `writer` key (the committed test samples) fall back to the contributing source.
    """
    with np.load(pen_file, allow_pickle=False) as npz:
        writers = npz["writer"] if "writer" in npz.files else npz["source"]
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(writers))
    rank = np.zeros(len(writers), np.int64)
    for writer in np.unique(writers):
        mine = order[writers[order] == writer]
        rank[mine] = np.arange(len(mine))
    chosen = np.lexsort((order.argsort(), rank))[:count]
    return np.sort(chosen)


def photos(pen: PenDigits, indices, seed: int = 0, frame: tuple[int, int] = FRAME):
    """Photo k of the run is pen sample indices[k]: the k-th of a balanced cycle of papers and pens."""
    for k, i in enumerate(indices):
        yield photo_of(pen.strokes(int(i)), int(pen.labels[i]), k, seed, frame)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pen", default="../shared/data/pen_digits_dev.npz", help="a pen-digit .npz")
    parser.add_argument("--out", required=True, help="folder to write the JPEGs to")
    parser.add_argument("--count", type=int, default=18, help="how many photos (default: 18)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the choice of digits and of the photos")
    parser.add_argument(
        "--width",
        type=int,
        default=FRAME[0],
        help=f"shrink each photo to this width, as a chat app would (default: {FRAME[0]}, as taken)",
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pen = load_pen_digits(args.pen)
    indices = spread_over_writers(args.pen, args.count, args.seed)
    for k, photo in enumerate(photos(pen, indices, args.seed)):
        (out / f"{k:05d}_{photo.label}_{photo.paper}_{photo.pen}.jpg").write_bytes(shrunk(photo, args.width))
    print(f"Wrote {len(indices)} photos to {out}.")


if __name__ == "__main__":
    main()
