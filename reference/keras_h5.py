"""Writes the Keras reference `.h5` files that nn/tests/hdf5.rs loads, and prints what
Keras predicts for them.

Run: ~/.cache/derin-peers/venv-tf/bin/python reference/keras_h5.py [--dump]
     ~/.cache/derin-peers/venv-tf/bin/python reference/keras_h5.py --check FILE.h5
       (loads a file Derin saved with Keras, prints its summary and what it predicts for
       ones; checked by hand with Keras 3.15.1: Derin's files load, compiled, with the
       optimizer's iteration count)
Writes nn/tests/fixtures/keras_dense.h5 (Dense-only, compiled, one training step so the
file holds optimizer weights) and nn/tests/fixtures/keras_layers.h5 (every layer Derin
reads: Permute, Flatten, Dense with an L2 regularizer, Dropout, Reshape, Activation),
in Keras' legacy HDF5 layout (`model.save("x.h5")`), and, with random weights (BatchNormalization
statistics included) so that layouts matter, nn/tests/fixtures/keras_cnn.h5 (Conv2D, BatchNormalization,
MaxPooling2D, Conv2DTranspose, AveragePooling2D, Flatten, Dense; channels_last), keras_conv1d.h5 (Conv1D
causal, MaxPooling1D, AveragePooling1D same, LayerNormalization, GlobalMaxPooling1D, Dense),
keras_masked.h5 (Masking, SimpleRNN, GlobalAveragePooling1D, Dense) and keras_text.h5 (Embedding
mask_zero, Bidirectional(GRU return_sequences), LSTM return_sequences, GlobalAveragePooling1D, Dense).
Inputs of these: x[i] = sin(0.37·i + 0.1) in row-major order (token ids: (7·i) mod 10, the last two of
each row 0 = padding); the predictions printed are what nn/tests/hdf5_layers.rs checks.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "nn", "tests", "fixtures")
DUMP = "--dump" in sys.argv

print(f"keras {keras.__version__}, tensorflow {tf.__version__}, h5py {h5py.__version__}, numpy {np.__version__}")
if "--check" in sys.argv:
    derin = keras.models.load_model(sys.argv[sys.argv.index("--check") + 1])
    derin.summary()
    print("predict(ones):", derin.predict(np.ones((1,) + derin.input_shape[1:], dtype=np.float32), verbose=0))
    print("optimizer:", getattr(derin, "optimizer", None))
    sys.exit(0)
keras.utils.set_random_seed(0)


def dump(path):
    """Prints every group, dataset and attribute of an HDF5 file."""
    with h5py.File(path, "r") as f:
        def show(name, obj):
            kind = "dataset" if isinstance(obj, h5py.Dataset) else "group"
            extra = f" {obj.shape} {obj.dtype}" if kind == "dataset" else ""
            print(f"  {kind} /{name}{extra}")
            for k, v in obj.attrs.items():
                print(f"    @{k} = {v!r} ({type(v).__name__}, {obj.attrs.get_id(k).dtype})")
        for k, v in f.attrs.items():
            print(f"  @{k} = {v!r} ({f.attrs.get_id(k).dtype})")
        f.visititems(show)


def fmt(a):
    return ", ".join(f"{v:.8f}" for v in np.asarray(a, dtype=np.float64).ravel())


# 1. Dense only, compiled with Adam, trained one step (so optimizer weights exist).
dense = keras.Sequential(
    [keras.Input(shape=(4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(2, activation="softmax")],
    name="sequential",
)
dense.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
x_train = np.arange(16, dtype=np.float32).reshape(4, 4) / 8.0 - 1.0
dense.train_on_batch(x_train, np.array([0, 1, 1, 0]))
path = os.path.join(OUT, "keras_dense.h5")
dense.save(path)
x = np.array([[0.5, -1.0, 2.0, 0.25], [-0.75, 1.5, 0.0, -2.0]], dtype=np.float32)
print("keras_dense.h5 input:", fmt(x))
print("keras_dense.h5 predict:", fmt(dense.predict(x, verbose=0)))
if DUMP:
    dump(path)

# 2. Every layer Derin reads today.
layers = keras.Sequential(
    [
        keras.Input(shape=(2, 3)),
        keras.layers.Permute((2, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(4, activation="tanh", kernel_regularizer=keras.regularizers.L2(0.01)),
        keras.layers.Dropout(0.25),
        keras.layers.Reshape((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Activation("sigmoid"),
        keras.layers.Dense(2, use_bias=False),
    ],
    name="layers",
)
path = os.path.join(OUT, "keras_layers.h5")
layers.save(path)
x = np.arange(12, dtype=np.float32).reshape(2, 2, 3) / 6.0 - 1.0
print("keras_layers.h5 input:", fmt(x))
print("keras_layers.h5 predict:", fmt(layers.predict(x, verbose=0)))
if DUMP:
    dump(path)
    with h5py.File(path, "r") as f:
        print(json.dumps(json.loads(f.attrs["model_config"]), indent=1))


# 3. The other layers, with random weights so that every layout matters.
def randomize(model, seed):
    rng = np.random.default_rng(seed)
    for v in model.weights:
        shape = tuple(v.shape)
        if "variance" in v.path:
            v.assign(rng.uniform(0.5, 1.5, shape).astype(np.float32))
        else:
            v.assign(rng.normal(0.0, 0.5, shape).astype(np.float32))


def sin_input(shape):
    return np.sin(0.37 * np.arange(int(np.prod(shape))) + 0.1).astype(np.float32).reshape(shape)


L = keras.layers
models = {
    "keras_cnn.h5": (keras.Sequential([
        keras.Input(shape=(6, 6, 2)),
        L.Conv2D(3, (3, 3), activation="relu", padding="same"),
        L.BatchNormalization(),
        L.MaxPooling2D(2),
        L.Conv2DTranspose(2, (2, 2), strides=(2, 2)),
        L.AveragePooling2D(2),
        L.Flatten(),
        L.Dense(3, activation="softmax"),
    ], name="cnn"), sin_input((2, 6, 6, 2))),
    "keras_conv1d.h5": (keras.Sequential([
        keras.Input(shape=(8, 3)),
        L.Conv1D(4, 3, padding="causal", activation="relu"),
        L.MaxPooling1D(2),
        L.AveragePooling1D(2, strides=1, padding="same"),
        L.LayerNormalization(),
        L.GlobalMaxPooling1D(),
        L.Dense(2),
    ], name="conv1d"), sin_input((2, 8, 3))),
    "keras_masked.h5": (keras.Sequential([
        keras.Input(shape=(5, 2)),
        L.Masking(0.0),
        L.SimpleRNN(3, return_sequences=True),
        L.GlobalAveragePooling1D(),
        L.Dense(2),
    ], name="masked"), np.concatenate([sin_input((2, 3, 2)), np.zeros((2, 2, 2), np.float32)], axis=1)),
    "keras_text.h5": (keras.Sequential([
        keras.Input(shape=(6,)),
        L.Embedding(10, 4, mask_zero=True),
        L.Bidirectional(L.GRU(3, return_sequences=True)),
        L.LSTM(3, return_sequences=True),
        L.GlobalAveragePooling1D(),
        L.Dense(2, activation="softmax"),
    ], name="text"), np.where(np.arange(12).reshape(2, 6) % 6 >= 4, 0, (7 * np.arange(12).reshape(2, 6)) % 10)
        .astype(np.float32)),
}
for i, (name, (model, x)) in enumerate(models.items()):
    randomize(model, i + 1)
    path = os.path.join(OUT, name)
    model.save(path)
    print(f"{name} input:", fmt(x))
    print(f"{name} predict:", fmt(model.predict(x, verbose=0)))
    if DUMP:
        dump(path)
