"""Reference values for the GRU with `reset_after=False` in nn/src/layers/recurrent/tests_more.rs:
Keras 3 (TensorFlow backend) and Keras 2 (tf-keras) forward passes and gradients.

Run: ~/.cache/derin-peers/venv-tf/bin/python reference/gru_reset_before.py

Inputs and weights follow the integer formulas of reference/recurrent.py, which the Rust
tests repeat: vals(count, seed)[k] = ((37·k + 11·seed) mod 17 − 8) / 10,
x[k] = ((5·k + 2) mod 9 − 4) / 4 for N=2, T=3, F=2; U=3. Keras layouts: kernel seed 4
[F, 3U], recurrent_kernel seed 5 [U, 3U], bias seed 7 [3U] (reset_after=False has one bias);
gates z, r, h. Gradients are of sum(out · probe), probe = vals seed 13 as [N, T, U].
"""
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
LEGACY = "--legacy" in sys.argv
if LEGACY:
    os.environ["TF_USE_LEGACY_KERAS"] = "1"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

if LEGACY:
    import tf_keras as keras  # noqa: E402
else:
    import keras  # noqa: E402

N, T, F, U = 2, 3, 2, 3


def vals(count, seed):
    return np.array([((37 * k + 11 * seed) % 17 - 8) / 10 for k in range(count)], dtype=np.float32)


def show(name, a):
    flat = ", ".join(f"{v:.6f}" for v in np.asarray(a).reshape(-1))
    print(f"{name} {list(np.shape(a))}: [{flat}]")


x = np.array([((5 * k + 2) % 9 - 4) / 4 for k in range(N * T * F)], dtype=np.float32).reshape(N, T, F)
weights = [vals(F * 3 * U, 4).reshape(F, 3 * U), vals(U * 3 * U, 5).reshape(U, 3 * U), vals(3 * U, 7)]
print(f"{'tf-keras' if LEGACY else 'keras'} {keras.__version__}, tensorflow {tf.__version__}")
for backwards in (False, True):
    gru = keras.layers.GRU(U, reset_after=False, return_sequences=True, go_backwards=backwards)
    gru.build((None, T, F))
    gru.set_weights(weights)
    xt = tf.constant(x)
    probe = tf.constant(vals(N * T * U, 13).reshape(N, T, U))
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = gru(xt)
        loss = tf.reduce_sum(out * probe)
    grads = tape.gradient(loss, [xt] + list(gru.trainable_weights))
    tag = "go_backwards " if backwards else ""
    show(f"gru reset_after=False {tag}sequences", out.numpy())
    if not backwards:
        for name, g in zip(["x", "kernel", "recurrent_kernel", "bias"], grads):
            show(f"gru reset_after=False grad {name}", g.numpy())

if not LEGACY:
    # The same numbers from Keras 2 (tf-keras), in a fresh interpreter.
    subprocess.run([sys.executable, __file__, "--legacy"], check=True)
