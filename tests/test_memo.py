"""A model several runs train identically is trained once; the others read back one that predicts the same bits."""

import numpy as np

from vaereport.execution import memo


def train_tiny(x, y, epochs, seed):
    """A small Keras classifier on x (n, 4) with labels y (n,), and its record; counts its calls."""
    import keras

    train_tiny.calls += 1
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, epochs=epochs, verbose=0)
    return model, {"final_loss": float(history.history["loss"][-1])}


def test_memoised_trains_once_per_distinct_input(build_dir):
    train_tiny.calls = 0
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 4), dtype=np.float32), rng.integers(0, 3, 64)
    first, record = memo.memoised(train_tiny, x=x, y=y, epochs=2, seed=1)
    again, record_again = memo.memoised(train_tiny, x=x, y=y, epochs=2, seed=1)
    assert train_tiny.calls == 1
    assert record_again == record
    np.testing.assert_array_equal(again.predict(x, verbose=0), first.predict(x, verbose=0))
    assert list((build_dir / "memo" / "train_tiny").glob(".*~*")) == []  # no temp file is left behind
    memo.memoised(train_tiny, x=x, y=y, epochs=2, seed=2)  # another argument
    memo.memoised(train_tiny, x=x[::-1].copy(), y=y, epochs=2, seed=1)  # other data
    assert train_tiny.calls == 3


def test_an_entry_without_its_record_is_trained_again(build_dir):
    train_tiny.calls = 0
    x, y = np.ones((8, 4), np.float32), np.zeros(8, int)
    memo.memoised(train_tiny, x=x, y=y, epochs=1, seed=0)
    for record in (build_dir / "memo" / "train_tiny").glob("*.json"):
        record.unlink()  # as if the run had stopped between the model and its record
    memo.memoised(train_tiny, x=x, y=y, epochs=1, seed=0)
    assert train_tiny.calls == 2
