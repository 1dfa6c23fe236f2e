"""Training in a background thread (digitlab.live_training), the experiment variants, and the Train page."""

import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from digitlab.experiments import PRESETS, VARIANTS, build_variant
from digitlab.inference import Network
from digitlab.live_training import FINISHED, STOPPED, LiveTraining, TrainingBusy

APP = str(ROOT / "app.py")


def tiny(mnist, images=500, **options) -> LiveTraining:
    return LiveTraining(mnist.x_train[:images], mnist.y_train[:images], mnist.x_test[:500], mnist.y_test[:500],
                        **options)


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
    assert network.report["recipe"]["training_images"] == 500
    assert network.report["test_accuracy"] == last["test_accuracy"]


def test_stop_ends_the_training_within_a_batch_or_two_and_frees_the_slot(mnist_small):
    run = tiny(mnist_small, images=2000, epochs=200, variant="wider")
    run.start()
    with pytest.raises(TrainingBusy):
        tiny(mnist_small).start()  # one training at a time
    while not run.progress().history:
        time.sleep(0.05)
    asked = time.perf_counter()
    run.stop()
    assert run.join(timeout=10)
    assert time.perf_counter() - asked < 3  # the batch in progress, or the epoch-end measuring it was in
    progress = run.progress()
    assert progress.state == STOPPED and len(progress.history) < 200 and progress.fraction < 1
    assert run.network().report["state"] == STOPPED
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
    assert isinstance(network, Network) and len(network.report["history"]) == 2
    assert network.probabilities(np.zeros((1, 28, 28), np.float32)).shape == (1, 10)
