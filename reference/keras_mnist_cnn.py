"""Trains a small Keras CNN on the bundled MNIST and saves it as
vision/examples/data/keras_mnist_cnn.h5: the "Keras-saved CNN" the `visualize` example
runs Grad-CAM on.

Run: ~/.cache/derin-peers/venv-tf/bin/python reference/keras_mnist_cnn.py

Written with Keras 3.15.1 on TensorFlow 2.21.0: conv 8 3x3 relu (`conv1`), max pool,
conv 16 3x3 relu (`conv2`), max pool, flatten, dense 10 (logits, `logits`); channels
last; Adam, 2 epochs of the 60000 training digits (scaled to [0, 1]), seed 0. Prints its
test accuracy.
"""
import gzip
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def images(path):
    return idx(path, 16).reshape(-1, 28, 28, 1).astype(np.float32) / 255.0


x = images(os.path.join(ROOT, "datasets-mnist-train/assets/mnist/train-images-idx3-ubyte.gz"))
y = idx(os.path.join(ROOT, "datasets-mnist-train/assets/mnist/train-labels-idx1-ubyte.gz"), 8)
xt = images(os.path.join(ROOT, "datasets/assets/mnist/t10k-images-idx3-ubyte.gz"))
yt = idx(os.path.join(ROOT, "datasets/assets/mnist/t10k-labels-idx1-ubyte.gz"), 8)
keras.utils.set_random_seed(0)
L = keras.layers
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    L.Conv2D(8, 3, activation="relu", name="conv1"),
    L.MaxPooling2D(name="pool1"),
    L.Conv2D(16, 3, activation="relu", name="conv2"),
    L.MaxPooling2D(name="pool2"),
    L.Flatten(name="flatten"),
    L.Dense(10, name="logits"),
], name="keras_mnist_cnn")
model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
model.fit(x, y, batch_size=128, epochs=2, verbose=0)
print("keras", keras.__version__, "test accuracy", model.evaluate(xt, yt, verbose=0)[1])
model.save(os.path.join(ROOT, "vision/examples/data/keras_mnist_cnn.h5"))

# A tiny CNN with Adam's slots after three steps, for nn/tests/keras_optimizer_layout.rs:
# the slots of a conv kernel are stored in Keras' [kh, kw, in, out] layout.
tiny = keras.Sequential([
    keras.Input(shape=(6, 6, 1)),
    L.Conv2D(2, 3, activation="relu", name="conv"),
    L.Flatten(name="flatten"),
    L.Dense(3, name="dense"),
], name="tiny")
tiny.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
tiny.fit(x[:12, 11:17, 11:17], y[:12] % 3, batch_size=4, epochs=1, verbose=0)
tiny.save(os.path.join(ROOT, "nn/tests/fixtures/optimizer/keras_conv_adam.h5"))
print("wrote keras_conv_adam.h5")
