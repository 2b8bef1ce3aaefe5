"""Writes the Keras interoperability fixtures that nn/tests/keras_interop.rs loads: one small
model per layer type (and a few mixed and functional ones), saved by Keras 3 and by Keras 2
(tf-keras), with an input and what Keras predicts for it.

Run: ~/.cache/derin-peers/venv-tf/bin/python reference/keras_interop.py
       (writes both sets: Keras 3 in this process, Keras 2 in a child process run with
       TF_USE_LEGACY_KERAS=1, importing tf_keras)
     ~/.cache/derin-peers/venv-tf/bin/python reference/keras_interop.py --check DIR
       (the round trip: loads every NAME.h5 and NAME.keras that Derin wrote into DIR with Keras 3, predicts
       on NAME.in0.npy… and compares with Derin's NAME.out0.npy…; nn/tests/keras_interop.rs
       writes DIR when DERIN_KERAS_ROUNDTRIP_DIR is set)

Round trip, run 2026-11-27 with Keras 3.15.1 on the files of every model here (Keras 3 and
Keras 2 ones, loaded by Derin and saved by Derin's `save_keras` as .h5 and .keras): 68 files
load in Keras and predict within tolerance (worst |keras - derin| = 3.8e-6, worst error /
tolerance 0.007). tf-keras' hard_sigmoid (keras2/activations) has no Keras 3 name, so that
one model cannot be saved for Keras 3; Derin says so with an error.

Versions used for the committed fixtures (also written to each folder's versions.txt):
keras 3.15.1, tf-keras 2.21.0, tensorflow-cpu 2.21.0, h5py 3.14.0, numpy 2.x (printed below).

Layout of nn/tests/fixtures/interop/{keras3,keras2}/:
  NAME.h5          model.save("NAME.h5")            (full model, legacy HDF5)
  NAME.keras       model.save("NAME.keras")         (Keras 3 only: zip of config.json,
                                                      metadata.json, model.weights.h5)
  NAME.weights.h5  model.save_weights(…)            (Keras 3: the new weights layout;
                                                      Keras 2: the legacy h5 weights layout)
  NAME.in0.npy …   inputs, float32 (token ids as float32)
  NAME.out0.npy …  Keras' predictions, float32
Weights are random (normal, sd 0.5; BatchNormalization variances uniform in [0.5, 1.5]) so
that every layout and every weight matters.
"""
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

KERAS2 = "--keras2" in sys.argv
if KERAS2:
    os.environ["TF_USE_LEGACY_KERAS"] = "1"

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

if KERAS2:
    import tf_keras as keras  # noqa: E402
else:
    import keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "nn", "tests", "fixtures", "interop")
VERSIONS = (f"keras {keras.__version__}, tensorflow {tf.__version__}, h5py {h5py.__version__}, "
            f"numpy {np.__version__}")
print(("Keras 2 (tf-keras): " if KERAS2 else "Keras 3: ") + VERSIONS)


def check(directory):
    """Loads the .h5 files Derin wrote with Keras and compares the predictions."""
    files = sorted(f for f in os.listdir(directory) if f.endswith(".h5") or f.endswith(".keras"))
    worst = 0.0
    for file in files:
        name = file.rsplit(".", 1)[0]
        model = keras.models.load_model(os.path.join(directory, file), compile=False)
        inputs = []
        while os.path.exists(os.path.join(directory, f"{name}.in{len(inputs)}.npy")):
            inputs.append(np.load(os.path.join(directory, f"{name}.in{len(inputs)}.npy")))
        got = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        got = got if isinstance(got, list) else [got]
        for i, g in enumerate(got):
            want = np.load(os.path.join(directory, f"{name}.out{i}.npy"))
            err = np.max(np.abs(g - want) / (1e-5 + 1e-4 * np.abs(want)))
            worst = max(worst, err)
            print(f"{file} output {i}: {'ok' if err <= 1 else 'MISMATCH'} "
                  f"(max |keras - derin| = {np.max(np.abs(g - want)):.2e})")
    print(f"{len(files)} Derin-written files loaded by Keras; worst error / tolerance = {worst:.3f}")
    sys.exit(0 if worst <= 1 else 1)


if "--check" in sys.argv:
    check(sys.argv[sys.argv.index("--check") + 1])

keras.utils.set_random_seed(0)
L = keras.layers
OUT = os.path.join(ROOT, "keras2" if KERAS2 else "keras3")
os.makedirs(OUT, exist_ok=True)


def randomize(model, seed):
    rng = np.random.default_rng(seed)
    for v in model.weights:
        name = getattr(v, "path", None) or v.name
        shape = tuple(v.shape)
        if "variance" in name:
            v.assign(rng.uniform(0.5, 1.5, shape).astype(np.float32))
        else:
            v.assign(rng.normal(0.0, 0.5, shape).astype(np.float32))


def normal(shape, seed):
    return np.random.default_rng(100 + seed).normal(0.0, 1.0, shape).astype(np.float32)


def tokens(shape, seed, vocab=10, pad_tail=0):
    ids = np.random.default_rng(200 + seed).integers(1, vocab, shape)
    if pad_tail:
        ids[:, -pad_tail:] = 0
    return ids.astype(np.float32)


def seq(name, input_shape, layers):
    return keras.Sequential([keras.Input(shape=input_shape)] + layers, name=name)


def rnn_models():
    return {
        "simple_rnn": (seq("simple_rnn", (5, 3), [L.SimpleRNN(4, return_sequences=True), L.SimpleRNN(3),
                                                  L.Dense(2)]), [normal((2, 5, 3), 1)]),
        "gru": (seq("gru", (5, 3), [L.GRU(4, return_sequences=True), L.GRU(3), L.Dense(2)]),
                [normal((2, 5, 3), 2)]),
        "gru_reset_before": (seq("gru_reset_before", (5, 3), [L.GRU(4, reset_after=False, return_sequences=True),
                                                              L.GRU(3, reset_after=False), L.Dense(2)]),
                             [normal((2, 5, 3), 3)]),
        "lstm": (seq("lstm", (5, 3), [L.LSTM(4, return_sequences=True), L.LSTM(3), L.Dense(2)]),
                 [normal((2, 5, 3), 4)]),
        "bidirectional": (seq("bidirectional", (5, 3), [
            L.Bidirectional(L.LSTM(3, return_sequences=True)),
            L.Bidirectional(L.GRU(2, reset_after=False), merge_mode="sum"),
            L.Dense(2)]), [normal((2, 5, 3), 5)]),
    }


def models():
    m = {
        "dense": (seq("dense", (5,), [L.Dense(4, activation="relu"), L.Dense(3, activation="softmax")]),
                  [normal((3, 5), 10)]),
        "activations": (seq("activations", (6,), [
            L.Dense(6, activation="elu"), L.Activation("tanh"), L.Dense(6, activation="sigmoid"),
            L.Activation("softplus"), L.Dense(6, activation="selu"), L.Activation("swish"),
            L.Dense(6, activation="softsign"), L.Activation("relu6"), L.Dense(6, activation="gelu"),
            L.Activation("hard_sigmoid"), L.Dense(6, activation="exponential"), L.Dense(3, activation="linear"),
            L.Activation("softmax")]), [normal((3, 6), 11)]),
        "dropout_reshape": (seq("dropout_reshape", (12,), [
            L.Dropout(0.3), L.Reshape((3, 4)), L.Flatten(), L.Dense(2)]), [normal((2, 12), 12)]),
        "conv1d": (seq("conv1d", (9, 3), [
            L.Conv1D(4, 3, strides=2, padding="same", activation="relu"), L.MaxPooling1D(2, padding="same"),
            L.Conv1D(3, 2, padding="valid"), L.AveragePooling1D(2, strides=1, padding="same"), L.Flatten(),
            L.Dense(2)]), [normal((2, 9, 3), 13)]),
        "conv1d_global": (seq("conv1d_global", (8, 2), [
            L.Conv1D(5, 3, padding="causal", dilation_rate=2), L.AveragePooling1D(2), L.GlobalAveragePooling1D(),
            L.Dense(2)]), [normal((2, 8, 2), 14)]),
        "conv2d": (seq("conv2d", (7, 7, 2), [
            L.Conv2D(3, 3, strides=2, padding="same", activation="relu"), L.MaxPooling2D(2, padding="same"),
            L.Flatten(), L.Dense(3)]), [normal((2, 7, 7, 2), 15)]),
        "conv2d_pools": (seq("conv2d_pools", (8, 6, 2), [
            L.Conv2D(4, (3, 2), padding="valid"), L.AveragePooling2D(2, strides=1, padding="same"),
            L.MaxPooling2D((2, 2), strides=(2, 1)), L.Conv2D(3, 2, strides=2, padding="same"),
            L.GlobalAveragePooling2D(), L.Dense(2)]), [normal((2, 8, 6, 2), 16)]),
        "batchnorm": (seq("batchnorm", (6, 6, 2), [
            L.Conv2D(3, 3), L.BatchNormalization(), L.Activation("relu"), L.Flatten(), L.BatchNormalization(),
            L.Dense(2)]), [normal((2, 6, 6, 2), 17)]),
        "embedding": (seq("embedding", (5,), [L.Embedding(10, 4), L.Flatten(), L.Dense(2)]),
                      [tokens((3, 5), 18)]),
        "text": (seq("text", (6,), [
            L.Embedding(10, 4, mask_zero=True), L.Bidirectional(L.GRU(3, return_sequences=True)),
            L.LSTM(3), L.Dense(2, activation="softmax")]), [tokens((3, 6), 19, pad_tail=2)]),
    }
    m.update(rnn_models())
    if not KERAS2:  # Keras 2 on a CPU has no channels_first convolution
        m["conv2d_channels_first"] = (seq("conv2d_channels_first", (2, 7, 7), [
            L.Conv2D(3, 3, strides=2, padding="same", data_format="channels_first"),
            L.MaxPooling2D(2, data_format="channels_first"), L.Flatten(), L.Dense(2)]), [normal((2, 2, 7, 7), 20)])
    # Functional: two inputs, a shared layer, Add and Concatenate, two outputs.
    a, b = keras.Input(shape=(4,), name="a"), keras.Input(shape=(4,), name="b")
    shared = L.Dense(3, activation="tanh", name="shared")
    sa, sb = shared(a), shared(b)
    added = L.Add(name="add")([sa, sb])
    joined = L.Concatenate(name="concat")([added, a])
    out1 = L.Dense(2, activation="softmax", name="class")(joined)
    out2 = L.Dense(1, name="value")(added)
    m["functional_merge"] = (keras.Model([a, b], [out1, out2], name="functional_merge"),
                             [normal((3, 4), 21), normal((3, 4), 22)])
    # Functional CNN with a residual Add and a Flatten feeding a Dense.
    x = keras.Input(shape=(6, 6, 2), name="image")
    c1 = L.Conv2D(4, 3, padding="same", activation="relu", name="c1")(x)
    c2 = L.Conv2D(4, 3, padding="same", name="c2")(c1)
    res = L.Add(name="residual")([c1, c2])
    pooled = L.MaxPooling2D(2, name="pool")(res)
    flat = L.Flatten(name="flat")(pooled)
    m["functional_cnn"] = (keras.Model(x, L.Dense(3, name="head")(flat), name="functional_cnn"),
                           [normal((2, 6, 6, 2), 23)])
    return m


for i, (name, (model, inputs)) in enumerate(models().items()):
    randomize(model, i + 1)
    base = os.path.join(OUT, name)
    for path in [base + ".h5", base + ".keras", base + ".weights.h5"]:
        if os.path.exists(path):
            os.remove(path)
    model.save(base + ".h5")
    if KERAS2:
        model.save_weights(base + ".weights.h5")  # the legacy h5 weights layout
    else:
        model.save(base + ".keras")
        model.save_weights(base + ".weights.h5")  # Keras 3's own weights layout
    outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    for k, x in enumerate(inputs):
        np.save(f"{base}.in{k}.npy", x)
    for k, y in enumerate(outputs):
        np.save(f"{base}.out{k}.npy", np.asarray(y, dtype=np.float32))
    print(f"{name}: {len(inputs)} input(s), outputs {[tuple(y.shape) for y in outputs]}")
with open(os.path.join(OUT, "versions.txt"), "w") as f:
    f.write(("tf-keras (TF_USE_LEGACY_KERAS=1): " if KERAS2 else "") + VERSIONS + "\n")

if not KERAS2:
    subprocess.run([sys.executable, os.path.abspath(__file__), "--keras2"], check=True)
