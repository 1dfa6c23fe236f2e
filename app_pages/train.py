"""Train page: train a network here and watch, epoch by epoch, training accuracy pull away from test accuracy.

The training runs in a process of its own at the lowest priority (digitlab.live_training), so that it slows
nobody's drawing; a fragment polls it every second, so the page stays usable. No wait for TensorFlow here:
the server needs none to train. The trained network lives in this browser session only, never in model/:

    st.session_state["session_network"]  ->  a digitlab.inference.Network named "experiment"

which the Draw page may offer next to the saved networks.
"""

import streamlit as st

from app_pages.shared import SESSION_NETWORK, full_mnist, history_chart, show_error
from digitlab.data import DataError
from digitlab.experiments import PRESETS, TRAINING_SIZES, VARIANTS, experiment_data
from digitlab.live_training import TRAINING_SLOT, LiveTraining, TrainingBusy
from digitlab.words import count

RUNNER_KEY, COLLECTED_KEY, BUSY_KEY = "train_runner", "train_collected", "train_busy"
SIZE_KEY, EPOCHS_KEY, VARIANT_KEY = "train_size", "train_epochs", "train_variant"
POLL_SECONDS = 1.0
IDLE_TIMEOUT = 180  # s without a poll (tab closed, learner gone elsewhere): then the training stops itself
MAX_EPOCHS = 50


@st.cache_resource(show_spinner="Loading MNIST…")
def data():
    """Loaded once per server: full MNIST the Keras way when it can be had, else the bundled test set split in two."""
    return experiment_data(full_mnist())


def sizes_for(pool: int) -> list[int]:
    return [size for size in TRAINING_SIZES if size < pool] + [pool]


def apply_preset(key: str, sizes: list[int]) -> None:
    preset = PRESETS[key]
    st.session_state[SIZE_KEY] = min(sizes, key=lambda size: abs(size - preset.training_images))
    st.session_state[EPOCHS_KEY], st.session_state[VARIANT_KEY] = preset.epochs, preset.variant


def start() -> None:
    x_train, y_train = data().training_set(st.session_state[SIZE_KEY])
    runner = LiveTraining(x_train, y_train, data().x_test, data().y_test, variant=st.session_state[VARIANT_KEY],
                          epochs=st.session_state[EPOCHS_KEY], idle_timeout=IDLE_TIMEOUT)
    try:
        runner.start()
    except TrainingBusy as error:
        st.session_state[BUSY_KEY] = str(error)
        return
    st.session_state[RUNNER_KEY], st.session_state[BUSY_KEY] = runner, None


def stop() -> None:
    if runner := st.session_state.get(RUNNER_KEY):
        runner.stop()


def show(runner: LiveTraining) -> None:
    progress = runner.progress()
    epochs_done = len(progress.history)
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
    last = progress.history[-1]
    train_column, test_column, gap_column = st.columns(3)
    train_column.metric("Training accuracy", f"{last['train_accuracy']:.1%}",
                        help=f"On the {len(runner.data[0]):,} images it learns from.")
    test_column.metric("Test accuracy", f"{last['test_accuracy']:.1%}",
                       help=f"On {len(runner.data[2]):,} images it never sees while learning.")
    gap_column.metric("Gap", f"{100 * (last['train_accuracy'] - last['test_accuracy']):.1f} points",
                      help="Training minus test accuracy: how much of what it learnt does not carry over.")
    history = list(progress.history)
    accuracy_tab, loss_tab = st.tabs(["Accuracy", "Loss"])
    accuracy_tab.vega_lite_chart(history_chart(history, "accuracy", "Accuracy after each epoch", runner.epochs),
                                 width="stretch")
    loss_tab.vega_lite_chart(history_chart(history, "loss", "Loss after each epoch (lower is better)", runner.epochs),
                             width="stretch")
    st.caption("Both curves measured at the end of each epoch: on all the training images, and on all the test "
               "images. When the network overfits, the test **loss** turns upwards while its accuracy stalls: it "
               "grows ever more sure of its answers, including its wrong ones.")


def collect(runner: LiveTraining) -> bool:
    """Once, when a training is over: its network goes into the session, for the Draw page. True if it did now."""
    if st.session_state.get(COLLECTED_KEY) is runner or not runner.progress().over:
        return False
    st.session_state[COLLECTED_KEY] = runner
    if runner.has_network and runner.progress().history:  # at least one finished epoch
        st.session_state[SESSION_NETWORK] = runner.network()
    return True


st.title("Train: watch a network learn, and overfit")
st.caption("Choose how many images the network learns from, for how many epochs, and which network; then watch "
           "its training and test accuracy, measured after every epoch.")
st.warning("Training is heavy: one training keeps the server's processors busy. So only **one training at a time** "
           "runs for everybody using this app; if someone else's is running, wait for it to end. A training "
           "nobody watches any more stops by itself.", icon=":material/hourglass_top:")

try:
    experiment = data()
except DataError as error:
    show_error(error, "No MNIST data could be loaded on this server.")
    st.stop()
st.caption(f"Images: {experiment.source}.")

runner = st.session_state.get(RUNNER_KEY)
running = runner is not None and not runner.progress().over
sizes = sizes_for(len(experiment.x_pool))
st.session_state.setdefault(SIZE_KEY, min(sizes, key=lambda size: abs(size - PRESETS["overfit"].training_images)))
st.session_state.setdefault(EPOCHS_KEY, PRESETS["overfit"].epochs)
st.session_state.setdefault(VARIANT_KEY, PRESETS["overfit"].variant)

st.subheader("Presets")
for column, (key, preset) in zip(st.columns(len(PRESETS)), PRESETS.items()):
    column.button(preset.title, on_click=apply_preset, args=(key, sizes), disabled=running, key=f"preset_{key}",
                  width="stretch")
    column.caption(preset.lesson)

st.subheader("Your experiment")
size_column, epochs_column, variant_column = st.columns(3)
size_column.select_slider("Training images", sizes, key=SIZE_KEY, disabled=running, format_func="{:,}".format,
                          help="The first N training images. Fewer images are easier to learn by heart.")
epochs_column.slider("Epochs", 1, MAX_EPOCHS, key=EPOCHS_KEY, disabled=running,
                     help="One epoch is one pass over all the training images.")
variant_column.selectbox("Network", list(VARIANTS), key=VARIANT_KEY, disabled=running,
                         format_func=lambda name: VARIANTS[name].title,
                         help="The hidden layer's width, or dropout: each changes how much the network can memorise.")

start_column, stop_column, _ = st.columns([1, 1, 3])
start_column.button("Start training", icon=":material/play_arrow:", on_click=start, disabled=running, type="primary",
                    width="stretch")
stop_column.button("Stop", icon=":material/stop:", on_click=stop, disabled=not running, width="stretch")
if busy := st.session_state.get(BUSY_KEY):
    st.info(busy, icon=":material/hourglass_top:")
elif TRAINING_SLOT.locked() and not running:
    st.info("Someone else's training is running right now; Start will work when it has ended.",
            icon=":material/hourglass_top:")


@st.fragment(run_every=POLL_SECONDS if running else None)
def live_view() -> None:
    """Reruns on its own every second while the training runs; the rest of the page stays as it is."""
    runner = st.session_state.get(RUNNER_KEY)
    if runner is None:
        st.info("Press **Start training** to begin (or pick a preset first).")
        return
    show(runner)
    if collect(runner):
        st.rerun()  # the whole page: stop polling, enable the controls again


live_view()

if runner is not None and runner.progress().over and st.session_state.get(SESSION_NETWORK) is not None:
    st.success("Your network is ready to try on the **Draw** page, for this session only: it is not saved.",
               icon=":material/draw:")
    st.page_link("app_pages/draw.py", label="Try it on the Draw page", icon=":material/draw:")

st.subheader("What to look for")
st.markdown("""
- **Overfitting.** With *Make it overfit*, training accuracy climbs to 100 %: the network has learnt its
  1 000 images by heart. The test accuracy stops rising after a few epochs, far lower: what it memorised
  about those particular images does not help with new handwriting.
- **More data.** Keep everything else and give it more images: the test curve rises and the gap shrinks,
  because there is more of what all 4s share and it is harder to memorise every quirk.
- **Dropout.** Silencing half the hidden units at random in every training step stops the network relying
  on any single one: training accuracy rises more slowly, and the gap is narrower.
- **Smaller or wider.** Dense 64 has 8 times fewer weights than the seed network, Dense 2048 4 times more.
  On few images both still learn them by heart; width alone does not fix too little data.
""")
