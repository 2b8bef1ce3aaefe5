"""Reference outputs of Keras' DepthwiseConv2D for nn/src/layers/depthwise/tests.rs.

Run from the repository root with a Python that has TensorFlow and Keras 3:

    python reference/keras_depthwise.py

Printed with Keras 3.15.1 on TensorFlow 2.21 (CPU, float32); the test hard-codes what it
prints. Weights and input are formulas the test repeats:
kernel[a, b, c, m] = sin(0.3·(7a + 5b + 3c + m)) (Keras layout [kh, kw, C, M]),
bias[k] = 0.1·k, x[n, i, j, c] = cos(0.2·(50n + 11i + 3j + c)) (channels-last).
"""
import math

import keras
import numpy as np

print("keras", keras.__version__)
n, h, w, c, m, kh, kw = 2, 5, 6, 3, 2, 3, 2
kernel = np.array(
    [[[[math.sin(0.3 * (7 * a + 5 * b + 3 * ch + q)) for q in range(m)] for ch in range(c)] for b in range(kw)] for a in range(kh)],
    dtype=np.float32,
)
bias = np.array([0.1 * k for k in range(c * m)], dtype=np.float32)
x = np.array(
    [[[[math.cos(0.2 * (50 * s + 11 * i + 3 * j + ch)) for ch in range(c)] for j in range(w)] for i in range(h)] for s in range(n)],
    dtype=np.float32,
)
for name, kwargs in [
    ("same_stride", dict(strides=(2, 1), padding="same")),
    ("valid_dilated", dict(dilation_rate=(2, 1), padding="valid")),
]:
    layer = keras.layers.DepthwiseConv2D((kh, kw), depth_multiplier=m, **kwargs)
    layer.build((None, h, w, c))
    layer.set_weights([kernel, bias])
    y = np.asarray(layer(x))
    print(name, list(y.shape), [round(float(v), 6) for v in y.flatten()])

# SeparableConv2D: the depthwise step above, then a 1x1 convolution to F = 4 filters with
# pointwise[0, 0, k, f] = cos(0.7·k − 0.4·f) and bias[f] = 0.05·f - 0.1, ReLU.
f = 4
pointwise = np.array([[[[math.cos(0.7 * k - 0.4 * q) for q in range(f)] for k in range(c * m)]]], dtype=np.float32)
sep_bias = np.array([0.05 * q - 0.1 for q in range(f)], dtype=np.float32)
layer = keras.layers.SeparableConv2D(f, (kh, kw), depth_multiplier=m, padding="same", activation="relu")
layer.build((None, h, w, c))
layer.set_weights([kernel, pointwise, sep_bias])
y = np.asarray(layer(x))
print("separable", list(y.shape), [round(float(v), 6) for v in y.flatten()])
