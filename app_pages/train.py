"""Train page: train a network here and watch, epoch by epoch, training accuracy pull away from test accuracy.

The training runs in a process of its own at the lowest priority (digitlab.live_training), so that it slows
nobody's drawing, and only one runs on the server at a time: it is the class's, and every session on this
page watches it live (a fragment polls it every second). Only whoever started it, or the teacher, may stop it.
No wait for TensorFlow here: the server needs none to train.

Each session keeps its finished runs, to compare their curves; its latest network lives in this browser
session only, never in model/:

    st.session_state["session_network"]  ->  a digitlab.inference.Network named "experiment"

which the Draw page may offer next to the saved networks.
"""

import secrets
from dataclasses import dataclass

import streamlit as st

from app_pages.shared import (
    SESSION_NETWORK,
    full_mnist,
    is_teacher,
    runs_chart,
    scores_and_curves,
    show_error,
    teacher_key_set,
)
from digitlab.data import DataError
from digitlab.experiments import PRESETS, VARIANTS, experiment_data, sizes_for
from digitlab.live_training import LiveTraining, TrainingBusy, class_training
from digitlab.words import count

RUNNER_KEY, RUNS_KEY, BUSY_KEY, TOKEN_KEY = "train_runner", "train_runs", "train_busy", "train_token"
COLLECTED_KEY = "train_collected"  # the last training whose end this session has taken in
SAW_RUNNING_KEY = "train_saw_running"  # whether the page was last drawn with a training running
SIZE_KEY, EPOCHS_KEY, VARIANT_KEY = "train_size", "train_epochs", "train_variant"
POLL_SECONDS = 1.0  # while a training runs
IDLE_POLL_SECONDS = 5.0  # otherwise: to notice that someone has started one
IDLE_TIMEOUT = 180  # s without a poll from anyone (every tab closed): then the training stops itself
MAX_EPOCHS = 50
MAX_RUNS = 6  # kept per session: each holds its network, and a chart of more curves is no longer readable


@dataclass(frozen=True)
class Run:
    """A finished training this session keeps, with the number it is known by on this page."""

    number: int
    runner: LiveTraining

    @property
    def name(self) -> str:
        return f"Run {self.number}: {self.runner.settings}"


@st.cache_resource(show_spinner="Loading MNIST…")
def data():
    """Loaded once per server: full MNIST the Keras way when it can be had, else the bundled test set split in two."""
    return experiment_data(full_mnist())


def session_token() -> str:
    """Names this session as a training's starter, who alone (with the teacher) may stop it."""
    return st.session_state.setdefault(TOKEN_KEY, secrets.token_hex(16))


def apply_preset(key: str) -> None:
    preset = PRESETS[key]
    st.session_state[SIZE_KEY] = preset.images_for(len(data().x_pool))
    st.session_state[EPOCHS_KEY], st.session_state[VARIANT_KEY] = preset.epochs, preset.variant


def start() -> None:
    x_train, y_train = data().training_set(st.session_state[SIZE_KEY])
    runner = LiveTraining(
        x_train,
        y_train,
        data().x_test,
        data().y_test,
        variant=st.session_state[VARIANT_KEY],
        epochs=st.session_state[EPOCHS_KEY],
        idle_timeout=IDLE_TIMEOUT,
        owner=session_token(),
    )
    try:
        runner.start()
    except TrainingBusy as error:  # someone pressed Start a moment earlier
        st.session_state[BUSY_KEY] = str(error)
        return
    st.session_state[RUNNER_KEY], st.session_state[BUSY_KEY] = runner, None


def may_stop(runner: LiveTraining) -> bool:
    return runner.owner == session_token() or is_teacher()


def stop() -> None:
    if (runner := class_training()) and may_stop(runner):
        runner.stop()


def running_now() -> LiveTraining | None:
    """The class's training if it is running; this session then holds it, to watch it and keep it alive."""
    runner = class_training()
    if runner is None or runner.progress().over:
        return None
    st.session_state[RUNNER_KEY] = runner
    return runner


def show(runner: LiveTraining) -> None:
    progress = runner.progress()
    epochs_done = len(progress.history)
    whose = "yours" if runner.owner == session_token() else "started by someone else in the class"
    st.markdown(f"**{runner.settings}** ({whose})")
    if progress.state == "running":
        label = f"Epoch {min(epochs_done + 1, runner.epochs)} of {runner.epochs} · {progress.seconds:.0f} s"
    else:
        label = f"{progress.state.capitalize()} after {count(epochs_done, 'epoch')}, {progress.seconds:.0f} s"
    st.progress(progress.fraction, text=label)
    if progress.error:
        st.error(f"The training failed: {progress.error}")
    if not progress.history:
        st.caption("The first point appears at the end of the first epoch.")
        return
    scores_and_curves(runner.report())
    st.caption(
        "Both curves measured at the end of each epoch: on all the training images, and on all the test "
        "images. When the network overfits, the test **loss** turns upwards while its accuracy stalls: it "
        "grows ever more sure of its answers, including its wrong ones."
    )


def collect(runner: LiveTraining) -> bool:
    """Once, when a training this session watched is over: it joins the session's runs, and its network goes
    into the session for the Draw page. True if it did now."""
    runs = st.session_state.setdefault(RUNS_KEY, [])
    if not runner.progress().over or st.session_state.get(COLLECTED_KEY) is runner:
        return False
    st.session_state[COLLECTED_KEY] = runner
    if runner.progress().history:  # at least one finished epoch: something to compare
        runs.append(Run(max((run.number for run in runs), default=0) + 1, runner))
        del runs[:-MAX_RUNS]
        offer_latest_network()
    return True


def offer_latest_network() -> None:
    """The Draw page's "Your experiment": the newest kept run that saved a network (none if no run did)."""
    latest = next((run.runner for run in reversed(st.session_state.get(RUNS_KEY, [])) if run.runner.has_network), None)
    st.session_state[SESSION_NETWORK] = latest.network() if latest else None


def remove(number: int) -> None:
    st.session_state[RUNS_KEY] = [run for run in st.session_state.get(RUNS_KEY, []) if run.number != number]
    offer_latest_network()


st.title("Train: watch a network learn, and overfit")
st.caption(
    "Choose how many images the network learns from, for how many epochs, and which network; then watch "
    "its training and test accuracy, measured after every epoch."
)
st.warning(
    "Training is heavy: one training keeps the server's processors busy. So only **one training at a time** "
    "runs, for the whole class: everyone on this page watches it, and only whoever started it (or the "
    "teacher) can stop it. A training nobody watches any more stops by itself.",
    icon=":material/hourglass_top:",
)

try:
    experiment = data()
except DataError as error:
    show_error(error, "No MNIST data could be loaded on this server.")
    st.stop()
st.caption(f"Images: {experiment.source}.")

running = running_now()
st.session_state[SAW_RUNNING_KEY] = running is not None
sizes = sizes_for(len(experiment.x_pool))
st.session_state.setdefault(SIZE_KEY, PRESETS["overfit"].images_for(len(experiment.x_pool)))
st.session_state.setdefault(EPOCHS_KEY, PRESETS["overfit"].epochs)
st.session_state.setdefault(VARIANT_KEY, PRESETS["overfit"].variant)

st.subheader("Presets")
for column, (key, preset) in zip(st.columns(len(PRESETS)), PRESETS.items()):
    column.button(
        preset.title,
        on_click=apply_preset,
        args=(key,),
        disabled=running is not None,
        key=f"preset_{key}",
        width="stretch",
    )
    column.caption(preset.describe(len(experiment.x_pool)))

st.subheader("Your experiment")
size_column, epochs_column, variant_column = st.columns(3)
size_column.select_slider(
    "Training images",
    sizes,
    key=SIZE_KEY,
    disabled=running is not None,
    format_func="{:,}".format,
    help="The first N training images. Fewer images are easier to learn by heart.",
)
epochs_column.slider(
    "Epochs",
    1,
    MAX_EPOCHS,
    key=EPOCHS_KEY,
    disabled=running is not None,
    help="One epoch is one pass over all the training images.",
)
variant_column.selectbox(
    "Network",
    list(VARIANTS),
    key=VARIANT_KEY,
    disabled=running is not None,
    format_func=lambda name: VARIANTS[name].title,
    help="The hidden layer's width, or dropout: each changes how much the network can memorise.",
)

start_column, stop_column, _ = st.columns([1, 1, 3])
start_column.button(
    "Start training",
    icon=":material/play_arrow:",
    on_click=start,
    disabled=running is not None,
    type="primary",
    width="stretch",
)
stop_column.button(
    "Stop", icon=":material/stop:", on_click=stop, width="stretch", disabled=running is None or not may_stop(running)
)
if running is not None and not may_stop(running):
    st.info(
        "A training is running for the class: watch it below. Start works again once it has ended; only "
        "whoever started it"
        + (" or the teacher (with the teacher key, on the Our class page)" if teacher_key_set() else "")
        + " can stop it.",
        icon=":material/hourglass_top:",
    )
elif busy := st.session_state.pop(BUSY_KEY, None):
    st.info(busy, icon=":material/hourglass_top:")


@st.fragment(run_every=POLL_SECONDS if running else IDLE_POLL_SECONDS)
def live_view() -> None:
    """Reruns on its own: every second while a training runs, every few seconds otherwise, to notice one starting."""
    now = running_now()
    watched = now or st.session_state.get(RUNNER_KEY)  # this session's to keep once it is over
    runner = watched or class_training()  # else the class's last one, to look at
    if (now is not None) != st.session_state.get(SAW_RUNNING_KEY):
        st.rerun()  # a training started or ended: the whole page, to enable or disable its controls
    if runner is None:
        st.info("No training yet: press **Start training** (or pick a preset first).")
        return
    show(runner)
    if runner is watched and collect(runner):
        st.rerun()  # the whole page: the run joins the comparison below


st.subheader("The class's training")
live_view()

runs = st.session_state.get(RUNS_KEY, [])
if runs:
    st.subheader("Your runs, compared")
    accuracy_tab, loss_tab = st.tabs(["Accuracy", "Loss"])
    curves = [(run.name, list(run.runner.progress().history)) for run in runs]
    accuracy_tab.vega_lite_chart(runs_chart(curves, "accuracy", "Accuracy after each epoch"), width="stretch")
    loss_tab.vega_lite_chart(runs_chart(curves, "loss", "Loss after each epoch (lower is better)"), width="stretch")
    st.caption(
        "Solid: on the training images; dashed: on the test images. The wider apart a run's two curves, "
        f"the more it memorised. This page keeps your last {MAX_RUNS} runs, for this browser session only."
    )
    for run in reversed(runs):
        report = run.runner.report()
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
