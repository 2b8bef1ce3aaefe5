"""Writes the functional-model `.h5` fixtures that nn/tests/functional_h5.rs loads, and
checks that Keras loads the functional `.h5` files Derin saves.

Run: ~/.cache/derin-peers/venv-tf/bin/python reference/keras_functional.py
       writes nn/tests/fixtures/functional/keras3.h5 with Keras 3, then reruns itself
       with TF_USE_LEGACY_KERAS=1 to write keras2.h5 with tf-keras (Keras 2);
     ~/.cache/derin-peers/venv-tf/bin/python reference/keras_functional.py --check FILE.h5
       loads FILE.h5 (written by Derin) with Keras 3 (`keras.models.load_model`),
       predicts on the fixture inputs and compares with FILE.h5.out0.npy / .out1.npy
       (Derin's predictions, written next to it by the Rust test
       `derin_saved_file_for_keras`), and likewise FILE.h5.single.h5 (one input, one
       output: Dense + Concatenate); exits 1 unless every value is within 1e-5.
       Checked by hand with keras 3.15.1, tensorflow 2.21.0, h5py 3.14.0:
       see CHECKED below.

The model (both files): inputs a [4] and b [3];
  proj = Dense(4, relu, name="proj")(b)
  shared = Dense(5, tanh, name="shared"), called on a (node 0) and on proj (node 1)
  cat = Concatenate()([s0, s1]); sum = Add()([s0, s1]); prod = Multiply()([s0, s1])
  avg = Average()([sum, prod])
  out1 = Dense(2, softmax, name="out1")(cat); out2 = Dense(3, name="out2")(avg)
  Model([a, b], [out1, out2]), compiled with Adam and MSE (the loader ignores it).
Weights: Keras' seeded initializers, biases set to sin(0.7·k) so they matter.
Inputs (written as inputs_a.npy [5, 4], inputs_b.npy [5, 3]): x[i] = sin(0.37·i + 0.1),
row-major; Keras' outputs as keras3_out0.npy, keras3_out1.npy, keras2_out0.npy, ...
"""
# CHECKED by hand on 2026-11-27 with keras 3.15.1, tensorflow 2.21.0, h5py 3.14.0:
#   DERIN_FUNCTIONAL_OUT=/tmp/derin_functional.h5 cargo test -p derin-nn --profile test \
#       --test functional_h5 derin_saved_file_for_keras
#   reference/keras_functional.py --check /tmp/derin_functional.h5
# Keras loads Derin's file (layers listed b, a, proj, shared, sum, prod, cat, avg, out1,
# out2; 81 params) and predicts output 0 within 2.98e-08 and output 1 within 7.45e-08
# of Derin; the one-input model (dense, concatenate; 15 params) predicts exactly
# Derin's values (max difference 0): OK. The two-output model, compiled in Derin with
# Adam and losses [categorical_crossentropy, mean_squared_error], weights [1, 0.5], loads
# compiled in Keras with those; the uncompiled one-input model loads uncompiled.
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

LEGACY = os.environ.get("TF_USE_LEGACY_KERAS") == "1"

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

if LEGACY:
    import tf_keras as keras  # noqa: E402
else:
    import keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "nn", "tests", "fixtures", "functional")

print(f"keras {keras.__version__}, tensorflow {tf.__version__}, h5py {h5py.__version__}, numpy {np.__version__}")


def inputs():
    def fill(shape):
        n = int(np.prod(shape))
        return np.sin(0.37 * np.arange(n) + 0.1).astype(np.float32).reshape(shape)
    return fill((5, 4)), fill((5, 3))


if "--check" in sys.argv:
    path = sys.argv[sys.argv.index("--check") + 1]
    worst = 0.0
    model = keras.models.load_model(path)
    model.summary()
    print("compiled:", model.compiled, "loss:", model.loss,
          "loss_weights:", getattr(getattr(model, "_compile_loss", None), "_user_loss_weights", None),
          "optimizer:", type(getattr(model, "optimizer", None)).__name__)
    checks = [(path, model.predict(list(inputs()), verbose=0))]
    if os.path.exists(f"{path}.single.h5"):  # one input (a), one output
        single = keras.models.load_model(f"{path}.single.h5")
        single.summary()
        checks.append((f"{path}.single.h5", [single.predict(inputs()[0], verbose=0)]))
    for file, ys in checks:
        for k, y in enumerate(ys):
            derin = np.load(f"{file}.out{k}.npy")
            diff = float(np.max(np.abs(derin - y)))
            worst = max(worst, diff)
            print(f"{os.path.basename(file)} output {k}: shape {y.shape}, max |keras - derin| = {diff:.3g}")
    print("OK" if worst <= 1e-5 else "MISMATCH")
    sys.exit(0 if worst <= 1e-5 else 1)

keras.utils.set_random_seed(0)
L = keras.layers
a = keras.Input((4,), name="a")
b = keras.Input((3,), name="b")
proj = L.Dense(4, activation="relu", name="proj")(b)
shared = L.Dense(5, activation="tanh", name="shared")
s0, s1 = shared(a), shared(proj)
cat = L.Concatenate(name="cat")([s0, s1])
total = L.Add(name="sum")([s0, s1])
prod = L.Multiply(name="prod")([s0, s1])
avg = L.Average(name="avg")([total, prod])
out1 = L.Dense(2, activation="softmax", name="out1")(cat)
out2 = L.Dense(3, name="out2")(avg)
model = keras.Model([a, b], [out1, out2], name="two_heads")
for layer in model.layers:
    if layer.weights:
        kernel, bias = layer.get_weights()
        bias = np.sin(0.7 * np.arange(bias.size)).astype(np.float32)
        layer.set_weights([kernel, bias])
model.compile(optimizer="adam", loss="mse")
print("model.layers:", [layer.name for layer in model.layers])

tag = "keras2" if LEGACY else "keras3"
os.makedirs(OUT, exist_ok=True)
xa, xb = inputs()
ys = model.predict([xa, xb], verbose=0)
model.save(os.path.join(OUT, f"{tag}.h5"))
np.save(os.path.join(OUT, "inputs_a.npy"), xa)
np.save(os.path.join(OUT, "inputs_b.npy"), xb)
for k, y in enumerate(ys):
    np.save(os.path.join(OUT, f"{tag}_out{k}.npy"), y.astype(np.float32))
    print(f"{tag} output {k}:", y[0])
with h5py.File(os.path.join(OUT, f"{tag}.h5"), "r") as f:
    print("layer_names:", list(f["model_weights"].attrs["layer_names"]))

if not LEGACY:
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
    subprocess.run([sys.executable, os.path.abspath(__file__)], env=env, check=True)
