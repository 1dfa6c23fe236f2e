"""Training in a child process (digitlab.live_training), the experiment variants, and the Train page (whose
trainings go through the class store: tests/test_training_board.py tests that part on its own)."""

import contextlib
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

from app_pages.shared import BROWSER, TEACHER, runs_chart
from digitlab.config import DEFAULT_CLASS
from digitlab.experiments import PRESETS, VARIANTS, build_variant
from digitlab.inference import Network
from digitlab.live_training import FINISHED, STOPPED, LiveTraining
from digitlab.training_board import TrainingBoard
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


def reaped(pid: int) -> bool:
    """Whether process `pid` is gone for good: ended, and waited for (no zombie left)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


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


def test_stop_ends_the_training_within_a_batch_or_two(mnist_small):
    run = tiny(mnist_small, images=2000, epochs=200, variant="wider")
    run.start()
    wait_for(lambda: run.progress().history)
    asked = time.perf_counter()
    run.stop()
    assert run.join(timeout=10)
    assert time.perf_counter() - asked < 3  # the batch in progress, or the epoch-end measuring it was in
    progress = run.progress()
    assert progress.state == STOPPED and len(progress.history) < 200 and progress.fraction < 1
    assert run.network().report.state == STOPPED
    second = tiny(mnist_small, epochs=1)
    second.start()
    assert second.join(timeout=60) and second.progress().state == FINISHED


def test_an_unwatched_training_stops_itself(mnist_small):
    run = tiny(mnist_small, images=2000, epochs=200, idle_timeout=0.5)
    run.start()
    assert run.join(timeout=30) and run.progress().state == STOPPED


def test_unknown_variant_is_refused(mnist_small):
    with pytest.raises(ValueError, match="seed"):
        tiny(mnist_small, variant="huge")


@pytest.fixture
def store(tmp_path, monkeypatch) -> str:
    """The pages' class store, where their trainings are: a file of this test's own."""
    path = str(tmp_path / "class.sqlite")
    monkeypatch.setenv("DIGITLAB_CLASS_DB", path)
    return path


def test_page_trains_and_hands_the_network_to_the_session(store):
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception and not at.error
    at.button(key="preset_narrow").click().run()
    assert at.session_state["train_variant"] == "dropout"
    at.session_state["train_size"], at.session_state["train_epochs"] = 500, 2
    next(button for button in at.button if button.label == "Start training").click().run()
    assert not at.exception
    job = at.session_state["train_job"]
    assert job.join(timeout=60)
    at.run()
    assert not at.exception and not at.error
    network = at.session_state["session_network"]
    assert isinstance(network, Network) and len(network.report.history) == 2
    assert network.probabilities(np.zeros((1, 28, 28), np.float32)).shape == (1, 10)


def train_page(browser: str | None = None, teacher_key: str | None = None) -> AppTest:
    """A new session on the Train page; `browser`: its browser's id, as its cookie would give it."""
    at = AppTest.from_file(APP, default_timeout=120)
    if browser:
        at.session_state[BROWSER] = browser
    if teacher_key:
        at.secrets["teacher_key"] = teacher_key
    at.run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception and not at.error
    return at


def start_on(at: AppTest, images: int, epochs: int, variant: str = "seed"):
    """Starts a training from the page; its ClassTraining, once it runs."""
    at.session_state["train_size"], at.session_state["train_epochs"] = images, epochs
    at.session_state["train_variant"] = variant
    button(at, "Start training").click().run()
    assert not at.exception
    job = at.session_state["train_job"]
    wait_for(lambda: TrainingBoard().view(job.id).state != "waiting", timeout=10)
    return job


@contextlib.contextmanager
def running_on(at: AppTest, images: int, epochs: int, variant: str = "seed"):
    """start_on as a `with`: whatever happens inside, the training is stopped at its end, never left running."""
    job = start_on(at, images, epochs, variant)
    try:
        yield job
    finally:
        job.stop()
        job.join(timeout=30)


def key_fields(at: AppTest) -> list:
    return [field for field in at.text_input if field.label == "Teacher key"]


def button(at: AppTest, label: str):
    return next(button for button in at.button if button.label == label)


def test_the_running_training_is_the_class_s_every_session_watches_it_and_only_its_starter_stops_it(store):
    starter, student = train_page(), train_page()
    job = start_on(starter, 2000, 50)
    try:
        wait_for(lambda: len(TrainingBoard().view(job.id).progress.history) > 0)  # a first epoch: something to keep
        student.run()
        assert student.session_state["train_watching"] == job.id  # watching the same training
        assert button(student, "Start training").disabled and button(student, "Stop").disabled
        assert not button(starter, "Stop").disabled
        assert [info.value for info in student.info] == [
            "A training is running for the class: watch it below. Start works again once it has ended; only "
            "whoever started it can stop it."
        ]  # one message, and no "press Start" beside it
        assert any("started by a student of the class" in markdown.value for markdown in student.markdown)
        assert any("started by you" in markdown.value for markdown in starter.markdown)
        assert any(bar.proto.text.startswith("Epoch ") for bar in student.get("progress"))
    finally:
        button(starter, "Stop").click().run()
    assert job.join(timeout=30) and TrainingBoard().view(job.id).state == STOPPED
    student.run()
    assert [run.job for run in student.session_state["train_runs"]] == [job]  # it watched it: it keeps it


def test_the_starter_keeps_stop_across_a_reload_and_the_controls_show_the_running_training_s_settings(store):
    mine, someone = "a" * 32, "b" * 32
    starter = train_page(browser=mine)
    with running_on(starter, 2000, 40, variant="smaller") as job:
        reloaded, other = train_page(browser=mine), train_page(browser=someone)  # new sessions: as after a reload
        assert not button(reloaded, "Stop").disabled and button(other, "Stop").disabled
        assert any("started by you" in markdown.value for markdown in reloaded.markdown)
        assert not key_fields(other)  # no teacher key is set on this server: nothing to type
        for at in (reloaded, other):  # the running training's settings, not the session's own (1,000, 35, seed)
            assert at.select_slider(key="train_size").value == 2000 and at.select_slider(key="train_size").disabled
            assert at.slider(key="train_epochs").value == 40 and at.slider(key="train_epochs").disabled
            assert at.selectbox(key="train_variant").value == "smaller" and at.selectbox(key="train_variant").disabled
        button(reloaded, "Stop").click().run()
        assert job.join(timeout=30) and TrainingBoard().view(job.id).state == STOPPED
        other.run()
        assert button(other, "Stop").disabled and not button(other, "Start training").disabled
        assert other.slider(key="train_epochs").value == PRESETS["overfit"].epochs  # its own settings back
        assert other.selectbox(key="train_variant").value == PRESETS["overfit"].variant


def test_the_teacher_stops_a_student_s_training_with_the_key_typed_on_the_train_page(store):
    key = "four random words here"
    student, teacher = train_page(), train_page(teacher_key=key)
    with running_on(student, 2000, 50) as job:
        teacher.run()
        assert button(teacher, "Stop").disabled and teacher.session_state["train_watching"] == job.id
        key_fields(teacher)[0].input("not the key")
        button(teacher, "Unlock Stop").click().run()
        assert [error.value for error in teacher.error] == ["That is not the teacher key."]
        assert button(teacher, "Stop").disabled and key_fields(teacher)[0].value == ""  # emptied once used
        key_fields(teacher)[0].input(key)
        button(teacher, "Unlock Stop").click().run()
        assert not teacher.exception and not teacher.error
        assert not button(teacher, "Stop").disabled
        assert not key_fields(teacher)  # the key is typed: the form is gone, its field cleared
        button(teacher, "Stop").click().run()
        assert job.join(timeout=30) and TrainingBoard().view(job.id).state == STOPPED


def test_the_teacher_can_stop_a_student_s_training(store):
    student = train_page()
    teacher = AppTest.from_file(APP, default_timeout=120)
    teacher.secrets["teacher_key"] = "four random words here"
    teacher.run()
    teacher.session_state[TEACHER] = DEFAULT_CLASS  # as after typing the key on the Our class page, in no class
    teacher.switch_page("app_pages/train.py").run()
    with running_on(student, 2000, 50) as job:
        teacher.run()
        assert teacher.session_state["train_watching"] == job.id and not button(teacher, "Stop").disabled
        assert not key_fields(teacher)  # the key is typed already
        assert any("started by a student of the class" in markdown.value for markdown in teacher.markdown)
        button(teacher, "Stop").click().run()
        assert job.join(timeout=30) and TrainingBoard().view(job.id).state == STOPPED


def test_a_session_keeps_its_runs_compares_them_and_can_remove_any(store):
    at = train_page()
    for epochs in (1, 2):
        job = start_on(at, 500, epochs)
        assert job.join(timeout=60)
        at.run()
        assert not at.exception
    runs = at.session_state["train_runs"]
    assert [len(run.report.history) for run in runs] == [1, 2]
    assert at.session_state["session_network"].report.recipe.planned_epochs == 2  # the Draw page's: the latest
    assert any(header.value == "Your runs, compared" for header in at.subheader)
    assert all(any(markdown.value.startswith(f"**{run.name}**") for markdown in at.markdown) for run in runs)
    spec = runs_chart([(run.name, list(run.report.history)) for run in runs], "accuracy", "")
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


def test_a_killed_training_process_is_stopped_with_a_short_reason(mnist_small):
    run = long_training(mnist_small)
    os.kill(run.pid, signal.SIGKILL)  # as the kernel's out-of-memory killer would
    assert run.join(timeout=10)
    progress = run.progress()
    assert progress.state == STOPPED and not run.has_network and progress.error is None
    assert "ended unexpectedly" in progress.reason and len(progress.reason) < 120 and "\n" not in progress.reason
    assert "Traceback" not in progress.reason
    assert not training_processes()


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
    wait_for(lambda: not training_processes() and reaped(pid), timeout=10)  # a zombie's command line is empty
    assert not inputs.parent.exists()
