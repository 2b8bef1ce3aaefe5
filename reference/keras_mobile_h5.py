"""Writes nn/tests/fixtures/keras_mobile.h5, a Keras model of the layers mobile CNNs
(MobileNetV2, EfficientNet, Xception) are made of, and prints what Keras predicts for it.

Run: ~/.cache/derin-peers/venv-tf/bin/python reference/keras_mobile_h5.py

Printed with Keras 3.15.1 on TensorFlow 2.21.0. Random weights (seed 11, normal with
standard deviation 0.5) so that every weight layout matters; the input is
x[i] = sin(0.37·i + 0.1) in row-major order, shape [2, 7, 7, 3]; what it prints is what
nn/tests/hdf5_layers.rs checks.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "nn", "tests", "fixtures", "keras_mobile.h5")
print("keras", keras.__version__)
L = keras.layers
model = keras.Sequential([
    keras.Input(shape=(7, 7, 3)),
    L.Rescaling(0.5, offset=0.1),
    L.ZeroPadding2D(((1, 0), (0, 1))),
    L.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same"),
    L.ReLU(max_value=6.0),
    L.SeparableConv2D(4, 3, padding="same", activation="relu"),
    L.UpSampling2D(2),
    L.Cropping2D(((1, 0), (0, 1))),
    L.ReLU(negative_slope=0.1, threshold=0.2),
    L.GlobalAveragePooling2D(),
    L.Dense(2),
], name="mobile")
rng = np.random.default_rng(11)
for v in model.weights:
    v.assign(rng.normal(0.0, 0.5, tuple(v.shape)).astype(np.float32))
model.save(OUT)
x = np.sin(0.37 * np.arange(2 * 7 * 7 * 3) + 0.1).astype(np.float32).reshape(2, 7, 7, 3)
print("keras_mobile.h5 predict:", ", ".join(f"{v:.8f}" for v in model.predict(x, verbose=0).ravel()))
