"""Writes the Keras 2 (tf-keras) full-model `.h5` fixtures that nn/tests/keras2.rs loads.

Run: TF_USE_LEGACY_KERAS=1 ~/.cache/derin-peers/venv-tf/bin/python reference/keras2_layers.py
(the script sets TF_USE_LEGACY_KERAS itself). For each NAME it writes, into
nn/tests/fixtures/keras2/: NAME.h5 (`model.save("NAME.h5")`, Keras 2's legacy HDF5 layout),
NAME.in.npy (the float32 input; token ids as float32) and NAME.out.npy (Keras' `predict`).
Weights are random (BatchNormalization's moving statistics too) so that layouts matter;
everything is channels_last (Keras 2 on CPU supports only that for pooling/conv).
`same` padding is covered at stride 2 on even and odd sizes and with even kernels (the
asymmetric case: TensorFlow puts the extra row/column at the bottom/right).
"""
import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
from tf_keras import layers as L  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "nn", "tests", "fixtures", "keras2")
VERSIONS = f"tf-keras {keras.__version__}, tensorflow {tf.__version__}, h5py {h5py.__version__}, numpy {np.__version__}"
print(VERSIONS)
rng = np.random.default_rng(0)


def randomize(model):
    """Random non-trivial weights; BatchNormalization variances positive."""
    for layer in model.layers:
        ws = []
        for w in layer.weights:
            name = w.name.split("/")[-1]
            shape = tuple(w.shape)
            if "moving_variance" in name or "gamma" in name:
                ws.append(rng.uniform(0.5, 1.5, shape))
            elif "embeddings" in name:
                ws.append(rng.normal(0, 1.0, shape))
            else:
                ws.append(rng.normal(0, 0.5, shape))
        layer.set_weights([w.astype(np.float32) for w in ws])


def seq(shape, *layers, dtype="float32"):
    return keras.Sequential([L.InputLayer(input_shape=shape, dtype=dtype)] + list(layers))


def tokens(shape, vocab):
    return rng.integers(0, vocab, size=shape).astype(np.float32)


def normal(shape):
    return rng.normal(0, 1, size=shape).astype(np.float32)


CASES = {}


def case(name, model, x):
    CASES[name] = (model, x)


case("dense", seq((5,), L.Dense(4, activation="tanh"), L.Dense(3, use_bias=False)), normal((2, 5)))
case("activation", seq((6,), L.Activation("relu"), L.Activation("softmax")), normal((2, 6)))
case("dropout", seq((4,), L.Dropout(0.5), L.Dense(2)), normal((2, 4)))
case("flatten_reshape", seq((2, 3, 2), L.Flatten(), L.Reshape((3, 4)), L.Dense(2)), normal((2, 2, 3, 2)))
case("batchnorm", seq((3, 4), L.BatchNormalization(), L.Flatten(), L.Dense(2)), normal((2, 3, 4)))
case("batchnorm2d", seq((4, 4, 3), L.BatchNormalization(axis=-1, epsilon=1e-2, center=False)), normal((2, 4, 4, 3)))
case("embedding", seq((5,), L.Embedding(10, 3, input_length=5), L.Flatten()), tokens((2, 5), 10))
case("conv1d_valid", seq((7, 3), L.Conv1D(4, 3, activation="relu"), L.Conv1D(2, 2, strides=2)), normal((2, 7, 3)))
case("conv1d_dilated", seq((9, 2), L.Conv1D(3, 3, dilation_rate=2), L.Conv1D(2, 3, padding="causal")), normal((2, 9, 2)))
for size in (8, 9):
    case(f"conv1d_same_s2_{size}", seq((size, 2), L.Conv1D(3, 3, strides=2, padding="same")), normal((2, size, 2)))
    case(f"conv2d_same_s2_{size}",
         seq((size, size - 1, 2), L.Conv2D(3, (3, 3), strides=2, padding="same")), normal((2, size, size - 1, 2)))
    case(f"maxpool1d_same_s2_{size}", seq((size, 2), L.MaxPooling1D(3, strides=2, padding="same")), normal((2, size, 2)))
    case(f"avgpool1d_same_s2_{size}",
         seq((size, 2), L.AveragePooling1D(3, strides=2, padding="same")), normal((2, size, 2)))
    case(f"maxpool2d_same_s2_{size}",
         seq((size, size - 1, 2), L.MaxPooling2D(3, strides=2, padding="same")), normal((2, size, size - 1, 2)))
    case(f"avgpool2d_same_s2_{size}",
         seq((size, size - 1, 2), L.AveragePooling2D(3, strides=2, padding="same")), normal((2, size, size - 1, 2)))
case("conv1d_same_k4", seq((7, 2), L.Conv1D(2, 4, padding="same")), normal((2, 7, 2)))
case("conv2d_same_k2", seq((5, 4, 2), L.Conv2D(2, (2, 4), padding="same", activation="sigmoid")), normal((2, 5, 4, 2)))
case("conv2d_valid", seq((6, 5, 2), L.Conv2D(3, 2, strides=(2, 1), dilation_rate=1)), normal((2, 6, 5, 2)))
case("conv2d_groups", seq((5, 5, 4), L.Conv2D(6, 3, groups=2, padding="same", strides=2)), normal((2, 5, 5, 4)))
case("conv1d_groups", seq((6, 4), L.Conv1D(4, 3, groups=2)), normal((2, 6, 4)))
case("maxpool2d_valid", seq((5, 6, 2), L.MaxPooling2D(), L.AveragePooling2D((1, 2))), normal((2, 5, 6, 2)))
case("pool1d_valid", seq((7, 2), L.MaxPooling1D(), L.AveragePooling1D(2, strides=1)), normal((2, 7, 2)))
case("avgpool2d_same_p2", seq((5, 5, 1), L.AveragePooling2D(2, padding="same")), normal((2, 5, 5, 1)))
case("global_pool", seq((4, 3, 2), L.Conv2D(3, 2), L.GlobalAveragePooling2D()), normal((2, 4, 3, 2)))
case("global_pool1d", seq((5, 3), L.GlobalAveragePooling1D()), normal((2, 5, 3)))
case("simple_rnn", seq((4, 3), L.SimpleRNN(3, return_sequences=True), L.SimpleRNN(2, activation="relu")), normal((2, 4, 3)))
case("gru", seq((4, 3), L.GRU(3)), normal((2, 4, 3)))
case("gru_reset_before", seq((4, 3), L.GRU(3, reset_after=False, return_sequences=True)), normal((2, 4, 3)))
case("gru_reset_before_backwards", seq((5, 2), L.GRU(2, reset_after=False, go_backwards=True)), normal((2, 5, 2)))
case("lstm", seq((4, 3), L.LSTM(3, return_sequences=True), L.LSTM(2)), normal((2, 4, 3)))
case("bidirectional", seq((4, 3), L.Bidirectional(L.LSTM(2)), L.Dense(2)), normal((2, 4, 3)))
case("bidirectional_gru_sum",
     seq((4, 3), L.Bidirectional(L.GRU(2, reset_after=False, return_sequences=True), merge_mode="sum")),
     normal((2, 4, 3)))
case("mixed_cnn", seq((7, 7, 2), L.Conv2D(4, 3, strides=2, padding="same", activation="relu"), L.BatchNormalization(),
                      L.MaxPooling2D(2), L.Flatten(), L.Dense(3, activation="softmax")), normal((2, 7, 7, 2)))
case("mixed_text", seq((6,), L.Embedding(12, 4),
                       L.Bidirectional(L.GRU(3, reset_after=False, return_sequences=True)),
                       L.LSTM(3), L.Dense(2)), tokens((2, 6), 12))
case("mixed_text_masked", seq((6,), L.Embedding(12, 4, mask_zero=True),
                              L.Bidirectional(L.GRU(3, reset_after=False, return_sequences=True)),
                              L.GRU(3, reset_after=False), L.Dense(2)),
     np.array([[3, 5, 1, 7, 0, 0], [2, 11, 4, 9, 8, 6]], dtype=np.float32))

only = sys.argv[1:]
for name, (model, x) in CASES.items():
    if only and name not in only:
        continue
    randomize(model)
    y = model.predict(x, verbose=0).astype(np.float32)
    model.save(os.path.join(OUT, f"{name}.h5"))
    np.save(os.path.join(OUT, f"{name}.in.npy"), x)
    np.save(os.path.join(OUT, f"{name}.out.npy"), y)
    print(f"{name}: in {x.shape} out {y.shape} {y.reshape(-1)[:3]}")

with open(os.path.join(OUT, "README.txt"), "w") as f:
    f.write("Keras 2 full-model .h5 fixtures for nn/tests/keras2.rs, written by reference/keras2_layers.py\n")
    f.write(f"with {VERSIONS} (TF_USE_LEGACY_KERAS=1).\n")
    f.write("NAME.h5: model.save(); NAME.in.npy: float32 input (token ids as float32); NAME.out.npy: Keras' predict.\n")
