"""Write the odd but real picture files the tests read: one MNIST seven saved in each kind of file that scanners,
print shops, scientific cameras and the web make, and that st.image or the readers once failed on.

    python -m tools.make_odd_images

Writes tests/data/odd_images/ (small: the digit at 4 x MNIST's size). Each file's name says what is odd about
it; a float TIFF is named .png on purpose, as a file renamed by hand would be. Tests never read ../shared.
"""

import numpy as np
from PIL import Image

from digitlab.config import PROJECT_DIR

FOLDER = PROJECT_DIR / "tests" / "data" / "odd_images"
SIDE = 112  # px: MNIST's 28, enlarged four times


def ink_on_paper() -> np.ndarray:
    """tests/data/mnist_small.npz's first test digit (a seven), enlarged, as dark ink on white paper (uint8)."""
    with np.load(PROJECT_DIR / "tests" / "data" / "mnist_small.npz") as mnist:
        digit, label = mnist["x_test"][0], int(mnist["y_test"][0])
    assert label == 7
    return 255 - np.asarray(Image.fromarray(digit).resize((SIDE, SIDE), Image.Resampling.BICUBIC))


def files(paper: np.ndarray) -> dict[str, tuple[Image.Image, dict]]:
    """name -> (image, Pillow's save options)."""
    ink = 255 - paper
    blue_on_yellow = np.dstack([paper, paper, np.full_like(paper, 60)])  # blue ink: only blue light passes
    return {
        "sixteen_bit_grey.png": (Image.fromarray(paper.astype(np.uint16) * 257), {}),
        "float_tiff_renamed.png": (
            Image.fromarray(paper.astype(np.float32) / 255),
            {"format": "TIFF", "compression": "tiff_deflate"},
        ),
        "cmyk.jpg": (Image.fromarray(paper).convert("CMYK"), {"quality": 90}),
        "palette.gif": (Image.fromarray(blue_on_yellow).convert("P", palette=Image.Palette.ADAPTIVE, colors=16), {}),
        "grey_and_alpha.png": (Image.fromarray(np.dstack([np.zeros_like(ink), ink]), "LA"), {}),
        "one_bit.bmp": (Image.fromarray(paper).point(lambda v: 255 * (v > 127)).convert("1"), {}),
        "thirty_two_bit.tiff": (Image.fromarray(paper.astype(np.int32) * 65537), {"compression": "tiff_deflate"}),
        "transparent.webp": (Image.fromarray(np.dstack([np.zeros_like(ink)] * 3 + [ink])), {"lossless": True}),
    }


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name, (image, options) in files(ink_on_paper()).items():
        image.save(FOLDER / name, **options)
        print(f"{name}: {image.mode}, {(FOLDER / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
