"""train/prepare_data.py and the prepared:PATH reader: folder, LMDB and registered (mocked TFDS)
inputs, resize, order, de-duplication, atomic writes, $TFGEN_DATA_DIR pickup."""

from __future__ import annotations

import io
import json
import os
import sys

import numpy as np
import pytest
from absl import app, flags
from PIL import Image

import tfgen.data as data
from data_helpers import collect
from tfgen.data import prepare as prep
from tfgen.data.sources.prepared import PreparedSource
from tfgen.data.transforms import center_crop_resize

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "train"))
import prepare_data  # noqa: E402


def _pictures(root, per_class=10, classes=("a", "b"), size=(24, 40), seed=0):
    rng = np.random.default_rng(seed)
    arrays = {}
    for c in classes:
        (root / c).mkdir(parents=True, exist_ok=True)
        for j in range(per_class):
            arrays[(c, j)] = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
            Image.fromarray(arrays[(c, j)]).save(root / c / f"{j:03d}.png")
    return arrays


def _all(name, **kwargs):
    return [collect(data.load(name, split, validation_fraction=0.0, **kwargs)[0])
            for split in ("train", "test")]


def test_folder_round_trip_resized_like_load(tmp_path):
    arrays = _pictures(tmp_path / "pics")
    manifest = prep.prepare(f"folder:{tmp_path / 'pics'}", str(tmp_path / "out"), 16,
                            examples_per_shard=3, progress=False)
    parts = manifest["parts"]
    assert manifest["shape"] == [16, 16, 3] and manifest["num_classes"] == 2
    assert parts["train"]["count"] + parts["test"]["count"] == 20 and parts["test"]["count"] > 0
    assert len(parts["train"]["shards"]) == -(-parts["train"]["count"] // 3)
    (train_x, train_y), (test_x, test_y) = _all(f"prepared:{tmp_path / 'out'}")
    assert train_x.shape[1:] == (16, 16, 3) and train_x.dtype == np.uint8
    assert data.get_spec(f"prepared:{tmp_path / 'out'}").num_classes == 2
    expected = {center_crop_resize(v, 16).numpy().tobytes(): ord(c) - ord("a")
                for (c, _), v in arrays.items()}
    for x, y in zip(np.concatenate([train_x, test_x]), np.concatenate([train_y, test_y])):
        assert expected[x.tobytes()] == y  # every stored image is the resized source image


def test_order_is_stable_and_carve_out_disjoint(tmp_path):
    _pictures(tmp_path / "pics", per_class=15)
    prep.prepare(f"folder:{tmp_path / 'pics'}", str(tmp_path / "out"), 8,
                 examples_per_shard=2, progress=False)
    name = f"prepared:{tmp_path / 'out'}"
    first = collect(data.load(name, "train")[0])[0]
    again = collect(data.load(name, "train")[0])[0]
    val = collect(data.load(name, "validation")[0])[0]
    assert np.array_equal(first, again)
    assert not {x.tobytes() for x in first} & {x.tobytes() for x in val}
    fast = PreparedSource(tmp_path / "out", deterministic=False).read("train").dataset
    assert len(collect(fast)[0]) == len(first) + len(val)


def test_dedup_drops_exact_and_near_duplicates(tmp_path):
    arrays = _pictures(tmp_path / "pics", per_class=6, classes=("a",))
    near = arrays[("a", 0)].astype(np.int16)
    near[0, 0, 0] += 1 if near[0, 0, 0] < 255 else -1
    Image.fromarray(near.astype(np.uint8)).save(tmp_path / "pics" / "a" / "near.png")
    Image.fromarray(arrays[("a", 1)]).save(tmp_path / "pics" / "a" / "same.png")
    manifest = prep.prepare(f"folder:{tmp_path / 'pics'}", str(tmp_path / "out"), 16,
                            dedup=True, progress=False)
    parts = manifest["parts"]
    assert parts["train"]["count"] + parts["test"]["count"] == 6
    assert sum(manifest["dedup"]["removed"].values()) == 2


def test_interrupted_write_leaves_nothing_that_looks_complete(tmp_path, monkeypatch):
    _pictures(tmp_path / "pics")
    out = tmp_path / "out"
    calls = []

    def failing(image, label):
        calls.append(1)
        if len(calls) > 5:
            raise KeyboardInterrupt
        return b"x"

    monkeypatch.setattr(prep.prepared, "serialize", failing)
    with pytest.raises(KeyboardInterrupt):
        prep.prepare(f"folder:{tmp_path / 'pics'}", str(out), 8, examples_per_shard=2,
                     progress=False)
    assert not out.exists() and not (tmp_path / "out.partial" / "manifest.json").exists()
    with pytest.raises(FileNotFoundError, match="manifest"):
        data.load(f"prepared:{tmp_path / 'out.partial'}")
    monkeypatch.undo()
    prep.prepare(f"folder:{tmp_path / 'pics'}", str(out), 8, progress=False)  # starts afresh
    with pytest.raises(FileExistsError, match="overwrite"):
        prep.prepare(f"folder:{tmp_path / 'pics'}", str(out), 8, progress=False)
    prep.prepare(f"folder:{tmp_path / 'pics'}", str(out), 4, overwrite=True, progress=False)
    assert data.get_spec(f"prepared:{out}").shape == (4, 4, 3)
    assert not (tmp_path / "out.partial").exists()


def _jpeg(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def _lmdb_env(path, arrays):
    lmdb = pytest.importorskip("lmdb")
    path.parent.mkdir(parents=True, exist_ok=True)
    env = lmdb.open(str(path), map_size=1 << 24)
    with env.begin(write=True) as txn:
        for i, array in enumerate(arrays):
            txn.put(f"{i:08d}".encode(), _jpeg(array))
    env.close()


@pytest.mark.parametrize("layout", ["pool", "split"])
def test_lsun_lmdb_export(tmp_path, layout):
    rng = np.random.default_rng(1)
    images = [np.full((30, 40, 3), 10 * i, np.uint8) for i in range(12)]
    images = [np.clip(im + rng.integers(0, 3, im.shape), 0, 255).astype(np.uint8)
              for im in images]
    if layout == "pool":
        _lmdb_env(tmp_path / "lsun", images)
    else:
        _lmdb_env(tmp_path / "lsun" / "bedroom_train_lmdb", images[:9])
        _lmdb_env(tmp_path / "lsun" / "bedroom_val_lmdb", images[9:])
    manifest = prep.prepare(f"lmdb:{tmp_path / 'lsun'}", str(tmp_path / "out"), 8,
                            progress=False)
    counts = {p: manifest["parts"][p]["count"] for p in ("train", "test")}
    assert sum(counts.values()) == 12 and counts["test"] >= (3 if layout == "split" else 0)
    (train_x, train_y), (test_x, _) = _all(f"prepared:{tmp_path / 'out'}")
    assert train_x.shape[1:] == (8, 8, 3) and np.all(train_y == -1)
    means = sorted(np.concatenate([train_x, test_x]).mean(axis=(1, 2, 3)))
    assert np.allclose(means, [10 * i + 1 for i in range(12)], atol=3)  # JPEG, then resize


def test_lmdb_missing_package_and_bad_layout(tmp_path, monkeypatch):
    (tmp_path / "nothing").mkdir()
    with pytest.raises(FileNotFoundError, match="bedroom_train_lmdb"):
        prep.prepare(f"lmdb:{tmp_path / 'nothing'}", str(tmp_path / "out"), 8)
    (tmp_path / "nothing" / "data.mdb").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "lmdb", None)
    with pytest.raises(ImportError, match="pip install lmdb"):
        prep.prepare(f"lmdb:{tmp_path / 'nothing'}", str(tmp_path / "out"), 8)


def test_registered_name_is_picked_up_from_tfgen_data_dir(tmp_path, monkeypatch, fake_tfds_dir,
                                                          empty_tfds_dir):
    tfds = pytest.importorskip("tensorflow_datasets")
    monkeypatch.setenv("TFGEN_DATA_DIR", str(tmp_path / "prepared"))
    with tfds.testing.mock_data(num_examples=9, data_dir=fake_tfds_dir):
        assert prepare_data.run_in_process(
            ["prepare_data.py", "--source=lsun", "--image_size=32",
             f"--data_dir={fake_tfds_dir}"]) == 0
    assert (tmp_path / "prepared" / "lsun_bedroom_32" / "manifest.json").is_file()
    # TFDS has nothing now: the name reads the prepared copy, alias or not
    for name in ("lsun", "lsun_bedroom"):
        (x, y), (tx, _) = _all(name, image_size=32, data_dir=empty_tfds_dir)
        assert x.shape == (9, 32, 32, 3) and len(tx) == 9 and np.all(y == -1)
    with pytest.raises(data.DataNotFoundError, match="lsun_bedroom_64"):
        data.load("lsun", data_dir=empty_tfds_dir)  # 64 px was not prepared


def test_cli_is_strict(tmp_path, capsys):
    _pictures(tmp_path / "pics", per_class=2)
    with pytest.raises(app.UsageError, match="unexpected"):
        prepare_data.run_in_process(["prepare_data.py", f"--source=folder:{tmp_path}", "extra"])
    assert prepare_data.run_in_process(["prepare_data.py", f"--source=folder:{tmp_path}/pics",
                                        "--image_size=8"]) == 1
    assert "--output is required" in capsys.readouterr().err
    assert prepare_data.run_in_process(["prepare_data.py", "--source=imagenet33"]) == 1
    assert "unknown dataset" in capsys.readouterr().err
    with pytest.raises(flags.IllegalFlagValueError,
                       match=r"--image_size=4096: .* range \[1, 1024\]"):
        prepare_data.run_in_process(["prepare_data.py", f"--source=folder:{tmp_path}/pics",
                                     "--image_size=4096", f"--output={tmp_path}/big"])
    assert not (tmp_path / "big").exists()
    assert prepare_data.run_in_process(["prepare_data.py", f"--source=folder:{tmp_path}/pics",
                                        "--image_size=8", f"--output={tmp_path}/o"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["shape"] == [8, 8, 3] and printed["output"] == f"{tmp_path}/o"
