"""Training in a child process (digitlab.live_training), the experiment variants, and the Train page."""

import gc
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_pages.shared import TEACHER, runs_chart
from digitlab.config import DEFAULT_CLASS
from digitlab.experiments import PRESETS, VARIANTS, build_variant
from digitlab.inference import Network
from digitlab.live_training import FAILED, FINISHED, STOPPED, TRAINING_SLOT, LiveTraining, TrainingBusy
from support import ROOT

APP = str(ROOT / "app.py")
WORKER = b"digitlab.training_worker"


def tiny(mnist, images=500, **options) -> LiveTraining:
    return LiveTraining(
        mnist.x_train[:images], mnist.y_train[:images], mnist.x_test[:500], mnist.y_test[:500], **options
    )


def long_training(mnist, **options) -> LiveTraining:
    """Started, and past its first batches (the child has imported TensorFlow): it would run for minutes."""
    run = tiny(mnist, images=2000, epochs=200, **options)
    run.start()
    wait_for(lambda: run.progress().batches_done > 0 or run.progress().over)
    assert not run.progress().over
    return run


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def training_processes() -> list[int]:
    """The training workers this test process has started and not yet reaped (zombies included)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat, command = (entry / "stat").read_text(), (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue  # not a process, or one that has just ended
        if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and WORKER in command:
            found.append(int(entry.name))
    return found


def files_of(pid: int) -> list[Path]:
    """The input and model files named on the training process's command line."""
    arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    return [Path(argument) for argument in arguments if argument.endswith((".npz", ".keras"))]


def test_variants_change_one_thing_each():
    parameters = {name: build_variant(name).count_params() for name in VARIANTS}
    assert parameters["seed"] == 784 * 512 + 512 + 512 * 10 + 10 == parameters["dropout"]
    assert parameters["smaller"] < parameters["seed"] < parameters["wider"]
    assert [type(layer).__name__ for layer in build_variant("dropout").layers] == ["Dense", "Dropout", "Dense"]
    assert all(preset.variant in VARIANTS for preset in PRESETS.values())


def test_a_training_records_both_curves_epoch_by_epoch(mnist_small):
    run = tiny(mnist_small, epochs=3)
    run.start()
    assert run.join(timeout=60)
    progress = run.progress()
    assert progress.state == FINISHED and progress.error is None and progress.fraction == 1
    assert [row["epoch"] for row in progress.history] == [1, 2, 3]
    first, last = progress.history[0], progress.history[-1]
    assert last["train_accuracy"] > first["train_accuracy"] and last["train_accuracy"] > 0.85
    assert 0.5 < last["test_accuracy"] < last["train_accuracy"]
    network = run.network()
    assert isinstance(network, Network) and network.name == "experiment"
    assert network.probabilities(mnist_small.x_test[:4]).shape == (4, 10)
    assert network.report.recipe.training_images == 500
    assert network.report.test_accuracy == last["test_accuracy"]


def test_stop_ends_the_training_within_a_batch_or_two_and_frees_the_slot(mnist_small):
    run = tiny(mnist_small, images=2000, epochs=200, variant="wider")
    run.start()
    with pytest.raises(TrainingBusy):
        tiny(mnist_small).start()  # one training at a time
    wait_for(lambda: run.progress().history)
    asked = time.perf_counter()
    run.stop()
    assert run.join(timeout=10)
    assert time.perf_counter() - asked < 3  # the batch in progress, or the epoch-end measuring it was in
    progress = run.progress()
    assert progress.state == STOPPED and len(progress.history) < 200 and progress.fraction < 1
    assert run.network().report.state == STOPPED
    second = tiny(mnist_small, epochs=1)  # the slot is free again
    second.start()
    assert second.join(timeout=60) and second.progress().state == FINISHED


def test_an_unwatched_training_stops_itself(mnist_small):
    run = tiny(mnist_small, images=2000, epochs=200, idle_timeout=0.5)
    run.start()
    assert run.join(timeout=30) and run.progress().state == STOPPED


def test_unknown_variant_is_refused(mnist_small):
    with pytest.raises(ValueError, match="seed"):
        tiny(mnist_small, variant="huge")


def test_page_trains_and_hands_the_network_to_the_session():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception and not at.error
    at.button(key="preset_narrow").click().run()
    assert at.session_state["train_variant"] == "dropout"
    at.session_state["train_size"], at.session_state["train_epochs"] = 500, 2
    next(button for button in at.button if button.label == "Start training").click().run()
    assert not at.exception
    runner = at.session_state["train_runner"]
    assert runner.join(timeout=60)
    at.run()
    assert not at.exception and not at.error
    network = at.session_state["session_network"]
    assert isinstance(network, Network) and len(network.report.history) == 2
    assert network.probabilities(np.zeros((1, 28, 28), np.float32)).shape == (1, 10)


def train_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception and not at.error
    return at


def start_on(at: AppTest, images: int, epochs: int) -> None:
    at.session_state["train_size"], at.session_state["train_epochs"] = images, epochs
    button(at, "Start training").click().run()
    assert not at.exception


def button(at: AppTest, label: str):
    return next(button for button in at.button if button.label == label)


def test_the_running_training_is_the_class_s_every_session_watches_it_and_only_its_starter_stops_it():
    teacher, student = train_page(), train_page()
    start_on(teacher, 2000, 50)
    runner = teacher.session_state["train_runner"]
    try:
        wait_for(lambda: len(runner.progress().history) > 0)  # a first epoch: something to keep
        student.run()
        assert student.session_state["train_runner"] is runner  # watching the same training
        assert button(student, "Start training").disabled and button(student, "Stop").disabled
        assert not button(teacher, "Stop").disabled
        assert [info.value for info in student.info] == [
            "A training is running for the class: watch it below. Start works again once it has ended; only "
            "whoever started it can stop it."
        ]  # one message, and no "press Start" beside it
        assert any("started by someone else" in markdown.value for markdown in student.markdown)
        assert any(bar.proto.text.startswith("Epoch ") for bar in student.get("progress"))
    finally:
        button(teacher, "Stop").click().run()
    assert runner.join(timeout=30) and runner.progress().state == STOPPED
    student.run()
    assert [run.runner for run in student.session_state["train_runs"]] == [runner]  # it watched it: it keeps it


def test_the_teacher_can_stop_a_student_s_training():
    student = train_page()
    teacher = AppTest.from_file(APP, default_timeout=120)
    teacher.secrets["teacher_key"] = "four random words here"
    teacher.run()
    teacher.session_state[TEACHER] = DEFAULT_CLASS  # as after typing the key on the Our class page, in no class
    teacher.switch_page("app_pages/train.py").run()
    start_on(student, 2000, 50)
    runner = student.session_state["train_runner"]
    try:
        teacher.run()
        assert teacher.session_state["train_runner"] is runner and not button(teacher, "Stop").disabled
        button(teacher, "Stop").click().run()
        assert runner.join(timeout=30) and runner.progress().state == STOPPED
    finally:
        runner.stop()  # whatever happened above: never leave the server's one training running
        runner.join(timeout=30)


def test_a_session_keeps_its_runs_compares_them_and_can_remove_any():
    at = train_page()
    for epochs in (1, 2):
        start_on(at, 500, epochs)
        assert at.session_state["train_runner"].join(timeout=60)
        at.run()
        assert not at.exception
    runs = at.session_state["train_runs"]
    assert [len(run.runner.progress().history) for run in runs] == [1, 2]
    assert at.session_state["session_network"].report.recipe.planned_epochs == 2  # the Draw page's: the latest
    assert any(header.value == "Your runs, compared" for header in at.subheader)
    assert all(any(markdown.value.startswith(f"**{run.name}**") for markdown in at.markdown) for run in runs)
    spec = runs_chart([(run.name, list(run.runner.progress().history)) for run in runs], "accuracy", "")
    assert {(point["run"], point["set"]) for point in spec["data"]["values"]} == {
        (run.name, curve) for run in runs for curve in ("training", "test")
    }  # each run's two curves, named
    at.button(key=f"remove_run_{runs[1].number}").click().run()
    assert [run.number for run in at.session_state["train_runs"]] == [runs[0].number]
    assert at.session_state["session_network"].report.recipe.planned_epochs == 1  # the one left


@pytest.mark.parametrize(
    "pool, sizes",
    [(60_000, ("1,000", "Ten times the images (10,000)")), (5_000, ("1,000", "Five times the images (5,000)"))],
)
def test_preset_texts_say_what_they_set_from_the_images_available(pool, sizes):
    texts = [preset.describe(pool) for preset in PRESETS.values()]
    assert [preset.images_for(pool) for preset in PRESETS.values()] == [1_000, min(pool, 10_000)]
    assert all(size in text for size, text in zip(sizes, texts))


def test_the_server_side_needs_no_tensorflow():
    """The Train page imports digitlab.live_training; TensorFlow (seconds, hundreds of MB) is the child's."""
    imported = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, digitlab.live_training; print(sorted({'tensorflow', 'keras'} & set(sys.modules)))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert imported.strip() == "[]"


def test_the_training_runs_in_another_process_at_a_lower_priority(mnist_small):
    run = long_training(mnist_small)
    try:
        assert run.pid != os.getpid() and run.pid in training_processes()
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        threads = list(Path(f"/proc/{run.pid}/task").iterdir())  # TensorFlow's pools included: each has its own nice
        nice = [int((thread / "stat").read_text().rsplit(")", 1)[1].split()[16]) for thread in threads]
        assert len(threads) > 1 and os.getpriority(os.PRIO_PROCESS, run.pid) > ours and min(nice) > ours
    finally:
        run.stop()
        assert run.join(timeout=10)


def test_a_killed_training_process_fails_with_a_short_message_and_frees_the_slot(mnist_small):
    run = long_training(mnist_small)
    os.kill(run.pid, signal.SIGKILL)  # as the kernel's out-of-memory killer would
    assert run.join(timeout=10)
    progress = run.progress()
    assert progress.state == FAILED and not run.has_network
    assert "ended unexpectedly" in progress.error and len(progress.error) < 120 and "\n" not in progress.error
    assert "Traceback" not in progress.error
    assert not TRAINING_SLOT.locked() and not training_processes()


def test_no_process_and_no_file_remain_after_a_stop(mnist_small):
    run = long_training(mnist_small)
    inputs, model = files_of(run.pid)
    run.stop()
    assert run.join(timeout=10) and run.progress().state == STOPPED
    assert not training_processes() and not inputs.exists() and model.exists()  # the network, until collected
    network = run.network()
    del run
    gc.collect()
    assert not model.parent.exists()
    assert network.probabilities(np.zeros((1, 28, 28), np.float32)).shape == (1, 10)  # read in already


def test_a_training_nobody_holds_any_more_is_killed(mnist_small):
    """A session that has gone away drops its LiveTraining: its child must not train on for nobody."""
    run = long_training(mnist_small)
    pid, (inputs, _) = run.pid, files_of(run.pid)
    del run
    gc.collect()
    wait_for(lambda: not training_processes() and not TRAINING_SLOT.locked(), timeout=10)
    assert not inputs.parent.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
