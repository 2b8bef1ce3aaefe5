"""Reference values for derin-nn's BatchNormalization and LayerNormalization.

Run from the repository root with a Python that has PyTorch (no NumPy needed):

    python reference/normalization.py

nn/src/layers/normalization/tests.rs and nn/src/layers/layer_normalization.rs hard-code
what it prints; change both together. Float32 on the CPU.

Conventions converted here:

* PyTorch's BatchNorm `momentum` is 1 - Keras' momentum (Keras 0.99 -> PyTorch 0.01), so
  `running_mean` equals Keras' `moving_mean`.
* PyTorch's `running_var` averages the *unbiased* batch variance; Keras 3 (and Derin)
  average the *biased* one, so the Keras moving variance is computed here from
  `x.var(unbiased=False)` with Keras' formula, and PyTorch's running_var is printed only
  for comparison.
* The training-mode output itself (biased variance, eps inside the square root) is the
  same in both; eps = 1e-3 (Keras' default) is passed to PyTorch.

Gradients are those of the loss sum(y * W) for a fixed W, so that they are not
trivially zero (d sum(y) / dx is 0 for a normalisation).
"""

import math
import warnings

warnings.filterwarnings("ignore")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_default_dtype(torch.float32)


def show(name, t):
    vals = ", ".join(f"{v:.7}" for v in t.detach().reshape(-1).tolist())
    print(f"{name}: [{vals}]")


def wave(n, scale):
    """The inputs the Rust tests rebuild: sin(0.7 i) * scale + 0.05 i."""
    return torch.tensor([math.sin(0.7 * i) * scale + 0.05 * i for i in range(n)])


print(f"torch {torch.__version__}")

# --- BatchNormalization on [4, 3] (axis 1 = features), training mode ---
x = torch.tensor([[0.5, -1.2, 2.0], [1.5, 0.3, -0.4], [-0.7, 2.2, 1.1], [0.9, -0.5, 0.6]], requires_grad=True)
gamma = torch.tensor([1.5, 0.8, -0.5], requires_grad=True)
beta = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
w = torch.tensor([[0.3, -0.2, 0.5], [0.1, 0.4, -0.3], [-0.6, 0.2, 0.7], [0.25, -0.35, 0.15]])
mm0 = torch.tensor([0.2, -0.1, 0.0])
mv0 = torch.tensor([1.0, 2.0, 0.5])
running_mean, running_var = mm0.clone(), mv0.clone()
y = F.batch_norm(x, running_mean, running_var, gamma, beta, training=True, momentum=0.01, eps=1e-3)
(y * w).sum().backward()
print("# BN [4, 3], train mode, momentum 0.99 (torch 0.01), eps 1e-3")
show("y", y)
show("moving_mean (= torch running_mean)", running_mean)
keras_mv = mv0 * 0.99 + x.detach().var(dim=0, unbiased=False) * 0.01
show("moving_variance (Keras: biased batch variance)", keras_mv)
show("torch running_var (unbiased, for comparison)", running_var)
show("dx", x.grad)
show("dgamma", gamma.grad)
show("dbeta", beta.grad)

# --- BatchNormalization on [2, 2, 2, 2] = [N, C, H, W], training mode, per channel ---
x4 = wave(16, 2.0).reshape(2, 2, 2, 2)
g4 = torch.tensor([0.7, 1.3])
b4 = torch.tensor([-0.1, 0.2])
rm4, rv4 = torch.zeros(2), torch.ones(2)
y4 = F.batch_norm(x4, rm4, rv4, g4, b4, training=True, momentum=0.01, eps=1e-3)
print("# BN [2, 2, 2, 2] (x = wave(16, 2)), train mode, initial moving stats 0 and 1")
show("y", y4)
show("moving_mean", rm4)
show("moving_variance (Keras)", 0.99 + x4.var(dim=(0, 2, 3), unbiased=False) * 0.01)

# --- LayerNormalization on [2, 4], axis -1 ---
xl = torch.tensor([[0.5, -1.2, 2.0, 0.3], [1.5, 0.3, -0.4, 2.2]], requires_grad=True)
gl = torch.tensor([1.5, 0.8, -0.5, 1.1], requires_grad=True)
bl = torch.tensor([0.1, -0.2, 0.3, 0.0], requires_grad=True)
wl = torch.tensor([[0.3, -0.2, 0.5, 0.1], [0.4, -0.3, -0.6, 0.2]])
yl = F.layer_norm(xl, (4,), gl, bl, eps=1e-3)
(yl * wl).sum().backward()
print("# LN [2, 4], axis -1, eps 1e-3")
show("y", yl)
show("dx", xl.grad)
show("dgamma", gl.grad)
show("dbeta", bl.grad)

# --- LayerNormalization on [2, 2, 3], axes [-2, -1], default gamma/beta ---
x3 = wave(12, 1.5).reshape(2, 2, 3)
y3 = F.layer_norm(x3, (2, 3), eps=1e-3)
print("# LN [2, 2, 3] (x = wave(12, 1.5)), axes [-2, -1]")
show("y", y3)
