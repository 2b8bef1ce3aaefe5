"""Forward values of Keras' activations by name, for nn/src/activation/more.rs's tests.

Run from the repository root with TensorFlow's venv:

    python reference/activations_keras.py              # Keras 3 (keras 3.15.1, TensorFlow 2.21.0)
    TF_USE_LEGACY_KERAS=1 python reference/activations_keras.py   # Keras 2 (tf-keras 2.21.0)

Each activation is applied, by its name (`keras.activations.get(name)`, as a layer config's
`activation` key resolves it), to the row X below (a [2, 5] matrix for the softmax-like ones)
and printed with 8 significant digits.
"""

import os

import numpy as np

X = np.array([[-3.5, -1.2, -0.7, -0.3, 0.0], [0.2, 0.6, 1.5, 3.1, 7.0]], dtype=np.float32)

if os.environ.get("TF_USE_LEGACY_KERAS") == "1":
    import tensorflow as tf
    import tf_keras as keras

    lib = f"tf-keras {keras.__version__}, TensorFlow {tf.__version__}"
    names = ["elu", "exponential", "gelu", "hard_sigmoid", "leaky_relu", "linear", "log_softmax", "mish",
             "relu", "relu6", "selu", "sigmoid", "silu", "softmax", "softplus", "softsign", "swish", "tanh"]

    def run(name):
        return np.asarray(keras.activations.get(name)(tf.constant(X)))
else:
    import keras

    lib = f"keras {keras.__version__}, backend {keras.backend.backend()}"
    from keras.src.activations import ALL_OBJECTS_DICT

    names = sorted(ALL_OBJECTS_DICT)

    def run(name):
        return keras.ops.convert_to_numpy(keras.activations.get(name)(X))

print(f"# {lib}, NumPy {np.__version__}")
print("# x =", ", ".join(f"{v:.1f}" for v in X.ravel()))
for name in names:
    try:
        y = run(name)
    except Exception as e:  # threshold needs arguments, glu halves the last axis, ...
        print(f"{name}: not callable by name alone: {type(e).__name__}: {str(e).splitlines()[0][:80]}")
        continue
    if y.shape != X.shape:
        print(f"{name}: output shape {y.shape} differs from input {X.shape}")
        continue
    print(f"{name}: [" + ", ".join(f"{v:.8g}" for v in y.ravel()) + "]")
