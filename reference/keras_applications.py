"""Writes nn/tests/fixtures/applications/: keras.applications models (weights=None, small
inputs, 10 classes, logits) saved by Keras as .h5 and .keras, gzipped, with an input and
what Keras predicts for it.

Run: ~/.cache/derin-peers/venv-tf/bin/python reference/keras_applications.py

Written with Keras 3.15.1 on TensorFlow 2.21.0. Every weight is set by a formula so
that the files compress (each is tens of megabytes unzipped): variable v of layer l,
flat index i, gets p = ((i·7919 + l·104729 + v·31) mod 17 − 8) / 8 — a kernel
p / √fan_in, a bias 0.1·p, gamma 0.5 + 0.1·p, beta and moving mean 0.1·p, moving variance
1 + 2·|p|, a Normalization layer mean 0.2·p and variance 1 + 0.5·|p|. The input
`{name}.in.npy` is x[i] = 0.5 + 0.5·sin(0.37·i + 0.1) (row-major, [1, H, W, 3]);
`{name}.out.npy` the logits, `[1, 10]` (VGG16: without its top, globally max-pooled
features `[1, 512]`).
"""
import gzip
import json
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "nn", "tests", "fixtures", "applications")
print("keras", keras.__version__)
A = keras.applications
MODELS = {
    "vgg16": (A.VGG16, 32),
    "resnet50": (A.ResNet50, 32),
    "mobilenet_v2": (A.MobileNetV2, 32),
    "densenet121": (A.DenseNet121, 32),
    "efficientnet_b0": (A.EfficientNetB0, 32),
    "xception": (A.Xception, 71),
}


def pattern(n, l, v):
    i = np.arange(n, dtype=np.int64)
    return (((i * 7919 + l * 104729 + v * 31) % 17) - 8).astype(np.float32) / 8.0


def set_weights(model):
    for l, layer in enumerate(model.layers):
        values = []
        for v, w in enumerate(layer.weights):
            name, shape = w.path.split("/")[-1], tuple(w.shape)
            p = pattern(int(np.prod(shape)) if shape else 1, l, v).reshape(shape)
            if name in ("kernel", "depthwise_kernel", "pointwise_kernel"):
                fan_in = int(np.prod(shape[:-1])) if name != "depthwise_kernel" else int(np.prod(shape[:2]))
                values.append(p / np.sqrt(fan_in))
            elif name == "gamma":
                values.append(0.5 + 0.1 * p)
            elif name in ("beta", "moving_mean", "bias"):
                values.append(0.1 * p)
            elif name == "moving_variance":
                values.append(1.0 + 2.0 * np.abs(p))
            elif name == "mean":
                values.append(0.2 * p)
            elif name == "variance":
                values.append(1.0 + 0.5 * np.abs(p))
            elif name == "count":
                values.append(np.full(shape, 1000, dtype=np.int64))
            else:
                raise ValueError(f"{layer.name}: weight {name}")
        if values:
            layer.set_weights(values)


def gz(path):
    with open(path, "rb") as f, gzip.open(path + ".gz", "wb", compresslevel=9) as g:
        shutil.copyfileobj(f, g)
    os.remove(path)


for name, (build, size) in MODELS.items():
    keras.utils.set_random_seed(0)
    if name == "vgg16":  # its 4096-unit top would triple the file: global max pooling instead
        model = build(weights=None, input_shape=(size, size, 3), include_top=False, pooling="max")
    else:
        model = build(weights=None, input_shape=(size, size, 3), classes=10, classifier_activation=None)
    set_weights(model)
    n = size * size * 3
    x = (0.5 + 0.5 * np.sin(0.37 * np.arange(n, dtype=np.float64) + 0.1)).astype(np.float32).reshape(1, size, size, 3)
    y = model.predict(x, verbose=0)
    base = os.path.join(OUT, name)
    np.save(base + ".in.npy", x)
    np.save(base + ".out.npy", y)
    for ext in (".h5", ".keras"):
        model.save(base + ext)
        gz(base + ext)
    # Keras' own float32 error: the same model in float64.
    keras.config.set_floatx("float64")
    config = json.loads(json.dumps(model.get_config()).replace('"float32"', '"float64"'))
    twin = keras.Model.from_config(config)
    twin.set_weights([w.astype(np.float64) if w.dtype == np.float32 else w for w in model.get_weights()])
    y64 = twin.predict(x.astype(np.float64), verbose=0)
    keras.config.set_floatx("float32")
    err = float(np.max(np.abs(y - y64)) / np.max(np.abs(y64)))
    sizes = [os.path.getsize(base + e + ".gz") // 1024 for e in (".h5", ".keras")]
    print(f"{name}: {model.count_params()} params, logits {np.round(y[0, :4], 5).tolist()}…, gz KiB {sizes}, float32 error {err:.1e}")
