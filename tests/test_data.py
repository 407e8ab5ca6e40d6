import gzip
import hashlib

import numpy as np
import pytest

from vaereport import data
from vaereport.errors import DataCorruptError, DataMissingError


def write_idx_gz(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as fh:
        fh.write(data.encode_idx(array))


def test_idx_round_trip_on_tiny_file(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx_gz(tmp_path / "tiny.gz", images)
    read, digest = data.read_idx_gz(tmp_path / "tiny.gz")
    np.testing.assert_array_equal(read, images)
    raw = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4]) + images.tobytes()
    assert digest == hashlib.sha256(raw).hexdigest()


def test_idx_rejects_bad_magic_and_short_body():
    with pytest.raises(DataCorruptError, match="magic"):
        data.parse_idx(b"\x01\x02\x08\x01\x00\x00\x00\x01\x00")
    with pytest.raises(DataCorruptError, match="promises"):
        data.parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))


def test_real_mnist_facts():
    ds = data.load_dataset("mnist")
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_test.shape == (10000, 28, 28)
    assert ds.x_train.mean() == pytest.approx(33.3184, abs=1e-3)
    assert ds.x_train.std() == pytest.approx(78.5675, abs=1e-3)
    assert np.bincount(ds.y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def copy_dataset(name, dest):
    src = data.find_dataset_dir(name)
    (dest / name).mkdir(parents=True)
    for stem in data.SPLIT_FILES.values():
        (dest / name / f"{stem}.gz").write_bytes((src / f"{stem}.gz").read_bytes())
    return dest / name


def test_search_path_override_is_used(tmp_path, monkeypatch):
    copy_dataset("mnist", tmp_path)
    monkeypatch.setenv("VAEREPORT_DATA_SEARCH", str(tmp_path))
    assert data.load_dataset("mnist").source == str(tmp_path / "mnist")


def test_missing_dataset_lists_every_place(tmp_path, monkeypatch):
    monkeypatch.setenv("VAEREPORT_DATA_SEARCH", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    with pytest.raises(DataMissingError) as err:
        data.load_dataset("fashion-mnist", allow_download=False)
    msg = str(err.value)
    assert str(tmp_path / "a" / "fashion-mnist") in msg and str(tmp_path / "b" / "fashion-mnist") in msg
    assert "apt-get install dataset-fashion-mnist" in msg


def test_truncated_file_names_file(tmp_path, monkeypatch):
    folder = copy_dataset("mnist", tmp_path)
    victim = folder / "t10k-labels-idx1-ubyte.gz"
    victim.write_bytes(victim.read_bytes()[:1000])
    monkeypatch.setenv("VAEREPORT_DATA_SEARCH", str(tmp_path))
    with pytest.raises(DataCorruptError, match="t10k-labels-idx1-ubyte.gz.*truncated or corrupt"):
        data.load_dataset("mnist")


def test_corrupted_content_names_expected_checksum(tmp_path, monkeypatch):
    folder = copy_dataset("mnist", tmp_path)
    labels, _ = data.read_idx_gz(folder / "t10k-labels-idx1-ubyte.gz")
    tampered = labels.copy()
    tampered[0] = (tampered[0] + 1) % 10
    write_idx_gz(folder / "t10k-labels-idx1-ubyte.gz", tampered)
    monkeypatch.setenv("VAEREPORT_DATA_SEARCH", str(tmp_path))
    with pytest.raises(DataCorruptError) as err:
        data.load_dataset("mnist")
    assert data.DATASETS["mnist"].sha256["test_labels"] in str(err.value)


def test_keras_mnist_npz_is_found_and_verified(tmp_path, monkeypatch):
    """`keras.datasets.mnist` stores one mnist.npz in its cache; the lookup finds and verifies it."""
    ds = data.load_dataset("mnist")
    cache = tmp_path / "keras" / "datasets"
    cache.mkdir(parents=True)
    np.savez_compressed(cache / "mnist.npz", x_train=ds.x_train, y_train=ds.y_train, x_test=ds.x_test,
                        y_test=ds.y_test)
    monkeypatch.setenv("VAEREPORT_DATA_SEARCH", str(cache))
    found = data.load_dataset("mnist", allow_download=False)
    assert found.source == str(cache / "mnist.npz") and found.sha256 == ds.sha256
    assert data.verified_checksums("mnist", record=tmp_path / "verified.json") == ds.sha256

    y_bad = ds.y_test.copy()
    y_bad[0] = (y_bad[0] + 1) % 10
    np.savez_compressed(cache / "mnist.npz", x_train=ds.x_train, y_train=ds.y_train, x_test=ds.x_test, y_test=y_bad)
    with pytest.raises(DataCorruptError, match="mnist.npz: content SHA-256"):
        data.load_dataset("mnist", allow_download=False)
    (cache / "mnist.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DataCorruptError, match="cannot read the arrays"):
        data.load_dataset("mnist", allow_download=False)
