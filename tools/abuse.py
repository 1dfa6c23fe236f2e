"""What a careless or hostile visitor can cost the class's server (a benchmark, not a test).

    python -m tools.abuse [--before REV] [--saves 50] [--drawings 200]

Measures, on this checkout and (with --before) on an earlier commit checked out beside it, each in a fresh
Python process of that checkout, as its own Draw and Our class pages do it:

- store: `saves` saves of one 19 MB phone photo (open, read, save, as the Draw page does): MB the class's
  database grows, and seconds;
- our_class: the Our class page (AppTest, in-process like the server) over `drawings` drawings each saved
  from that photo: seconds per rerun (median of 5) and how much the process's peak memory grows;
- uploads: six 49-megapixel PNGs (small files) opened at once by six threads, and six 16-megapixel
  photos: seconds, the process's peak memory (Python, NumPy and Pillow included) and its growth.

Prints one JSON object. For the training-time drawing latency (point 8), see tools.training_latency.
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Run inside the measured checkout. Each prints one JSON line; `photo`, `folder` and `count` are set before.
STORE = """
import os, time
from digitlab.collection import ClassCollection
from digitlab.images import open_image
from digitlab.preprocess import to_mnist
import digitlab.collection as store
path = os.path.join(folder, "class.sqlite")
collection = ClassCollection(path)
collection.save(to_mnist(open_image(open(photo, "rb").read())), 4)  # the table exists before the count
size = lambda: sum(os.path.getsize(path + end) for end in ("", "-wal") if os.path.exists(path + end))
before, started = size(), time.perf_counter()
data = open(photo, "rb").read()
for _ in range(count):
    image = open_image(data)
    # as each version's Draw page saves: the decoded photo now, the upload's own bytes before
    collection.save(to_mnist(image), 4, 4, "cnn", image if hasattr(store, "small_picture") else data)
print(json.dumps({"saves": count, "photo_mb": round(len(data) / 1e6, 1),
                  "seconds": round(time.perf_counter() - started, 1),
                  "database_growth_mb": round((size() - before) / 1e6, 2)}))
"""

OUR_CLASS = """
import os, statistics, threading, time
from streamlit.testing.v1 import AppTest
rss = lambda: peak_rss_mb()
at = AppTest.from_file("app.py", default_timeout=300).run()
at.switch_page("app_pages/our_class.py").run()
assert not at.exception, at.exception
for thread in threading.enumerate():  # the app imports TensorFlow once, after a first page other than Draw
    if thread.name == "import-tensorflow":
        thread.join()
before = rss()
times = []
for _ in range(5):
    started = time.perf_counter()
    at.run()
    times.append(time.perf_counter() - started)
print(json.dumps({"drawings": count, "rerun_seconds_median": round(statistics.median(times), 3),
                  "rerun_seconds_max": round(max(times), 3), "peak_rss_growth_mb": round(rss() - before)}))
"""

UPLOADS = """
import threading, time
from digitlab.images import ImageError, open_image
from digitlab.preprocess import to_mnist
rss = lambda: peak_rss_mb()
data = open(photo, "rb").read()
outcomes = []
def upload():
    try:
        to_mnist(open_image(data))
        outcomes.append("read")
    except ImageError:
        outcomes.append("refused")
before, started = rss(), time.perf_counter()
threads = [threading.Thread(target=upload) for _ in range(6)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print(json.dumps({"uploads": 6, "file_mb": round(len(data) / 1e6, 2), "outcomes": sorted(set(outcomes)),
                  "seconds": round(time.perf_counter() - started, 2), "peak_rss_mb": round(rss()),
                  "peak_rss_growth_mb": round(rss() - before)}))
"""


def photo_file(folder: Path, width: int, height: int, target_mb: float | None) -> Path:
    """A phone-photo-like JPEG: grey paper with grain and a lighting gradient, a dark digit-sized stroke;
    its JPEG quality is raised until the file is about target_mb (a 12 MP photo at 19 MB is noisy)."""
    rng = np.random.default_rng(0)
    light = np.linspace(150, 220, width)[None, :] + np.linspace(0, 20, height)[:, None]
    paper = light + rng.normal(0, 30, (height, width)).astype(np.float32)
    paper[height // 3 : 2 * height // 3, width // 2 - 60 : width // 2 + 60] -= 120  # the digit: a thick 1
    pixels = np.clip(np.dstack([paper, paper * 0.98, paper * 0.95]), 0, 255).astype(np.uint8)
    path = folder / f"photo-{width}x{height}.jpg"
    for quality in range(50, 101, 5):
        Image.fromarray(pixels).save(path, quality=quality, subsampling=0)
        if target_mb is None or path.stat().st_size >= target_mb * 1e6:
            break
    return path


def flat_png(folder: Path, side: int) -> Path:
    path = folder / f"flat-{side}.png"
    Image.new("RGB", (side, side), "white").save(path, optimize=True)  # a small file, an enormous picture
    return path


# The process's peak memory so far: getrusage's ru_maxrss (kB on Linux). That figure survives exec, so a child
# started straight from this script would begin at this script's own peak (the photos'): run_in starts each one
# through coreutils' `timeout`, which forks it, and a forked process's peak is its own.
PEAK_RSS = """
import resource
def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""
TIMEOUT_S = 3600


def run_in(checkout: Path, script: str, **values) -> dict:
    prelude = "import json\n" + PEAK_RSS + "".join(f"{name} = {value!r}\n" for name, value in values.items())
    result = subprocess.run(
        ["timeout", str(TIMEOUT_S), sys.executable, "-c", prelude + script],
        cwd=checkout,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(Path.home()),
            "PYTHONPATH": str(checkout),
            "DIGITLAB_CLASS_DB": str(Path(values.get("folder", "/nonexistent")) / "class.sqlite"),
            "TF_CPP_MIN_LOG_LEVEL": "3",
        },
        timeout=TIMEOUT_S + 60,
    )
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(checkout: Path, files: dict, saves: int, drawings: int) -> dict:
    figures = {}
    with tempfile.TemporaryDirectory(prefix="digitlab-abuse-") as folder:
        figures["store"] = run_in(checkout, STORE, photo=str(files["photo"]), folder=folder, count=saves)
    with tempfile.TemporaryDirectory(prefix="digitlab-abuse-") as folder:
        run_in(checkout, STORE, photo=str(files["photo"]), folder=folder, count=drawings - 1)
        figures["our_class"] = run_in(checkout, OUR_CLASS, folder=folder, count=drawings)
    figures["uploads_49_mp_png"] = run_in(checkout, UPLOADS, photo=str(files["flat"]))
    figures["uploads_16_mp_photo"] = run_in(checkout, UPLOADS, photo=str(files["big_photo"]))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--before", metavar="REV", help="also measure this commit (checked out in a temporary worktree)"
    )
    parser.add_argument("--saves", type=int, default=50)
    parser.add_argument("--drawings", type=int, default=200)
    parser.add_argument(
        "--before-drawings",
        type=int,
        default=40,
        help="drawings for the earlier commit's Our class page (each holds a 19 MB photo there)",
    )
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="digitlab-abuse-files-") as folder:
        folder = Path(folder)
        files = {
            "photo": photo_file(folder, 4000, 3000, target_mb=19),
            "flat": flat_png(folder, 7000),
            "big_photo": photo_file(folder, 4608, 3456, target_mb=None),
        }
        results["after"] = measure(PROJECT_DIR, files, args.saves, args.drawings)
        if args.before:
            worktree = Path(tempfile.mkdtemp(prefix="digitlab-before-"))
            subprocess.run(
                ["git", "worktree", "add", "--detach", str(worktree), args.before],
                cwd=PROJECT_DIR,
                check=True,
                capture_output=True,
            )
            try:
                results["before"] = {
                    "commit": args.before,
                    **measure(worktree, files, args.saves, args.before_drawings),
                }
            finally:
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(worktree)], cwd=PROJECT_DIR, capture_output=True
                )
                shutil.rmtree(worktree, ignore_errors=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
