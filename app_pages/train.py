"""Train page: train a network here and watch, epoch by epoch, training accuracy pull away from test accuracy.

The training runs in a process of its own at the lowest priority (digitlab.live_training), so that it slows
nobody's drawing. It is the class's: one per class at a time, its progress in the class store
(digitlab.training_board), so that every session of the class watches it live (a fragment polls the store),
whichever of the server's processes serves it. Only whoever started it (this browser, across reloads)
or the class's teacher may stop it. No wait for TensorFlow here: the server needs none to train.

Each session keeps its finished runs, to compare their curves; its latest network lives in this browser
session only (and only when this process trained it), never in model/:

    st.session_state["session_network"]  ->  a digitlab.inference.Network named "experiment"

which the Draw page may offer next to the saved networks.
"""

from dataclasses import dataclass

import streamlit as st

from app_pages.shared import (
    SESSION_NETWORK,
    browser_id,
    current_class,
    full_mnist,
    is_teacher,
    runs_chart,
    scores_and_curves,
    show_error,
    teacher_key_form,
    teacher_key_set,
)
from digitlab.data import DataError
from digitlab.experiments import PRESETS, VARIANTS, experiment_data, sizes_for
from digitlab.live_training import WAITING, LiveTraining
from digitlab.report import Report
from digitlab.store_errors import StoreError
from digitlab.training_board import ClassTraining, TrainingBoard, TrainingBusy, TrainingView, owner_hash, trained_here
from digitlab.words import count

JOB_KEY, RUNS_KEY, BUSY_KEY = "train_job", "train_runs", "train_busy"
WATCHING_KEY = "train_watching"  # the id of the class's training this session saw waiting or running
COLLECTED_KEY = "train_collected"  # the id of the last training whose end this session has taken in
SAW_ACTIVE_KEY = "train_saw_active"  # the id of the training the page was last drawn with running (or None)
MINE_KEY = "train_mine"  # the viewer's own settings, put aside while the controls show a running training's
SIZE_KEY, EPOCHS_KEY, VARIANT_KEY = "train_size", "train_epochs", "train_variant"
POLL_SECONDS = 1.0  # while a training runs
IDLE_POLL_SECONDS = 5.0  # otherwise: to notice that someone has started one
IDLE_TIMEOUT = 180  # s without a viewer from any process (every tab closed): then the training stops itself
MAX_EPOCHS = 50
MAX_RUNS = 6  # kept per session: each holds its network, and a chart of more curves is no longer readable


@dataclass(frozen=True)
class Run:
    """A finished training this session keeps, with the number it is known by on this page."""

    number: int
    settings: str
    report: Report
    job: ClassTraining | None  # when this process trained it: its network

    @property
    def name(self) -> str:
        return f"Run {self.number}: {self.settings}"

    @property
    def has_network(self) -> bool:
        return self.job is not None and self.job.has_network


@st.cache_resource(show_spinner="Loading MNIST…")
def data():
    """Loaded once per server: full MNIST the Keras way when it can be had, else the bundled test set split in two."""
    return experiment_data(full_mnist())


def apply_preset(key: str) -> None:
    preset = PRESETS[key]
    st.session_state[SIZE_KEY] = preset.images_for(len(data().x_pool))
    st.session_state[EPOCHS_KEY], st.session_state[VARIANT_KEY] = preset.epochs, preset.variant


def start(code: str, owner: str, teacher: bool) -> None:
    x_train, y_train = data().training_set(st.session_state[SIZE_KEY])
    runner = LiveTraining(
        x_train,
        y_train,
        data().x_test,
        data().y_test,
        variant=st.session_state[VARIANT_KEY],
        epochs=st.session_state[EPOCHS_KEY],
    )
    job = ClassTraining(TrainingBoard(), code, runner, owner, by_teacher=teacher, idle_timeout=IDLE_TIMEOUT)
    try:
        job.start()
    except (TrainingBusy, StoreError) as error:  # someone in the class pressed Start a moment earlier
        st.session_state[BUSY_KEY] = str(error)
        return
    st.session_state[JOB_KEY], st.session_state[WATCHING_KEY], st.session_state[BUSY_KEY] = job, job.id, None


def stop(training_id: int, code: str, owner: str, teacher: bool) -> None:
    try:
        asked = TrainingBoard().request_stop(training_id, code, owner, teacher)
    except StoreError as error:
        st.session_state[BUSY_KEY] = str(error)
        return
    if asked and (job := trained_here(training_id)) is not None:
        job.stop()  # at once when it runs here; elsewhere, its process reads the request within a second


def follow(active: TrainingView | None) -> None:
    """Remembers the class's training this session watches (and holds it when this process runs it), to take
    its end in: its curves join the comparison, and its network the Draw page."""
    if active is not None:
        st.session_state[WATCHING_KEY] = active.id
        if (job := trained_here(active.id)) is not None:
            st.session_state[JOB_KEY] = job
    st.session_state[SAW_ACTIVE_KEY] = active.id if active else None


def show_its_settings(active: TrainingView | None) -> None:
    """While a training runs, the controls show its settings; the viewer's own come back when it has ended."""
    keys = (SIZE_KEY, EPOCHS_KEY, VARIANT_KEY)
    if active is not None:
        st.session_state.setdefault(MINE_KEY, {key: st.session_state[key] for key in keys})
        values = (active.images, active.progress.epochs, active.variant)
        for key, value in zip(keys, values):
            st.session_state[key] = value
    elif MINE_KEY in st.session_state:
        st.session_state.update(st.session_state.pop(MINE_KEY))


def show(view: TrainingView, owner: str) -> None:
    progress = view.progress
    epochs_done = len(progress.history)
    st.markdown(f"**{view.settings}** (started by {view.started_by(owner)})")
    if view.state == WAITING:
        st.info(view.waiting_message(), icon=":material/hourglass_top:")
        return
    if view.state == "running":
        label = f"Epoch {min(epochs_done + 1, progress.epochs)} of {progress.epochs} · {progress.seconds:.0f} s"
    else:
        label = f"{progress.state.capitalize()} after {count(epochs_done, 'epoch')}, {progress.seconds:.0f} s"
    st.progress(progress.fraction, text=label)
    if progress.error:
        st.error(f"The training failed: {progress.error}")
    elif progress.reason:
        st.warning(progress.reason)
    if not progress.history:
        st.caption("The first point appears at the end of the first epoch.")
        return
    scores_and_curves(view.report())
    st.caption(
        "Both curves measured at the end of each epoch: on all the training images, and on all the test "
        "images. When the network overfits, the test **loss** turns upwards while its accuracy stalls: it "
        "grows ever more sure of its answers, including its wrong ones."
    )


def collect(board: TrainingBoard, latest: TrainingView) -> bool:
    """Once, when a training this session watched is over: it joins the session's runs, and its network (if this
    process trained it) goes into the session for the Draw page. True if it did now."""
    watching = st.session_state.get(WATCHING_KEY)
    if watching is None or watching == st.session_state.get(COLLECTED_KEY):
        return False
    view = latest if latest.id == watching else board.view(watching)
    if view is None or not view.over:
        return False
    st.session_state[COLLECTED_KEY] = watching
    job = st.session_state.get(JOB_KEY)
    job = job if job is not None and job.id == watching else trained_here(watching)
    if view.progress.history:  # at least one finished epoch: something to compare
        runs = st.session_state.setdefault(RUNS_KEY, [])
        runs.append(Run(max((run.number for run in runs), default=0) + 1, view.settings, view.report(), job))
        del runs[:-MAX_RUNS]
        offer_latest_network()
    return True


def offer_latest_network() -> None:
    """The Draw page's "Your experiment": the newest kept run that saved a network here (none if no run did)."""
    latest = next((run.job for run in reversed(st.session_state.get(RUNS_KEY, [])) if run.has_network), None)
    st.session_state[SESSION_NETWORK] = latest.runner.network() if latest else None


def remove(number: int) -> None:
    st.session_state[RUNS_KEY] = [run for run in st.session_state.get(RUNS_KEY, []) if run.number != number]
    offer_latest_network()


st.title("Train: watch a network learn, and overfit")
st.caption(
    "Choose how many images the network learns from, for how many epochs, and which network; then watch "
    "its training and test accuracy, measured after every epoch."
)
st.warning(
    "Training is heavy: one training keeps the server's processors busy. So a class runs **one training at a "
    "time**, and the server only a few at once (the others wait in line): everyone in the class watches it, "
    "and only whoever started it (or the teacher) can stop it. A training nobody watches any more stops by itself.",
    icon=":material/hourglass_top:",
)

try:
    experiment = data()
except DataError as error:
    show_error(error, "No MNIST data could be loaded on this server.")
    st.stop()
st.caption(f"Images: {experiment.source}.")

code, me, teacher = current_class(), owner_hash(browser_id()), is_teacher()
try:
    latest = TrainingBoard().latest(code)
except StoreError as error:
    show_error(error)
    st.stop()
active = latest if latest is not None and not latest.over else None
follow(active)
sizes = sizes_for(len(experiment.x_pool))
st.session_state.setdefault(SIZE_KEY, PRESETS["overfit"].images_for(len(experiment.x_pool)))
st.session_state.setdefault(EPOCHS_KEY, PRESETS["overfit"].epochs)
st.session_state.setdefault(VARIANT_KEY, PRESETS["overfit"].variant)
show_its_settings(active)

st.subheader("Presets")
for column, (key, preset) in zip(st.columns(len(PRESETS)), PRESETS.items()):
    column.button(
        preset.title,
        on_click=apply_preset,
        args=(key,),
        disabled=active is not None,
        key=f"preset_{key}",
        width="stretch",
    )
    column.caption(preset.describe(len(experiment.x_pool)))

st.subheader("Your experiment" if active is None else "The class's experiment")
size_column, epochs_column, variant_column = st.columns(3)
size_column.select_slider(
    "Training images",
    sorted({*sizes, st.session_state[SIZE_KEY]}),  # a training from another process may have used another pool
    key=SIZE_KEY,
    disabled=active is not None,
    format_func="{:,}".format,
    help="The first N training images. Fewer images are easier to learn by heart.",
)
epochs_column.slider(
    "Epochs",
    1,
    max(MAX_EPOCHS, st.session_state[EPOCHS_KEY]),
    key=EPOCHS_KEY,
    disabled=active is not None,
    help="One epoch is one pass over all the training images.",
)
variant_column.selectbox(
    "Network",
    list(VARIANTS),
    key=VARIANT_KEY,
    disabled=active is not None,
    format_func=lambda name: VARIANTS[name].title,
    help="The hidden layer's width, or dropout: each changes how much the network can memorise.",
)

may_stop = active is not None and active.may_stop(me, teacher)
start_column, stop_column, _ = st.columns([1, 1, 3])
start_column.button(
    "Start training",
    icon=":material/play_arrow:",
    on_click=start,
    args=(code, me, teacher),
    disabled=active is not None,
    type="primary",
    width="stretch",
)
stop_column.button(
    "Stop",
    icon=":material/stop:",
    on_click=stop,
    args=(active.id if active else 0, code, me, teacher),
    width="stretch",
    disabled=not may_stop,
)
if busy := st.session_state.pop(BUSY_KEY, None):
    st.info(busy, icon=":material/hourglass_top:")
elif active is not None and not may_stop:
    st.info(
        f"A training is {'waiting' if active.state == WAITING else 'running'} for the class: watch it below. "
        "Start works again once it has ended; only whoever started it"
        + (" or the teacher (with the teacher key, below)" if teacher_key_set() else "")
        + " can stop it.",
        icon=":material/hourglass_top:",
    )
    if teacher_key_set():
        teacher_key_form("train_teacher_key", "Unlock Stop", "The class's key, or the server's.")


@st.fragment(run_every=POLL_SECONDS if active else IDLE_POLL_SECONDS)
def live_view(code: str, owner: str) -> None:
    """Reruns on its own: every second while a training runs, every few seconds otherwise, to notice one
    starting. It reads the store, not this process: the training may run in another."""
    board = TrainingBoard()
    try:
        latest = board.latest(code)
        now = latest if latest is not None and not latest.over else None
        if now is not None:
            board.touch(now)
    except StoreError as error:
        show_error(error)
        return
    if (now.id if now else None) != st.session_state.get(SAW_ACTIVE_KEY):
        st.rerun()  # a training started or ended: the whole page, to enable or disable its controls
    if latest is None:
        st.info("No training yet: press **Start training** (or pick a preset first).")
        return
    show(latest, owner)
    if collect(board, latest):
        st.rerun()  # the whole page: the run joins the comparison below


st.subheader("The class's training")
live_view(code, me)

runs = st.session_state.get(RUNS_KEY, [])
if runs:
    st.subheader("Your runs, compared")
    accuracy_tab, loss_tab = st.tabs(["Accuracy", "Loss"])
    curves = [(run.name, list(run.report.history)) for run in runs]
    accuracy_tab.vega_lite_chart(runs_chart(curves, "accuracy", "Accuracy after each epoch"), width="stretch")
    loss_tab.vega_lite_chart(runs_chart(curves, "loss", "Loss after each epoch (lower is better)"), width="stretch")
    st.caption(
        "Solid: on the training images; dashed: on the test images. The wider apart a run's two curves, "
        f"the more it memorised. This page keeps your last {MAX_RUNS} runs, for this browser session only."
    )
    for run in reversed(runs):
        report = run.report
        name_column, button_column = st.columns([5, 1], vertical_alignment="center")
        name_column.markdown(
            f"**{run.name}**: training {report.train_accuracy:.1%}, test {report.test_accuracy:.1%}"
            f", gap {report.gap_points:.1f} points"
        )
        button_column.button(
            "Remove",
            icon=":material/delete:",
            key=f"remove_run_{run.number}",
            on_click=remove,
            args=(run.number,),
            width="stretch",
            help=f"Remove run {run.number} from the comparison.",
        )

if (network := st.session_state.get(SESSION_NETWORK)) is not None:
    st.success(
        f"Your latest network ({network.report.title}) is ready to try on the **Draw** page, for this "
        "session only: it is not saved.",
        icon=":material/draw:",
    )
    st.page_link("app_pages/draw.py", label="Try it on the Draw page", icon=":material/draw:")

st.subheader("What to look for")
st.markdown("""
- **Overfitting.** With *Make it overfit*, training accuracy climbs to 100 %: the network has learnt its
  1 000 images by heart. The test accuracy stops rising after a few epochs, far lower: what it memorised
  about those particular images does not help with new handwriting.
- **More data.** Keep everything else and give it more images: the test curve rises and the gap shrinks,
  because there is more of what all 4s share and it is harder to memorise every quirk. Run both presets
  one after the other and compare them above.
- **Dropout.** Silencing half the hidden units at random in every training step stops the network relying
  on any single one: training accuracy rises more slowly, and the gap is narrower.
- **Smaller or wider.** Dense 64 has 8 times fewer weights than the seed network, Dense 2048 4 times more.
  On few images both still learn them by heart; width alone does not fix too little data.
""")
