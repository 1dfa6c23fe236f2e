"""A phone photo of a digit on paper -> a 28 x 28 input made the way MNIST's digits were made.

A photo is not a canvas: the light falls unevenly on the paper, the paper's edge and the desk show
at the sides, ruled or squared paper is covered in printed lines, and a ballpoint's stroke is a
hairline next to the digit's size. preprocess.to_mnist, made for the canvas, takes all of that for
ink. This recipe first isolates the digit's strokes, then hands them to preprocess's own steps
(crop_to_ink, fit_in_box, centre_by_mass), so that MNIST's recipe lives in one place:

    grayscale -> working_copy -> has_even_background?
        yes (the canvas, a scan, a cropped digit): preprocess.ink_map, as to_mnist does
        no (a photo): dark_ink_on_light -> flat_ink (divided by the paper's brightness)
            -> printed_lines / without_lines (ruled and squared paper) -> digit_mask (the strokes in
            the middle, not the desk or the paper's edge, not grain) -> stretched (pencil made firm)
    -> mnist_strokes (MNIST's stroke width) -> crop_to_ink -> fit_in_box -> centre_by_mass
"""

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from digitlab.images import open_image
from digitlab.preprocess import INK_THRESHOLD, centre_by_mass, crop_to_ink, fit_in_box, grayscale, ink_map

WORK_SIZE = 512  # px along the longer side: enough for a 15 %-of-the-frame digit, ~10 ms a step
PHOTO_BACKGROUND = 0.04  # of the longer side: wider than a pen's stroke in a photo, narrower than a shadow
EVEN_SHARE = 0.75  # of the pixels near the commonest grey, the share within 4 levels of it: an even background
SMALL_PICTURE = 256  # px along the longer side: no phone photo is this small (a cropped digit may be)
LINE_SEARCH = 12  # degrees: the page may be turned this much either way
LINE_INK = 0.05  # contrast of a faint printed line in the working copy
LINE_COVER = 0.35  # a printed line is marked along this much more of the picture than a typical row is
STROKE_RATIO = 0.1  # MNIST's strokes are ~2 px of its 20 px box; the app's canvas brush is 18 px of ~170
DARK_SCENE = 0.25  # a photo whose median grey is below this is of light ink on a dark ground
FAINTEST_DIGIT = 0.12  # a digit's strokes have at least this contrast (a pencil's: ~0.3 in the working copy)
STAND_OUT = 2.5  # a digit's strokes are this many times darker than the paper's darkest blot (pencil: 3-15)
MIN_STROKE = 0.08  # contrast below which a pixel is paper grain, not part of a stroke
BORDER_BAND = 0.2  # a shape centred in this outer band of a photo is the desk or the paper's edge
MIN_DIGIT = 0.08  # of the photo's longer side: a digit someone photographs is at least this big
MIN_SHAPE = 3e-4  # of the picture: a smaller shape is a speck of grain
BRIDGE = 5  # px: marks this close belong to one shape
SPECK = 6  # px: a mark this small is grain, not a stroke (a stroke 20 % of the picture high has ~100 px)
LINE_RUN = 5  # px: a printed line runs this far along a row even at LINE_SEARCH; a line crossing it is narrower
LINE_THICK = 3  # rows of the half-size marks: a printed line at its tilt is no thicker, the desk's texture is
LINE_PIECE = 9  # px: a piece of a printed line runs this far along its row; a stroke crossing it is narrower
LINE_BAND = 3  # px across: a line sheared by whole px steps from row to row, and is blurred over two
LINE_TURN = 2  # degrees: perspective tilts the lines of one half of a photo at most this much more than the other's
MIN_LINES = 3  # parallel long lines: printed lines, not a digit's strokes


def photo_to_mnist(image) -> np.ndarray | None:
    """A (28, 28) float32 array in [0, 1], ink bright on black like MNIST; None when no digit is found.

    `image` is a PIL image or an array, as for preprocess.to_mnist: a photo of paper, a scan, the canvas.
    """
    gray = grayscale(reduced(image))
    if has_even_background(gray[:: _stride(gray), :: _stride(gray)] / 255):
        ink = clean_ink(working_copy(gray))
    else:
        ink = paper_ink(working_copy(gray))
    if ink is None:
        return None
    return centre_by_mass(fit_in_box(crop_to_ink(mnist_strokes(ink))))


def read_photo(source, name: str | None = None) -> tuple[np.ndarray | None, Image.Image]:
    """A photo's digit as the network's input (None when no digit is found), and the photo as it can be shown.

    `source` is a path or a file's bytes, opened by images.open_image (the one door for files: known formats
    only, decoded in 8 bits, which st.image shows), so that the Draw page and the command line read a file
    alike; ImageError says why one cannot be read."""
    image = open_image(source, name)
    return photo_to_mnist(image), image


def clean_ink(gray: np.ndarray) -> np.ndarray | None:
    """uint8 ink of a picture with an even background (the canvas, a scan, a cropped digit), or None.

    Such a picture has no lighting, edge or desk to undo: preprocess's own ink map reads it, so that a clean
    picture reads as well as through to_mnist (only a hairline is thickened, by mnist_strokes).
    """
    return ink_map(np.rint(gray * 255).astype(np.uint8))


def paper_ink(gray: np.ndarray) -> np.ndarray | None:
    """uint8 ink of the digit alone in a photo of paper, or None: the lighting flattened, the printed lines
    removed, and only the strokes of the digit in the middle kept, with a pencil's grey made firm."""
    ink = flat_ink(dark_ink_on_light(gray))
    lines = printed_lines(ink)
    if lines is not None:
        ink = turned(without_lines(ink, lines), lines.columns if lines.columns is not None else lines.rows)
    mask = digit_mask(ink)
    if mask is None:
        return None
    return stretched(np.where(mask, ink, 0))


def reduced(image):
    """A PIL image more than twice the working size, shrunk by a whole factor first: box-averaging in PIL is
    the cheapest way to drop the pixels that a 12-megapixel photo has and the 28 x 28 input cannot use."""
    if isinstance(image, Image.Image) and image.mode in ("L", "RGB", "RGBA"):
        factor = max(image.size) // (2 * WORK_SIZE)
        if factor >= 2:
            return image.reduce(factor)
    return image


def _stride(gray: np.ndarray) -> int:
    """Every how many pixels a photo is sampled to be no bigger than the working size."""
    return max(1, max(gray.shape) // WORK_SIZE)


def working_copy(gray: np.ndarray) -> np.ndarray:
    """float32 in [0, 1], scaled so that the longer side is WORK_SIZE px.

    A 12-megapixel photo holds far more detail than a 28 x 28 input can use, and every step below costs
    in proportion to the pixels; a small crop or an MNIST digit is enlarged, so that the sizes below,
    all fractions of the picture, never shrink to a pixel or two. `gray` is uint8, as grayscale gives it.
    """
    height, width = gray.shape
    scale = WORK_SIZE / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(gray, size, interpolation=interpolation).astype(np.float32) / 255


def has_even_background(gray: np.ndarray) -> bool:
    """Whether the background is one grey all over: the canvas, a screenshot, a scan, a cropped digit.

    The commonest grey is sharp in such a picture: nearly all the pixels within 30 levels of it are within
    4. Under a phone's light the paper's grey drifts by tens of levels from one side to the other, and is
    only a slice of it. That grey must also be the background, the middle grey, as it is where the ink is
    the minority: in a photo a dark, plain desk can be the sharpest grey while the paper is the majority.
    Only a small picture (no phone photo) may have more ink than background: a digit cropped to its box.
    Measured on the picture's own pixels, sampled (not averaged, so that a photo's grain still shows)
    down to about the working size, never on an enlarged copy (whose blended pixels are not the picture's).
    """
    levels = np.rint(gray * 255).astype(np.int64)
    histogram = np.bincount(levels.ravel(), minlength=256)
    mode = int(histogram.argmax())
    near = histogram[max(0, mode - 30) : mode + 31].sum()
    if histogram[max(0, mode - 4) : mode + 5].sum() < EVEN_SHARE * near:
        return False
    median = int(np.searchsorted(np.cumsum(histogram), levels.size / 2))
    return abs(median - mode) <= 30 or max(gray.shape) <= SMALL_PICTURE


def dark_ink_on_light(gray: np.ndarray) -> np.ndarray:
    """The photo with its ink darker than its background: a photo of light ink on a dark ground is inverted.

    A photo is of dark ink on paper unless the whole scene is dark (chalk, a white pen on black paper):
    under a shadow and beside a desk, the median may be well below mid-grey and still be the paper.
    """
    return 1 - gray if float(np.median(gray[::4, ::4])) < DARK_SCENE else gray


def flat_ink(gray: np.ndarray) -> np.ndarray:
    """Ink contrast in [0, 1]: 1 - grey / the paper's brightness around it.

    The paper's brightness is a grey closing (the brightest nearby, then the darkest of those) a little
    wider than a pen's stroke: it bridges the ink but follows the light's gradient, a soft shadow and the
    step down to the desk. Dividing by it makes a stroke in the shade as dark as one in the light, and the
    desk as blank as the paper. (So narrow a closing would hollow out the broad strokes of the canvas or of
    a cropped digit: those have an even background and never come here.)
    """
    background = np.maximum(_closing(gray, PHOTO_BACKGROUND), gray)
    return np.clip(1 - gray / np.maximum(background, 1e-3), 0, 1)


def _closing(gray: np.ndarray, fraction: float) -> np.ndarray:
    return cv2.morphologyEx(gray, cv2.MORPH_CLOSE, _square(fraction, gray.shape), borderType=cv2.BORDER_REPLICATE)


def _square(fraction: float, shape: tuple[int, int]) -> np.ndarray:
    side = max(3, int(fraction * max(shape)) | 1)
    return cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))


@dataclass(frozen=True)
class Lines:
    """The printed lines of ruled or squared paper: the turns that make them level (or plumb), or None for
    a way they do not run. Perspective turns the rows and the columns of squared paper a little differently."""

    rows: float | None  # degrees (counter-clockwise) that make the rows level
    columns: float | None  # degrees that make the columns plumb
    rows_turn: float = 0.0  # degrees by which the rows of the picture's lower half are tilted more than the upper's
    columns_turn: float = 0.0  # the same for the columns of its right half and its left


def printed_lines(ink: np.ndarray) -> Lines | None:
    """The page's printed lines, or None: at least MIN_LINES parallel thin lines, each marked along
    LINE_COVER of the picture more than a typical row, within LINE_SEARCH degrees of level or plumb.

    A digit's strokes are never that many long parallel lines, so the canvas and blank paper have none.
    Rows are looked for in what runs along the rows, columns in what runs along the columns (_marks_along).
    The tilt is the one that lines the marks up best (their rows' or columns' counts vary most), searched by
    turning a half-size copy of them 1 degree apart, then 0.5; then the same for each half of the picture,
    near that tilt, since perspective makes the lines converge.
    """
    if min(ink.shape) < 4:  # a sliver of a picture: no room for lines
        return None
    rows, columns = (_best_tilt(_halved(_marks_along(ink, axis)), axis) for axis in (1, 0))
    if rows is None and columns is None:
        return None
    (rows, rows_turn), (columns, columns_turn) = (found or (None, 0.0) for found in (rows, columns))
    return Lines(rows, columns, rows_turn, columns_turn)


def _marks_along(ink: np.ndarray, axis: int) -> np.ndarray:
    """uint8 1 where the ink runs along the rows (axis 1) or the columns (axis 0) for a few px: a row line
    does, even turned by LINE_SEARCH, while the columns crossing it (and the paper's grain) do not. Without
    this, the columns of a fine squared paper mark so much of every row that the rows do not stand out."""
    run = (LINE_RUN, 1) if axis == 1 else (1, LINE_RUN)
    along = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, run))
    return (along > LINE_INK).astype(np.uint8)


def _halved(marked: np.ndarray) -> np.ndarray:
    """A half-size copy of the marks, each pixel marked if any of its four was: the tilt search is faster."""
    height, width = marked.shape
    size = (max(1, width // 2), max(1, height // 2))
    shrunk = cv2.resize(marked[: size[1] * 2, : size[0] * 2] * 255, size, interpolation=cv2.INTER_AREA)
    return (shrunk > 0).astype(np.uint8)


def _best_tilt(marked: np.ndarray, axis: int) -> tuple[float, float] | None:
    """The tilt that lines up the marked pixels' rows (axis 1) or columns (axis 0), if they are printed lines,
    and how much more the lines of the picture's second half (lower, or right) are tilted than its first's:
    perspective makes them converge a little."""
    profiles = {}

    def best(angles, part=slice(None)):
        profiles.update({float(angle): _profile(marked, angle, axis) for angle in angles if angle not in profiles})
        return max(angles, key=lambda angle: _sharpness(profiles[angle][part]))

    coarse = best(np.arange(-LINE_SEARCH, LINE_SEARCH + 0.5, 1.0))
    tilt = best([coarse - 0.5, coarse, coarse + 0.5])
    if _line_count(profiles[tilt]) < MIN_LINES:
        return None
    middle = marked.shape[1 - axis] // 2
    near = tilt + np.arange(-LINE_TURN, LINE_TURN + 0.25, 0.5)
    return float(tilt), float(best(near, slice(middle, None)) - best(near, slice(None, middle)))


def _profile(marked: np.ndarray, angle: float, axis: int) -> np.ndarray:
    """The fraction of each row (axis 1) or column (axis 0) marked, once `marked` is turned by `angle`."""
    height, width = marked.shape
    rotation = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    turned_marks = cv2.warpAffine(marked, rotation, (width, height), flags=cv2.INTER_NEAREST, borderValue=0)
    return cv2.reduce(turned_marks, axis, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel() / marked.shape[axis]


def _sharpness(profile: np.ndarray) -> float:
    return float(np.square(profile).sum())


def _line_count(profile: np.ndarray) -> int:
    """Thin runs of rows (or columns) marked along LINE_COVER more than the median one, each line counted
    once: a printed line is a row or two thick at the right tilt, the desk's texture a broad band."""
    high = (profile - np.median(profile) > LINE_COVER).astype(np.int8)
    edges = np.diff(np.concatenate(([0], high, [0])))
    runs = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
    return int(np.count_nonzero(runs <= LINE_THICK))


def turned(ink: np.ndarray, angle: float) -> np.ndarray:
    """The ink turned by `angle` degrees about its centre: the printed lines level, and the digit upright
    as it was written on the page."""
    if angle == 0:
        return ink
    height, width = ink.shape
    rotation = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return cv2.warpAffine(ink, rotation, (width, height), flags=cv2.INTER_LINEAR, borderValue=0)


def without_lines(ink: np.ndarray, lines: Lines) -> np.ndarray:
    """The ink less the printed lines, in the picture's own frame.

    Each way that lines run, the picture is sheared so that they are level (or plumb), and from each row
    is taken what runs along it (a piece of a printed line, or of a stroke along the row), up to the level
    most of that row has. A printed line runs across the page, so its row's level is the line's; a digit's
    stroke runs across a part of it, so its row's level is the paper's, and the stroke keeps its darkness:
    a pencil's 1, or a 4's or a 7's long stroke parallel to the lines, is hardly darker than the lines.
    A stroke that crosses a line loses only that line's darkness, and only where it crosses it: the pieces
    are found in a band (the shear leaves a line stepping from one row to the next), but a row beside a
    line, which the band reaches, must run along the row by itself too, with at least half the line's
    darkness (a line split between two rows has that much in each); a pencil's stroke passing beside a
    line does not, and keeps its darkness.
    The rows are removed before the columns, so squared paper's columns are broken where the rows crossed
    them, and on fine paper some of a column may stay: removing the columns from the ink as it was would
    take a pencil stroke's darkness twice beside every crossing.
    """
    for tilt, turn, axis in ((lines.rows, lines.rows_turn, 1), (lines.columns, lines.columns_turn, 0)):
        if tilt is not None:
            level_ink = sheared(ink, tilt, axis, turn)
            inside = sheared(np.ones_like(ink), tilt, axis, turn) > 0
            pieces = _line_pieces(level_ink, axis)
            line = np.minimum(pieces, np.expand_dims(_typical_along(pieces, inside, axis), axis))
            line = np.minimum(line, 2 * _line_pieces(level_ink, axis, band=1))
            ink = np.clip(ink - sheared(line, tilt, axis, turn, back=True), 0, 1)
    return ink


def sheared(image: np.ndarray, tilt: float, axis: int, turn: float = 0.0, back: bool = False) -> np.ndarray:
    """The image with lines tilted by `tilt` degrees made level (axis 1: rows) or plumb (axis 0: columns)
    by shifting each column (or row) by whole px; `turn` as in Lines; `back`: the shear undone.

    Unlike a turn, a shear blurs no thin line or stroke, and sheared back, every pixel is where it was
    (but for the odd pixel where a turning shear's steps meet).
    """
    if axis == 0:
        return sheared(image.T, -tilt, 1, -turn, back).T
    height, width = image.shape
    first, second = np.tan(np.deg2rad([tilt - turn / 2, tilt + turn / 2])).astype(np.float32)
    along = np.arange(width, dtype=np.float32) - np.float32(width / 2)
    rows = np.arange(height, dtype=np.float32)[:, None]
    change = (second - first) * np.float32(2 / height)  # the lines' slope changes steadily down the picture

    def shift(row: np.ndarray) -> np.ndarray:
        return np.rint(along * ((first + second) / 2 + change * (row - np.float32(height / 2))))

    moved = shift(rows)
    if back:  # the shift of the pixel that lands here: it changes so slowly down a column that two guesses find it
        moved = -shift(rows - shift(rows - moved))
    map_x = np.broadcast_to(along + np.float32(width / 2), image.shape)
    return cv2.remap(image, map_x, rows + moved, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def _line_pieces(ink: np.ndarray, axis: int, band: int = LINE_BAND) -> np.ndarray:
    """What of the ink runs LINE_PIECE px along the rows (axis 1) or the columns (axis 0), within a band of
    `band` px across (a grey opening of a dilation): a sheared line steps from one row to the next, and a
    blurred one spans two."""
    along, across = (LINE_PIECE, 1), (1, band)
    if axis == 0:
        along, across = along[::-1], across[::-1]
    widened = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, across))
    return cv2.morphologyEx(widened, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, along))


def _typical_along(values: np.ndarray, inside: np.ndarray, axis: int) -> np.ndarray:
    """The median of each row (axis 1) or column (axis 0) of `values`, over its pixels `inside` the photo
    (a sheared picture has blank corners, which are no part of any line)."""
    outside = np.count_nonzero(~inside, axis=axis)
    ordered = np.sort(np.where(inside, values, -1), axis=axis)
    middle = outside + (values.shape[axis] - outside) // 2
    index = np.expand_dims(np.minimum(middle, values.shape[axis] - 1), axis)
    return np.take_along_axis(ordered, index, axis=axis).squeeze(axis).clip(0, None)


def digit_mask(ink: np.ndarray) -> np.ndarray | None:
    """The pixels of the digit's strokes: the marked shapes near the centre, grouped with their neighbours;
    None if they are too small or do not stand out from the page.

    Marks a few px apart count as one shape (a pencil's grain and the removed lines break strokes). Shapes
    that touch the border or are centred in its band are the paper's edge or the desk (a photographed
    digit lies inside the frame; a cropped one has an even background and never comes here); specks are
    paper grain. The digit is the biggest shape, weighed by its nearness to the centre (people photograph
    a digit in the middle), with every shape close to it (a 4's or a 5's separate strokes).
    """
    binary = without_specks((ink > _ink_threshold(ink)).astype(np.uint8))
    bridged = cv2.dilate(binary, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (BRIDGE, BRIDGE)))
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(bridged, connectivity=8)
    candidates = [k for k in range(1, count) if _may_be_digit(stats[k], centroids[k], ink.shape)]
    if not candidates:
        return None
    seed = max(candidates, key=lambda k: stats[k, cv2.CC_STAT_AREA] * _centrality(centroids[k], ink.shape))
    mask = np.isin(labels, _grown_group(seed, candidates, stats)) & (binary > 0)
    edges = np.isin(labels, [k for k in range(1, count) if _touches_border(stats[k], ink.shape)])
    if not _big_enough(mask) or not _stands_out(ink, mask, edges):
        return None
    return mask


def _big_enough(mask: np.ndarray) -> bool:
    """Whether the strokes span MIN_DIGIT of the picture: a photographed digit does; a blot of grain does not."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return False
    return max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 >= MIN_DIGIT * max(mask.shape)


def _stands_out(ink: np.ndarray, mask: np.ndarray, edges: np.ndarray) -> bool:
    """Whether the strokes are STAND_OUT times darker than any blot in the middle of the picture besides them
    and the shapes that run to its border (`edges`: the desk, the paper's edge).

    On paper they are, even in pencil; on a desk with no paper, the darkest grain is no darker than the
    rest of it. Blots are what a small opening keeps: a desk's or the paper's mottling, but not the thin
    traces that printed lines leave behind, which on squared paper are nearly as dark as a pencil. A desk
    that reaches into the middle from a side is already set apart, as it is when the digit is chosen: its
    grain would otherwise outshine a pencil's digit on the paper beside it.
    """
    middle = np.zeros_like(mask)
    middle[_middle(ink.shape)] = True
    middle &= ~edges
    strokes = float(np.percentile(ink[mask], 90))
    blots = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    rest = blots[middle & ~mask]
    return strokes >= FAINTEST_DIGIT and (not rest.size or strokes >= STAND_OUT * float(np.percentile(rest, 99)))


def without_specks(binary: np.ndarray) -> np.ndarray:
    """The marks of more than SPECK px: less is the paper's grain, or what is left where printed lines crossed,
    and would otherwise bridge the strokes to each other and to the page around them."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    big = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] > SPECK)
    keep = np.zeros(count, np.uint8)
    keep[big[big > 0]] = 1
    return keep[labels]


def _ink_threshold(ink: np.ndarray) -> float:
    """Ink is what stands out: at least a third of the contrast of the strongest strokes in the middle of the
    picture (where the digit is; the desk and the paper's edge are not), and more than the paper's grain."""
    middle = ink[_middle(ink.shape)]
    strong = float(np.percentile(middle if middle.size else ink, 99.9))
    return max(MIN_STROKE, strong / 3)


def _middle(shape: tuple[int, int]) -> tuple[slice, slice]:
    """The picture less its outer band: where a photographed digit is."""
    height, width = shape
    return (
        slice(int(height * BORDER_BAND), int(height * (1 - BORDER_BAND))),
        slice(int(width * BORDER_BAND), int(width * (1 - BORDER_BAND))),
    )


def _may_be_digit(stat: np.ndarray, centroid: np.ndarray, shape: tuple[int, int]) -> bool:
    """Big enough not to be grain, clear of the picture's border (the desk, the paper's edge) and not
    centred in its outer band (what is left of them)."""
    height, width = shape
    if stat[cv2.CC_STAT_AREA] < MIN_SHAPE * height * width or _touches_border(stat, shape):
        return False
    x, y = centroid[0] / width, centroid[1] / height
    return min(x, 1 - x, y, 1 - y) >= BORDER_BAND


def _touches_border(stat: np.ndarray, shape: tuple[int, int]) -> bool:
    left, top, w, h = stat[:4]
    return left == 0 or top == 0 or left + w == shape[1] or top + h == shape[0]


def _centrality(centroid: np.ndarray, shape: tuple[int, int]) -> float:
    height, width = shape
    distance = np.hypot(centroid[0] / width - 0.5, centroid[1] / height - 0.5)
    return max(0.05, 1 - 1.6 * distance)


def _grown_group(seed: int, candidates: list[int], stats: np.ndarray) -> list[int]:
    """The seed and every candidate whose box comes within a quarter of the group's size of the group's box."""
    box = _box(stats[seed])
    chosen, rest = [seed], [k for k in candidates if k != seed]
    grew = True
    while grew:
        grew = False
        reach = 0.25 * max(box[2] - box[0], box[3] - box[1])
        for k in list(rest):
            other = _box(stats[k])
            gap = max(other[0] - box[2], box[0] - other[2], other[1] - box[3], box[1] - other[3], 0)
            if gap <= reach:
                chosen.append(k)
                rest.remove(k)
                box = (min(box[0], other[0]), min(box[1], other[1]), max(box[2], other[2]), max(box[3], other[3]))
                grew = True
    return chosen


def _box(stat: np.ndarray) -> tuple[int, int, int, int]:
    left, top, w, h = stat[:4]
    return int(left), int(top), int(left + w), int(top + h)


def stretched(ink: np.ndarray) -> np.ndarray:
    """uint8 ink, 0-255, its strokes' usual contrast made full: a pencil's grey reads as firmly as ink."""
    strong = float(np.percentile(ink[ink > 0], 90))
    return np.clip(ink / max(strong, 1e-3) * 255, 0, 255).astype(np.uint8)


def mnist_strokes(ink: np.ndarray) -> np.ndarray:
    """The uint8 ink with strokes about STROKE_RATIO of the digit's size wide, as MNIST's and the canvas's.

    A ballpoint's hairline, scaled down to 20 px, would be a faint thread the network has never seen; a
    grey dilation thickens it in proportion to the digit, keeping its soft edges. Strokes already about
    that wide (the canvas's, MNIST's) are left alone.
    """
    marked = ink > 255 * INK_THRESHOLD
    rows, cols = np.flatnonzero(marked.any(axis=1)), np.flatnonzero(marked.any(axis=0))
    size = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    missing = STROKE_RATIO * size - stroke_width(marked)
    if missing < 1.5:
        return ink
    side = int(round(missing)) | 1
    return cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)))


def stroke_width(marked: np.ndarray) -> float:
    """The strokes' mean width in px: twice their area over their outline's length (a long band w wide
    has area L w and an outline 2 L)."""
    inner = cv2.erode(marked.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3)))
    outline = np.count_nonzero(marked) - np.count_nonzero(inner)
    return 2 * np.count_nonzero(marked) / max(outline, 1)
