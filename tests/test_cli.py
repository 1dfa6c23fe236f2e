"""python -m digitlab predict: real MNIST digits as image files, and files that are not images; bench."""

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import time

import numpy as np
from PIL import Image

from digitlab.config import PEN_SAMPLE
from support import DATA, ROOT, skip_or_fail, upscaled_on_canvas
from tools.outside_programs import ProgramWatch, end_ghostscripts, ghostscript_installed


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "digitlab", *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def run_cli_on_a_terminal(*args):
    """The CLI as in a shell: stderr on a (pseudo-)terminal, where tqdm shows its progress; stdout piped.
    Returns the exit code, stdout and what the terminal got."""
    terminal, child_end = pty.openpty()
    fcntl.ioctl(child_end, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns (a new one has 0)
    child = subprocess.Popen(
        [sys.executable, "-m", "digitlab", *args], stdout=subprocess.PIPE, stderr=child_end, text=True, cwd=ROOT
    )
    os.close(child_end)
    shown = []

    def read_terminal():  # all along, or a bar's many updates would fill the terminal's buffer and stall the child
        while True:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # EIO: the child has closed its end
                return
            if not chunk:
                return
            shown.append(chunk)

    reader = threading.Thread(target=read_terminal)
    reader.start()
    try:
        stdout, _ = child.communicate(timeout=300)
    finally:
        reader.join(timeout=10)
        os.close(terminal)
    return child.returncode, stdout, b"".join(shown).decode(errors="replace")


def test_progress_goes_to_a_terminal_s_stderr_and_stdout_stays_json_lines(tmp_path, mnist_small):
    """evaluate-pen's and predict's progress bars (tqdm) are on stderr, and only on a terminal: the other tests
    capture stderr and see none."""
    code, stdout, shown = run_cli_on_a_terminal("evaluate-pen", str(PEN_SAMPLE), "--limit", "20", "--json")
    assert code == 0, shown
    assert json.loads(stdout)["samples"] == 20
    assert re.search(r"\d+/20 \[", shown) and "digit/s" in shown, shown

    files = []
    for i in range(5):
        Image.fromarray(mnist_small.x_test[i]).save(path := tmp_path / f"digit{i}.png")
        files.append(str(path))
    code, stdout, shown = run_cli_on_a_terminal("predict", *files)
    assert code == 0, shown
    assert [json.loads(line)["file"] for line in stdout.splitlines()] == files
    assert re.search(r"\d+/5 \[", shown) and "file/s" in shown, shown


def test_predict_reads_good_files_and_reports_each_bad_one(tmp_path, mnist_small):
    good = []
    for i in range(20):
        digit = mnist_small.x_test[i]
        path = tmp_path / f"digit{i}.{'png' if i % 2 else 'jpg'}"
        if i % 3 == 0:  # black ink on white paper, enlarged, as a scan would be
            Image.fromarray(255 - upscaled_on_canvas(digit)[..., 0]).save(path)
        else:
            Image.fromarray(digit).save(path)
        good.append(path)
    blank = tmp_path / "blank.png"
    Image.new("L", (280, 280), 255).save(blank)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good[1].read_bytes()[:60])
    files = [good[0], text, *good[1:], tmp_path / "missing.png", blank, truncated]

    result = run_cli("predict", *map(str, files))

    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(p) for p in [*good, blank]]
    for line in lines[:-1]:
        assert len(line["probabilities"]) == 10 and abs(sum(line["probabilities"]) - 1) < 1e-4
        digit = line["verdict"] == "digit"
        assert line["digit"] == (int(np.argmax(line["probabilities"])) if digit else None)
    correct = sum(line["digit"] == label for line, label in zip(lines, mnist_small.y_test[:20]))
    assert correct >= 18
    assert lines[-1]["verdict"] == "blank" and lines[-1]["digit"] is None
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("error: ") for line in errors)
    assert "Traceback" not in result.stderr


def test_predict_says_what_is_not_a_digit_and_still_gives_the_probabilities(tmp_path):
    """Issue #13: "digit" is an integer only when the verdict is "digit"; the probabilities are always there."""
    paper = np.full((280, 280), 255, np.uint8)
    line, cross = paper.copy(), paper.copy()
    line[130:146, 40:240] = 0  # a line lying down
    for k in range(-8, 9):  # an X
        idx = np.arange(40, 240)
        cross[idx, np.clip(idx + k, 0, 279)] = 0
        cross[idx, np.clip(279 - idx + k, 0, 279)] = 0
    files = []
    for name, picture in (("line", line), ("cross", cross)):
        Image.fromarray(picture).save(path := tmp_path / f"{name}.png")
        files.append(str(path))
    result = run_cli("predict", *files)
    assert result.returncode == 0, result.stderr
    for line in map(json.loads, result.stdout.splitlines()):
        assert line["verdict"] == "not a digit" and line["digit"] is None and line["reason"]
        assert len(line["probabilities"]) == 10 and abs(sum(line["probabilities"]) - 1) < 1e-4


def test_predict_with_a_missing_model_says_how_to_fix_it(tmp_path):
    result = run_cli("predict", "--model", str(tmp_path / "none.keras"), str(tmp_path / "x.png"))
    assert result.returncode == 2 and "python train.py" in result.stderr and "Traceback" not in result.stderr


def test_evaluate_pen_prints_overall_per_digit_and_per_source(tmp_path):
    gallery = tmp_path / "errors.png"
    result = run_cli(
        "evaluate-pen",
        str(PEN_SAMPLE),
        "--json",
        "--model",
        str(ROOT / "model" / "dense.keras"),
        "--errors",
        str(gallery),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["samples"] == 300 and set(report["per_digit"]) == {str(d) for d in range(10)}
    assert report["accuracy"] >= 0.9 and report["per_source"]
    misread = round(300 * (1 - report["accuracy"]))
    rows = -(-misread // 12)
    assert Image.open(gallery).size == (12 * 84, rows * 96)  # one 84 px cell (and caption) per misread digit


def test_bench_times_onnx_runtime_and_keras_and_prints_json():
    result = run_cli("bench", "--drawings", "3")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    for name in ("dense", "cnn"):
        timed = {"preprocess_ms", "inference_ms", "total_ms", "keras_call_ms", "keras_predict_ms"}
        assert timed <= set(figures[name]) and all(figures[name][key]["p50"] > 0 for key in timed)
    assert figures["digit_or_not"]["inference_ms"]["p50"] > 0


# Pillow hands this to Ghostscript, which loops for ever: in a file named as a picture
LOOPING_POSTSCRIPT = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n{ } loop\n"


def timed_cli(*args) -> tuple[subprocess.CompletedProcess, float, ProgramWatch]:
    """The CLI's run, its seconds, and the programs it started (a Ghostscript left running is ended)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "digitlab", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    with ProgramWatch(child.pid) as programs:
        try:
            stdout, stderr = child.communicate(timeout=60)
        finally:
            end_ghostscripts(child.pid)
            child.kill()
    elapsed = time.perf_counter() - started
    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr), elapsed, programs


def test_postscript_named_as_a_picture_is_refused_without_running_ghostscript(tmp_path):
    """One sentence on stderr, within 1 s more than reading a real picture takes (the CLI's own start-up is in
    both), and no Ghostscript ever started."""
    if not ghostscript_installed():  # then a test that it never runs proves nothing
        skip_or_fail("Ghostscript is not installed: apt-get install ghostscript", "DIGITLAB_REQUIRE_SERVERS")
    looping = tmp_path / "digit.png"
    looping.write_bytes(LOOPING_POSTSCRIPT)
    read, reading, _ = timed_cli("predict", str(DATA / "odd_images" / "sixteen_bit_grey.png"))
    assert read.returncode == 0, read.stderr
    refused, refusing, programs = timed_cli("predict", str(looping))
    assert not programs.ghostscript(), sorted(programs.seen)
    assert refusing < reading + 1, (refusing, reading)
    assert refused.returncode == 1 and not refused.stdout
    (line,) = refused.stderr.strip().splitlines()
    assert line == f"error: {looping} is not an image this app can read: save it as PNG, JPEG, WebP, GIF, BMP or TIFF."
