"""Opening files people upload: odd ones give a clear ImageError or are read right, never a traceback."""

import io
import threading
import time

import numpy as np
import pytest
from PIL import Image

from digitlab.images import MAX_PIXELS, WORKING_SIDE, ImageError, open_image
from digitlab.preprocess import to_mnist
from support import upscaled_on_canvas


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
