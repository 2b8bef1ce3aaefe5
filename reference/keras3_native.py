"""Writes the Keras 3 native-format fixtures that nn/tests/keras3_native.rs loads: each
small Sequential model saved as `<name>.keras` (zip of config.json, metadata.json,
model.weights.h5) and as `<name>.weights.h5` (`model.save_weights`), with an input
`<name>_x.npy` and Keras' predictions `<name>_y.npy` (float32; token ids as float32).

Run: ~/.cache/derin-peers/venv-tf/bin/python reference/keras3_native.py [--dump]
     ~/.cache/derin-peers/venv-tf/bin/python reference/keras3_native.py --check NAME FILE
       (FILE: a `.weights.h5` Derin wrote for fixture NAME, or a `.keras` Derin wrote:
       Keras loads it and its predictions for `<NAME>_x.npy` are compared with
       `<NAME>_y.npy`; prints the largest difference)
Derin's files for the check: `DERIN_KERAS3_OUT=DIR cargo test -p derin-nn --test keras3_native
derin_written` leaves DIR/NAME.weights.h5 (Sequential::save_weights) and DIR/NAME.keras
(Sequential::save_keras_zip) for every fixture. Checked with Keras 3.15.1 / TF 2.21.0: all
twelve load in Keras (`load_weights` into the zeroed model, `load_model`) and predict
exactly `<NAME>_y.npy` (largest difference 0; for `dense`, Keras warns that the file has no
optimizer variables, as it does for any weights file saved without them).

Models (all weights random, BatchNormalization's moving statistics included, so that
layouts and orders matter):
  cnn:    Input(6,6,2) Conv2D(3,3x3,same,strides 2) BatchNormalization Conv2D(2,2x2) Flatten
          Dense(4,relu) Dense(3,softmax)   (two Conv2D, two Dense: the `conv2d`/`conv2d_1`,
          `dense`/`dense_1` group naming)
  gru:    Input(7,3) Conv1D(4,3) GRU(5,seq) GRU(4) Dense(2)   (`gru`, `gru_1`)
  lstm:   Input(6) Embedding(12,4) LSTM(3) Dense(2)
  rnn:    Input(6) Embedding(12,4) SimpleRNN(3) Dense(2)
  bilstm: Input(5,3) Bidirectional(LSTM(3)) Dense(2)
  dense:  Input(4) Dense(3,tanh) Dense(2), compiled (Adam, mse) and trained one step, so both
          files also hold `optimizer/vars` and config.json a `compile_config` (Derin ignores both)
Inputs: x[i] = sin(0.37*i + 0.1) row-major (token ids: (7*i) mod 12).
"""
import os
import sys
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers as L  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "nn", "tests", "fixtures", "keras3")

print(f"keras {keras.__version__}, tensorflow {tf.__version__}, h5py {h5py.__version__}, numpy {np.__version__}")


def models():
    cnn = keras.Sequential([
        keras.Input((6, 6, 2)), L.Conv2D(3, 3, strides=2, padding="same"), L.BatchNormalization(),
        L.Conv2D(2, 2), L.Flatten(), L.Dense(4, activation="relu"), L.Dense(3, activation="softmax"),
    ], name="cnn")
    gru = keras.Sequential([
        keras.Input((7, 3)), L.Conv1D(4, 3), L.GRU(5, return_sequences=True), L.GRU(4), L.Dense(2),
    ], name="gru")
    lstm = keras.Sequential([keras.Input((6,)), L.Embedding(12, 4), L.LSTM(3), L.Dense(2)], name="lstm")
    rnn = keras.Sequential([keras.Input((6,)), L.Embedding(12, 4), L.SimpleRNN(3), L.Dense(2)], name="rnn")
    bilstm = keras.Sequential([keras.Input((5, 3)), L.Bidirectional(L.LSTM(3)), L.Dense(2)], name="bilstm")
    dense = keras.Sequential([keras.Input((4,)), L.Dense(3, activation="tanh"), L.Dense(2)], name="dense")
    dense.compile(optimizer="adam", loss="mse")
    return {"cnn": (cnn, 2), "gru": (gru, 2), "lstm": (lstm, 3), "rnn": (rnn, 3), "bilstm": (bilstm, 2),
            "dense": (dense, 2)}


def inputs(model, n, tokens):
    shape = (n,) + tuple(model.input_shape[1:])
    i = np.arange(int(np.prod(shape)))
    x = (7 * i) % 12 if tokens else np.sin(0.37 * i + 0.1)
    return x.reshape(shape).astype(np.float32)


def dump(path):
    with h5py.File(path, "r") as f:
        def show(name, obj):
            extra = f" {obj.shape} {obj.dtype}" if isinstance(obj, h5py.Dataset) else ""
            print(f"  /{name}{extra} {dict(obj.attrs)}")
        f.visititems(show)


if "--check" in sys.argv:
    name, path = sys.argv[sys.argv.index("--check") + 1:][:2]
    x = np.load(os.path.join(OUT, f"{name}_x.npy"))
    want = np.load(os.path.join(OUT, f"{name}_y.npy"))
    if path.endswith(".keras"):
        m = keras.models.load_model(path)
    else:
        m = keras.models.load_model(os.path.join(OUT, f"{name}.keras"))
        for w in m.weights:
            w.assign(np.zeros(w.shape, w.dtype))
        m.load_weights(path)
    got = m.predict(x, verbose=0)
    print(f"{path}: Keras predicts, largest |difference| from {name}_y.npy: {np.abs(got - want).max():.3g}")
    sys.exit(0)

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
os.makedirs(OUT, exist_ok=True)
for name, (model, n) in models().items():
    for w in model.weights:
        v = rng.normal(0.0, 0.5, w.shape)
        if "variance" in w.path:
            v = rng.uniform(0.5, 1.5, w.shape)
        w.assign(v.astype(np.float32))
    x = inputs(model, n, name in ("lstm", "rnn"))
    if model.compiled:
        model.train_on_batch(x, np.ones((n,) + tuple(model.output_shape[1:]), np.float32))
    y = model.predict(x, verbose=0).astype(np.float32)
    model.save(os.path.join(OUT, f"{name}.keras"))
    model.save_weights(os.path.join(OUT, f"{name}.weights.h5"))
    np.save(os.path.join(OUT, f"{name}_x.npy"), x)
    np.save(os.path.join(OUT, f"{name}_y.npy"), y)
    print(f"{name}: x {x.shape}, y =\n{y}")
    if "--dump" in sys.argv:
        dump(os.path.join(OUT, f"{name}.weights.h5"))
        print("  .keras members:", zipfile.ZipFile(os.path.join(OUT, f"{name}.keras")).namelist())
