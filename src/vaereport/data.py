"""Datasets: an IDX reader, known checksums, an ordered search for local files, and a download fallback.

Arrays are returned as uint8, images of shape (n, 28, 28) and labels of shape (n,).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import DataCorruptError, DataMissingError
from .paths import LOCAL_DATA_DIR, SHARED_DATA_DIR

SPLIT_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_IDX_DTYPES = {0x08: np.uint8}


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    keras_loader: str
    sha256: dict[str, str]
    shapes: dict[str, tuple[int, ...]]
    class_names: tuple[str, ...]


_SHAPES = {
    "train_images": (60000, 28, 28),
    "train_labels": (60000,),
    "test_images": (10000, 28, 28),
    "test_labels": (10000,),
}

DATASETS = {
    "mnist": DatasetSpec(
        name="mnist",
        keras_loader="mnist",
        sha256={
            "train_images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train_labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "test_images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "test_labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
        shapes=_SHAPES,
        class_names=tuple(str(d) for d in range(10)),
    ),
    "fashion-mnist": DatasetSpec(
        name="fashion-mnist",
        keras_loader="fashion_mnist",
        sha256={
            "train_images": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train_labels": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "test_images": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "test_labels": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
        shapes=_SHAPES,
        class_names=(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ),
    ),
}


@dataclass
class Dataset:
    """A loaded dataset with where it came from; images uint8 (n, 28, 28), labels uint8 (n,)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    sha256: dict[str, str] = field(default_factory=dict)
    class_names: tuple[str, ...] = ()


# ---------------------------------------------------------------- IDX format
def parse_idx(raw: bytes, origin: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file into an array."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataCorruptError(f"{origin}: not an IDX file (bad magic number).")
    dtype_code, ndim = raw[2], raw[3]
    if dtype_code not in _IDX_DTYPES:
        raise DataCorruptError(f"{origin}: unsupported IDX element type 0x{dtype_code:02x}.")
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise DataCorruptError(f"{origin}: truncated IDX header.")
    shape = struct.unpack(f">{ndim}I", raw[4:header_len])
    expected = int(np.prod(shape))
    body = raw[header_len:]
    if len(body) != expected:
        raise DataCorruptError(
            f"{origin}: IDX body has {len(body)} bytes but its header promises {expected} for shape {shape}."
        )
    return np.frombuffer(body, dtype=_IDX_DTYPES[dtype_code]).reshape(shape)


def encode_idx(array: np.ndarray) -> bytes:
    """The IDX bytes of a uint8 array (inverse of `parse_idx`)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def read_idx_gz(path: Path) -> tuple[np.ndarray, str]:
    """Read a gzip-compressed IDX file; returns the array and the SHA-256 of the decompressed bytes."""
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read()
    except (EOFError, OSError, zlib.error) as exc:
        raise DataCorruptError(
            f"{path}: cannot decompress ({exc}); the file is truncated or corrupt. "
            "Delete it and supply an intact copy (see `make data`)."
        ) from exc
    return parse_idx(raw, str(path)), hashlib.sha256(raw).hexdigest()


# ---------------------------------------------------------------- locations
def keras_cache_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"


def candidate_dirs(name: str) -> list[Path]:
    """Every directory searched for `name`'s four .gz files, in order.

    `VAEREPORT_DATA_SEARCH` (colon-separated folders, each holding `<name>/`) replaces the default list.
    """
    if os.environ.get("VAEREPORT_DATA_SEARCH"):
        return [Path(p) / name for p in os.environ["VAEREPORT_DATA_SEARCH"].split(os.pathsep) if p]
    dirs = []
    if os.environ.get("VAEREPORT_DATA_DIR"):
        env_dir = Path(os.environ["VAEREPORT_DATA_DIR"])
        dirs += [env_dir / name, env_dir]
    dirs += [
        LOCAL_DATA_DIR / name,
        SHARED_DATA_DIR / name,
        keras_cache_dir() / name,
        Path("/usr/share/datasets") / name,
    ]
    return dirs


NPZ_KEYS = {"train_images": "x_train", "train_labels": "y_train", "test_images": "x_test", "test_labels": "y_test"}


def find_dataset_dir(name: str) -> Path | None:
    """The first candidate holding the dataset: a folder `<name>/` with the four IDX .gz files, or the
    file `<name>.npz` beside it (how `keras.datasets.mnist` stores its download)."""
    for directory in candidate_dirs(name):
        if all((directory / f"{stem}.gz").is_file() for stem in SPLIT_FILES.values()):
            return directory
        npz = directory.parent / f"{name}.npz"
        if npz.is_file():
            return npz
    return None


def _missing_message(spec: DatasetSpec, download_error: Exception | None) -> str:
    looked = "\n".join(f"  - {d}" for d in candidate_dirs(spec.name))
    files = ", ".join(f"{s}.gz" for s in SPLIT_FILES.values())
    hint = {
        "mnist": "put the official files there (e.g. `ln -s ../shared/data/mnist data/mnist`)",
        "fashion-mnist": "install them with `apt-get install dataset-fashion-mnist` (Debian) "
        "or copy the official files there",
    }[spec.name]
    why = f"\nThe download fallback failed too: {download_error}" if download_error else ""
    return (
        f"Dataset '{spec.name}' not found. Looked for {files} in:\n{looked}\n"
        f"To fix: {hint}, or set VAEREPORT_DATA_DIR to a folder holding '{spec.name}/'.{why}"
    )


def _verify(spec: DatasetSpec, split: str, array: np.ndarray, digest: str, origin: str) -> None:
    if digest != spec.sha256[split]:
        raise DataCorruptError(
            f"{origin}: content SHA-256 is {digest}, expected {spec.sha256[split]} for {spec.name} "
            f"{split}. The file is corrupt or a different dataset; replace it with an intact copy."
        )
    if array.shape != spec.shapes[split]:
        raise DataCorruptError(f"{origin}: shape {array.shape}, expected {spec.shapes[split]}.")


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path) as data:
            return {split: np.asarray(data[key]) for split, key in NPZ_KEYS.items()}
    except (OSError, ValueError, KeyError, zlib.error, EOFError, zipfile.BadZipFile) as exc:
        raise DataCorruptError(f"{path}: cannot read the arrays {', '.join(NPZ_KEYS.values())} ({exc}); the file is "
                               "truncated or corrupt. Delete it and supply an intact copy (see `make data`).") from exc


def _load_from_dir(spec: DatasetSpec, directory: Path) -> Dataset:
    arrays, digests = {}, {}
    npz = _read_npz(directory) if directory.suffix == ".npz" else None
    for split, stem in SPLIT_FILES.items():
        if npz is not None:
            path = directory
            arrays[split] = npz[split]
            digests[split] = hashlib.sha256(encode_idx(arrays[split])).hexdigest()
        else:
            path = directory / f"{stem}.gz"
            arrays[split], digests[split] = read_idx_gz(path)
        _verify(spec, split, arrays[split], digests[split], str(path))
    return Dataset(
        spec.name, arrays["train_images"], arrays["train_labels"], arrays["test_images"],
        arrays["test_labels"], source=str(directory), sha256=digests, class_names=spec.class_names,
    )


def _load_from_keras(spec: DatasetSpec) -> Dataset:
    """The online path: `keras.datasets` downloads into the Keras cache."""
    import keras

    loader = getattr(keras.datasets, spec.keras_loader)
    (x_train, y_train), (x_test, y_test) = loader.load_data()
    arrays = {"train_images": x_train, "train_labels": y_train, "test_images": x_test, "test_labels": y_test}
    digests = {k: hashlib.sha256(encode_idx(v)).hexdigest() for k, v in arrays.items()}
    for split in SPLIT_FILES:
        _verify(spec, split, arrays[split], digests[split], f"keras.datasets.{spec.keras_loader}")
    return Dataset(spec.name, x_train, y_train, x_test, y_test, source="keras.datasets download",
                   sha256=digests, class_names=spec.class_names)


def load_dataset(name: str, allow_download: bool | None = None) -> Dataset:
    """Load `name` ('mnist' or 'fashion-mnist') from the first complete local copy, else download."""
    if name not in DATASETS:
        raise DataMissingError(f"Unknown dataset '{name}'; known: {', '.join(DATASETS)}.")
    spec = DATASETS[name]
    directory = find_dataset_dir(name)
    if directory is not None:
        return _load_from_dir(spec, directory)
    if allow_download is None:
        allow_download = os.environ.get("VAEREPORT_OFFLINE", "0") != "1"
    download_error = None
    if allow_download:
        try:
            return _load_from_keras(spec)
        except DataCorruptError:
            raise
        except Exception as exc:  # network errors come in many types
            download_error = exc
    raise DataMissingError(_missing_message(spec, download_error))


def _stamp(source: Path) -> list:
    files = [source] if source.suffix == ".npz" else [source / f"{s}.gz" for s in SPLIT_FILES.values()]
    return [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in files]


def verified_checksums(name: str, record: Path | None = None) -> dict[str, str]:
    """Content checksums of `name`, verified by a full load once and then remembered per file
    (path, size, mtime) in `record`, so that up-to-date checks stay fast."""
    import json

    from .execution.atomic import write_text
    from .paths import build_root

    record = record or build_root() / ".verified-data.json"
    directory = find_dataset_dir(name)
    try:
        known = json.loads(record.read_text())
    except (OSError, ValueError):
        known = {}
    if directory is not None and known.get(name, {}).get("stamp") == _stamp(directory):
        return known[name]["sha256"]
    dataset = load_dataset(name)
    if directory is not None:
        known[name] = {"stamp": _stamp(directory), "sha256": dataset.sha256}
        try:
            record.parent.mkdir(parents=True, exist_ok=True)
            write_text(record, json.dumps(known, indent=1))
        except OSError:
            pass  # an unwritable build folder is reported by the runner, not here
    return dataset.sha256
