"""Per-step reference values for derin-optim's optimizers.

Run from the repository root with a Python that has PyTorch (no NumPy needed):

    python reference/optim_reference.py

It prints Rust constants that optim/tests/reference.rs hard-codes; change both together.

Every case starts from the same parameter THETA0 and is fed the same five gradients
GRADS (fixed, not computed from a loss), one per step, in float32 on the CPU. After each
step the parameter's value is recorded, so each constant is 5 rows of 3 values.

Two kinds of reference:

* `torch.optim.*` where PyTorch implements the rule Derin offers (SGD, RMSprop with
  epsilon outside the square root, Adam/AdamW with epsilon added after bias correction,
  Adagrad with epsilon outside, NAdam with momentum_decay 0.004).
* A transcription, in float32 torch tensor ops, of the Keras 3 source
  (keras/src/optimizers/{rmsprop,adam,adamw,adagrad,nadam}.py and base_optimizer.py's
  `_apply_weight_decay`) where Keras differs from PyTorch: RMSprop and Adagrad put epsilon
  inside the square root, Adam uses "epsilon hat"
  (alpha = lr * sqrt(1 - b2^t) / (1 - b1^t); theta -= alpha * m / (sqrt(v) + eps)),
  and Nadam's momentum cache is u_t = b1 * (1 - 0.5 * 0.96^t) (no 0.004 factor).
  These are marked "keras formula" in the output.
"""

import struct
import sys
import warnings

warnings.filterwarnings("ignore")

import torch  # noqa: E402

torch.set_default_dtype(torch.float32)

THETA0 = [1.0, -2.0, 0.5]
GRADS = [
    [0.5, -1.0, 2.0],
    [0.1, 0.3, -0.7],
    [-0.4, 0.8, 0.05],
    [1.5, -0.2, 0.0],
    [-0.9, 0.6, -1.2],
]
F32 = torch.float32


def t(x):
    return torch.tensor(x, dtype=F32)


def run_torch(make_opt):
    p = torch.nn.Parameter(t(THETA0))
    opt = make_opt([p])
    rows = []
    for g in GRADS:
        p.grad = t(g)
        opt.step()
        rows.append(p.detach().clone().tolist())
    return rows


def run_manual(update):
    """`update(theta, g, state, step)` returns the new theta; step counts from 1."""
    theta = t(THETA0)
    state = {}
    rows = []
    for i, g in enumerate(GRADS):
        theta = update(theta, t(g), state, i + 1)
        rows.append(theta.clone().tolist())
    return rows


# ---- Keras 3 formulas, transcribed op by op -------------------------------------------


def keras_rmsprop(lr, rho, momentum, eps, centered):
    def update(theta, g, s, step):
        v = s.get("velocity", torch.zeros_like(theta))
        v = rho * v + (1 - rho) * g * g
        s["velocity"] = v
        if centered:
            a = s.get("average_gradient", torch.zeros_like(theta))
            a = rho * a + (1 - rho) * g
            s["average_gradient"] = a
            denominator = v - a * a + eps
        else:
            denominator = v + eps
        increment = lr * g / torch.sqrt(denominator)
        if momentum > 0:
            m = s.get("momentum", torch.zeros_like(theta))
            m = momentum * m + increment
            s["momentum"] = m
            return theta - m
        return theta - increment

    return update


def keras_adam(lr, b1, b2, eps, amsgrad, weight_decay=None):
    def update(theta, g, s, step):
        if weight_decay is not None:  # base_optimizer._apply_weight_decay, before the step
            theta = theta - theta * t(weight_decay) * t(lr)
        local_step = t(float(step))
        b1p = torch.pow(t(b1), local_step)
        b2p = torch.pow(t(b2), local_step)
        m = s.get("m", torch.zeros_like(theta))
        v = s.get("v", torch.zeros_like(theta))
        alpha = t(lr) * torch.sqrt(1 - b2p) / (1 - b1p)
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        s["m"], s["v"] = m, v
        if amsgrad:
            vh = s.get("vhat", torch.zeros_like(theta))
            vh = torch.maximum(vh, v)
            s["vhat"] = vh
            v = vh
        return theta - (m * alpha) / (torch.sqrt(v) + eps)

    return update


def keras_adagrad(lr, initial, eps):
    def update(theta, g, s, step):
        acc = s.get("acc", torch.full_like(theta, initial))
        acc = acc + g * g
        s["acc"] = acc
        return theta - (lr * g) / torch.sqrt(acc + eps)

    return update


def keras_nadam(lr, b1, b2, eps):
    def update(theta, g, s, step):
        # _backend_update_step: u_product *= b1 * (1 - 0.5 * 0.96^(iterations + 1))
        u_product = s.get("u_product", t(1.0))
        u_product = u_product * b1 * (1.0 - 0.5 * torch.pow(t(0.96), t(float(step))))
        s["u_product"] = u_product
        local_step = t(float(step))
        next_step = t(float(step + 1))
        u_t = b1 * (1.0 - 0.5 * torch.pow(t(0.96), local_step))
        u_t_1 = b1 * (1.0 - 0.5 * torch.pow(t(0.96), next_step))
        u_product_t_1 = u_product * u_t_1
        b2p = torch.pow(t(b2), local_step)
        m = s.get("m", torch.zeros_like(theta))
        v = s.get("v", torch.zeros_like(theta))
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        s["m"], s["v"] = m, v
        m_hat = (u_t_1 * m) / (1 - u_product_t_1) + ((1 - u_t) * g) / (1 - u_product)
        v_hat = v / (1 - b2p)
        return theta - (m_hat * lr) / (torch.sqrt(v_hat) + eps)

    return update


# ---- the cases ----------------------------------------------------------------------

O = torch.optim
CASES = [
    ("SGD", "torch.optim.SGD(lr=0.1)", lambda: run_torch(lambda p: O.SGD(p, lr=0.1))),
    ("SGD_MOMENTUM", "torch.optim.SGD(lr=0.1, momentum=0.9)",
     lambda: run_torch(lambda p: O.SGD(p, lr=0.1, momentum=0.9))),
    ("SGD_NESTEROV", "torch.optim.SGD(lr=0.1, momentum=0.9, nesterov=True)",
     lambda: run_torch(lambda p: O.SGD(p, lr=0.1, momentum=0.9, nesterov=True))),
    ("SGD_DAMPENING_WEIGHT_DECAY", "torch.optim.SGD(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01)",
     lambda: run_torch(lambda p: O.SGD(p, lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01))),
    ("RMSPROP_OUTSIDE", "torch.optim.RMSprop(lr=0.01, alpha=0.9, eps=0.01)",
     lambda: run_torch(lambda p: O.RMSprop(p, lr=0.01, alpha=0.9, eps=0.01, foreach=False))),
    ("RMSPROP_OUTSIDE_CENTERED_MOMENTUM", "torch.optim.RMSprop(lr=0.01, alpha=0.9, eps=1e-7, momentum=0.5, centered=True)",
     lambda: run_torch(lambda p: O.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-7, momentum=0.5, centered=True, foreach=False))),
    ("RMSPROP_INSIDE", "keras formula: RMSprop(learning_rate=0.01, rho=0.9, epsilon=0.01)",
     lambda: run_manual(keras_rmsprop(0.01, 0.9, 0.0, 0.01, False))),
    ("RMSPROP_INSIDE_CENTERED_MOMENTUM", "keras formula: RMSprop(learning_rate=0.01, rho=0.9, epsilon=1e-7, momentum=0.5, centered=True)",
     lambda: run_manual(keras_rmsprop(0.01, 0.9, 0.5, 1e-7, True))),
    ("ADAM_TORCH", "torch.optim.Adam(lr=0.01, eps=0.01)",
     lambda: run_torch(lambda p: O.Adam(p, lr=0.01, eps=0.01, foreach=False))),
    ("ADAM_TORCH_AMSGRAD", "torch.optim.Adam(lr=0.01, eps=1e-7, amsgrad=True)",
     lambda: run_torch(lambda p: O.Adam(p, lr=0.01, eps=1e-7, amsgrad=True, foreach=False))),
    ("ADAM_KERAS", "keras formula: Adam(learning_rate=0.01, epsilon=0.01)",
     lambda: run_manual(keras_adam(0.01, 0.9, 0.999, 0.01, False))),
    ("ADAM_KERAS_AMSGRAD", "keras formula: Adam(learning_rate=0.01, epsilon=1e-7, amsgrad=True)",
     lambda: run_manual(keras_adam(0.01, 0.9, 0.999, 1e-7, True))),
    ("ADAMW_TORCH", "torch.optim.AdamW(lr=0.01, eps=1e-7, weight_decay=0.5)",
     lambda: run_torch(lambda p: O.AdamW(p, lr=0.01, eps=1e-7, weight_decay=0.5, foreach=False))),
    ("ADAMW_KERAS", "keras formula: AdamW(learning_rate=0.01, weight_decay=0.5, epsilon=1e-7)",
     lambda: run_manual(keras_adam(0.01, 0.9, 0.999, 1e-7, False, weight_decay=0.5))),
    ("ADAGRAD_TORCH", "torch.optim.Adagrad(lr=0.1, initial_accumulator_value=0.1, eps=0.01)",
     lambda: run_torch(lambda p: O.Adagrad(p, lr=0.1, initial_accumulator_value=0.1, eps=0.01, foreach=False))),
    ("ADAGRAD_KERAS", "keras formula: Adagrad(learning_rate=0.1, initial_accumulator_value=0.1, epsilon=0.01)",
     lambda: run_manual(keras_adagrad(0.1, 0.1, 0.01))),
    ("NADAM_TORCH", "torch.optim.NAdam(lr=0.01, eps=1e-7, momentum_decay=0.004)",
     lambda: run_torch(lambda p: O.NAdam(p, lr=0.01, eps=1e-7, momentum_decay=0.004, foreach=False))),
    ("NADAM_KERAS", "keras formula: Nadam(learning_rate=0.01, epsilon=1e-7)",
     lambda: run_manual(keras_nadam(0.01, 0.9, 0.999, 1e-7))),
]


def f32_repr(x):
    """The shortest decimal that reads back as the same float32 (what Rust prints)."""
    target = struct.pack("<f", x)
    for digits in range(1, 10):
        text = f"{x:.{digits}g}"
        if struct.pack("<f", float(text)) == target:
            break
    if "e" not in text and "." not in text:
        text += ".0"
    return text


def main():
    print(f"// Produced by reference/optim_reference.py with torch {torch.__version__} "
          f"(Python {sys.version.split()[0]}), CPU, float32.")
    print(f"// THETA0 = {THETA0}; GRADS = {GRADS}")
    for name, what, run in CASES:
        rows = run()
        print(f"\n/// {what}")
        print(f"const {name}: [[f32; 3]; 5] = [")
        for r in rows:
            print("    [" + ", ".join(f32_repr(x) for x in r) + "],")
        print("];")


if __name__ == "__main__":
    main()
