"""Opening files people upload: odd ones give a clear ImageError or are read right, never a traceback; a
PostScript program is refused before Ghostscript could run it; the canvas's picture is checked before it is
decoded."""

import base64
import io
import os
import struct
import threading
import time

import numpy as np
import pytest
from PIL import Image

from digitlab.config import CANVAS_SIZE, IMAGE_SIZE
from digitlab.images import (
    CANVAS_UNREADABLE,
    MAX_CANVAS_OBJECTS,
    MAX_CANVAS_PNG,
    MAX_PIXELS,
    WORKING_SIDE,
    ImageError,
    canvas_picture,
    open_image,
)
from digitlab.photo import read_photo
from digitlab.preprocess import to_mnist
from support import DATA, skip_or_fail, upscaled_on_canvas
from tools.outside_programs import ProgramWatch, end_ghostscripts, ghostscript_installed


def encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def one(mnist_small, ink_on_paper=True) -> Image.Image:
    """A real MNIST seven, enlarged, as dark ink on white paper."""
    digit = upscaled_on_canvas(mnist_small.x_test[0])[..., 0]
    return Image.fromarray(255 - digit if ink_on_paper else digit)


@pytest.mark.parametrize("format", ["PNG", "JPEG", "WEBP"])
def test_common_formats_read_the_same_digit(mnist_small, dense_network, format):
    x = to_mnist(open_image(encoded(one(mnist_small), format)))
    assert int(dense_network.probabilities(x[None]).argmax()) == mnist_small.y_test[0]


def test_exif_rotation_is_applied(mnist_small):
    upright = one(mnist_small)
    sideways = upright.transpose(Image.Transpose.ROTATE_90)  # stored turned, with EXIF saying "turn it back"
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turn 90 degrees clockwise to display
    image = open_image(encoded(sideways, "JPEG", exif=exif.tobytes(), quality=95))
    assert image.size == upright.size
    np.testing.assert_allclose(to_mnist(image), to_mnist(upright), atol=0.15)


def test_sixteen_bit_and_transparent_images(mnist_small):
    reference = to_mnist(one(mnist_small, ink_on_paper=False))
    sixteen = Image.fromarray((np.asarray(one(mnist_small, False), np.uint16) * 257))
    assert sixteen.mode.startswith("I;16")
    np.testing.assert_allclose(to_mnist(open_image(encoded(sixteen, "PNG"))), reference, atol=0.02)
    ink = np.asarray(one(mnist_small, False))
    transparent = Image.fromarray(np.dstack([np.zeros_like(ink)] * 3 + [ink]), "RGBA")  # black ink, alpha strokes
    np.testing.assert_allclose(to_mnist(open_image(encoded(transparent, "PNG"))), reference, atol=0.02)


def test_animated_image_uses_its_first_frame(mnist_small):
    frames = [one(mnist_small).convert("P"), Image.new("P", (280, 280), 255)]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert to_mnist(open_image(data)) is not None


def test_large_images_are_shrunk_and_huge_ones_refused():
    big = open_image(encoded(Image.new("L", (6000, 300), 255), "PNG"))
    assert max(big.size) == WORKING_SIDE
    assert 16_000_000 <= MAX_PIXELS <= 18_000_000  # a phone's photo of one digit, about 16 MP, and no more
    huge = encoded(Image.new("1", (7000, 7000), 1), "PNG")  # 49 MP in a small file
    started = time.perf_counter()
    with pytest.raises(ImageError, match="megapixels"):
        open_image(huge)
    assert time.perf_counter() - started < 0.5  # refused from its header, before decoding


def test_at_most_two_decodes_at_once(monkeypatch):
    """Six visitors uploading at once: two decode, the others wait, so the server holds two pictures at most."""
    from digitlab import images

    inside, most = [], []
    lock = threading.Lock()

    def slow_decode(source, name):
        with lock:
            inside.append(1)
            most.append(len(inside))
        time.sleep(0.2)
        with lock:
            inside.pop()
        return Image.new("L", (10, 10))

    monkeypatch.setattr(images, "_decoded", slow_decode)
    workers = [threading.Thread(target=open_image, args=(b"photo",)) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(most) == 6 and max(most) == 2


def test_an_unreadable_file_says_permission_denied(tmp_path, monkeypatch):
    """As root, permission bits do not stop a read, so the operating system's refusal is stood in for."""
    path = tmp_path / "secret.png"
    path.write_bytes(b"x")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(Image, "open", refuse)
    with pytest.raises(ImageError, match="permission denied"):
        open_image(path)


@pytest.mark.parametrize(
    "data,words",
    [
        (b"%PDF-1.4 not an image", "not an image"),
        (b"", "not an image"),
    ],
)
def test_files_that_are_not_images(data, words):
    with pytest.raises(ImageError, match=words):
        open_image(data, "upload")


def test_truncated_and_missing_files(mnist_small, tmp_path):
    data = encoded(one(mnist_small), "PNG")
    with pytest.raises(ImageError, match="could not be decoded"):
        open_image(data[: len(data) // 2], "cut.png")
    with pytest.raises(ImageError, match="no such file"):
        open_image(tmp_path / "absent.png")


ODD_FILES = sorted((DATA / "odd_images").iterdir())  # tools/make_odd_images.py: one seven in each


def test_the_odd_files_are_all_there():
    assert {path.name for path in ODD_FILES} == {
        "sixteen_bit_grey.png",
        "float_tiff_renamed.png",
        "cmyk.jpg",
        "palette.gif",
        "grey_and_alpha.png",
        "one_bit.bmp",
        "thirty_two_bit.tiff",
        "transparent.webp",
    }


@pytest.mark.parametrize("path", ODD_FILES, ids=lambda path: path.name)
def test_odd_but_real_files_are_read_as_the_digit_they_hold(path, dense_network):
    """As the Draw page's upload and the command line read them (photo.read_photo): a proper input, read right,
    and a picture in 8 bits."""
    x, image = read_photo(path.read_bytes(), path.name)
    assert x.shape == (IMAGE_SIZE, IMAGE_SIZE) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert int(dense_network.probabilities(x[None]).argmax()) == 7
    assert image.mode in ("L", "RGB", "RGBA")


def shown_photo(path: str) -> None:
    """The Draw page's photo, as it reads and shows an upload (a script for AppTest)."""
    import streamlit as st

    from digitlab.config import CANVAS_SIZE
    from digitlab.photo import read_photo

    x, image = read_photo(open(path, "rb").read())
    st.image(image, caption=f"The photo, {image.width} × {image.height} px", width=CANVAS_SIZE)
    st.write("no digit" if x is None else "a digit")


@pytest.mark.parametrize("path", ODD_FILES, ids=lambda path: path.name)
def test_odd_but_real_files_are_shown_without_an_error_box(path):
    """st.image writes a picture without alpha as JPEG, which cannot hold 16-bit or float pixels: the page
    showed the generic error box. (AppTest cannot drive st.file_uploader: this is what the page calls.)"""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(shown_photo, args=(str(path),), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [m.value for m in at.markdown] == ["a digit"]


# PostScript programs that never end, each in a file named as a picture: Pillow would hand the last two to
# Ghostscript (the first lacks the bounding box it needs, but is what a visitor would try first).
POSTSCRIPT = {
    "PostScript": b"%!PS\n{ } loop\n",
    "EPS with a bounding box": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n{ } loop\n",
    "DOS EPS": struct.pack("<4s6IH", b"\xc5\xd0\xd3\xc6", 30, 58, 0, 0, 0, 0, 0xFFFF)
    + b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n{ } loop\n",
}
NO_PICTURE = {"PDF": b"%PDF-1.4\n1 0 obj << >> endobj\n", "SVG": b'<svg xmlns="http://www.w3.org/2000/svg"/>'}


def refused_without_ghostscript(read, *args):
    """What read(*args) raised, after checking that it returned within 1 s and that no Ghostscript started
    meanwhile. Should one start, it is ended (by its pid), so that the failure does not hang the tests."""
    if not ghostscript_installed():  # then a test that it never runs proves nothing
        skip_or_fail("Ghostscript is not installed: apt-get install ghostscript", "DIGITLAB_REQUIRE_SERVERS")
    outcome = []

    def attempt():
        try:
            outcome.append(read(*args))
        except ImageError as error:
            outcome.append(error)

    worker = threading.Thread(target=attempt, daemon=True)
    with ProgramWatch(os.getpid()) as watch:
        started = time.perf_counter()
        worker.start()
        worker.join(timeout=5)
        elapsed = time.perf_counter() - started
    end_ghostscripts(os.getpid())
    assert not watch.ghostscript(), f"Ghostscript ran: {sorted(watch.seen)}"
    assert elapsed < 1, f"{elapsed:.1f} s"
    (error,) = outcome
    assert isinstance(error, ImageError), error
    return error


def one_sentence(message: str) -> bool:
    return "\n" not in message and message.endswith(".") and message.count(". ") == 0


@pytest.mark.parametrize("data", POSTSCRIPT.values(), ids=POSTSCRIPT.keys())
def test_postscript_named_as_a_picture_is_refused_without_running_ghostscript(data, tmp_path):
    """Through the function the upload widget and the command line call, from bytes and from a file."""
    error = refused_without_ghostscript(read_photo, data)
    assert "not an image this app can read" in str(error) and one_sentence(str(error))
    (tmp_path / "digit.png").write_bytes(data)
    refused_without_ghostscript(read_photo, tmp_path / "digit.png")


@pytest.mark.parametrize("data", POSTSCRIPT.values(), ids=POSTSCRIPT.keys())
def test_postscript_as_the_canvas_s_picture_is_refused_without_running_ghostscript(data):
    value = canvas_value(data)
    error = refused_without_ghostscript(canvas_picture, value, CANVAS_SIZE, CANVAS_SIZE)
    assert str(error) == CANVAS_UNREADABLE and one_sentence(CANVAS_UNREADABLE)


@pytest.mark.parametrize("data", NO_PICTURE.values(), ids=NO_PICTURE.keys())
def test_documents_are_no_pictures(data):
    with pytest.raises(ImageError, match="not an image this app can read"):
        open_image(data, "upload")


def png(image: Image.Image) -> bytes:
    return encoded(image, "PNG")


def canvas_value(data: bytes | str, objects=None, url_start: str = "data:image/png;base64,") -> dict:
    """The canvas component's value as a browser sends it (tools/canvas_state.py's layout) around `data`."""
    url = url_start + (data if isinstance(data, str) else base64.b64encode(data).decode())
    return {"drawing": {"raw": {"objects": objects or [{"type": "Path"}]}, "data": url}, "backgroundFit": None}


def a_drawing() -> Image.Image:
    pixels = np.zeros((CANVAS_SIZE, CANVAS_SIZE, 4), np.uint8)
    pixels[..., 3] = 255
    pixels[60:220, 130:150, :3] = 255  # a 1
    return Image.fromarray(pixels)


def test_the_canvas_s_own_picture_is_read():
    pixels = canvas_picture(canvas_value(png(a_drawing())), CANVAS_SIZE, CANVAS_SIZE)
    assert pixels.shape == (CANVAS_SIZE, CANVAS_SIZE, 4) and pixels.dtype == np.uint8
    assert to_mnist(pixels) is not None
    grey = canvas_picture(canvas_value(png(a_drawing().convert("L"))), CANVAS_SIZE, CANVAS_SIZE)
    np.testing.assert_array_equal(grey, pixels)


@pytest.mark.parametrize(
    "value",
    [None, {}, {"drawing": None}, {"drawing": {"raw": {"objects": []}, "data": None}}],
    ids=["no value", "an empty value", "no drawing", "no stroke yet"],
)
def test_a_canvas_with_nothing_drawn_has_no_picture(value):
    assert canvas_picture(value, CANVAS_SIZE, CANVAS_SIZE) is None


def flat_png(width: int, height: int) -> bytes:
    """A picture of `width` x `height` px in a small file: one colour compresses to almost nothing."""
    return png(Image.new("1", (width, height), 0))


ODD_CANVAS_VALUES = {
    "an enormous picture in a small file": lambda: canvas_value(flat_png(9_400, 9_400)),
    "a picture one pixel too wide": lambda: canvas_value(png(a_drawing().resize((CANVAS_SIZE + 1, CANVAS_SIZE)))),
    "a picture twice the size, as a high-density screen": lambda: canvas_value(flat_png(2 * CANVAS_SIZE, 560)),
    "a payload over the limit": lambda: canvas_value("A" * (2 * MAX_CANVAS_PNG)),
    "not base64": lambda: canvas_value("%%% not base64 %%%"),
    "base64 of no picture": lambda: canvas_value(b"hello"),
    "a truncated PNG": lambda: canvas_value(png(a_drawing())[:200]),
    "a JPEG of the right size": lambda: canvas_value(encoded(a_drawing().convert("RGB"), "JPEG")),
    "a JPEG called a JPEG": lambda: canvas_value(
        encoded(a_drawing().convert("RGB"), "JPEG"), url_start="data:image/jpeg;base64,"
    ),
    "a URL, not a data URL": lambda: {"drawing": {"raw": {"objects": []}, "data": "https://example.invalid/a.png"}},
    "data a number": lambda: {"drawing": {"raw": {"objects": []}, "data": 5}},
    "drawing a string": lambda: {"drawing": "x"},
    "drawing a list": lambda: {"drawing": [1, 2]},
    "raw a string": lambda: {"drawing": {"raw": "x", "data": None}},
    "objects not a list": lambda: {"drawing": {"raw": {"objects": {"a": 1}}, "data": None}},
    "too many objects": lambda: canvas_value(png(a_drawing()), objects=[{"type": "Path"}] * (MAX_CANVAS_OBJECTS + 1)),
}


@pytest.mark.parametrize("make", ODD_CANVAS_VALUES.values(), ids=ODD_CANVAS_VALUES.keys())
def test_odd_canvas_values_are_refused_before_decoding(make):
    value = make()
    started = time.perf_counter()
    with pytest.raises(ImageError) as refused:
        canvas_picture(value, CANVAS_SIZE, CANVAS_SIZE)
    assert time.perf_counter() - started < 0.5  # from the header: no enormous picture is decoded
    assert str(refused.value) == CANVAS_UNREADABLE
