import numpy as np

from vaereport.science import finetune


def test_each_subset_starts_from_the_same_weights_and_pretrained_ones_are_put_in():
    rng = np.random.default_rng(0)
    x = rng.random((600, 20), dtype=np.float32)
    y = (x[:, 0] > 0.5).astype(int)
    network = finetune.classifier(20, [8], 4, 2, "mlp", seed=0)
    tuner = finetune.FineTuner(network, steps=30, batch=50, learning_rate=0.01)
    first = tuner.score(None, x[:500], y[:500], x[500:], y[500:], {0: np.arange(100)}, seed=1)
    again = tuner.score(None, x[:500], y[:500], x[500:], y[500:], {0: np.arange(100)}, seed=1)
    assert first[0][0] == again[0][0] and first[0][0] > 0.6  # a reset is a fresh start: the same result
    encoder = [np.full(w.shape, 0.01, w.dtype) for w in tuner.initial[:4]]  # trunk and code, not the head
    tuner._reset(encoder)
    weights = network.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(weights[:4], encoder))
    assert np.array_equal(weights[4], tuner.initial[4])  # the head keeps its random start
