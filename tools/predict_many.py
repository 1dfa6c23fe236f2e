"""Time `python -m digitlab predict` on thousands of image files in one call.

    python -m tools.predict_many [--count 2000]

Writes real pen-drawn digits (data/pen_sample.npz, drawn as canvas PNGs) to a temporary folder,
runs the command line once on all of them, checks one JSON line per file, and prints one JSON object.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from digitlab.bench import canvas_drawings
from digitlab.config import PROJECT_DIR


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="how many image files (default: 2000)")
    count = parser.parse_args().count
    drawings = canvas_drawings(min(count, 300))
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for i in range(count):
            path = Path(folder) / f"digit{i:05d}.png"
            Image.fromarray(drawings[i % len(drawings)]).save(path)
            files.append(str(path))
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "digitlab", "predict", *files], capture_output=True, text=True, cwd=PROJECT_DIR
        )
        seconds = time.perf_counter() - started
    lines = result.stdout.splitlines()
    print(
        json.dumps(
            {
                "files": count,
                "seconds": round(seconds, 2),
                "exit_status": result.returncode,
                "json_lines": len(lines),
                "files_per_second": round(count / seconds, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
