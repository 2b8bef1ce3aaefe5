"""Reference values for the ops the vision crate needs from derin-tensor and derin-nn:
GELU's tanh approximation, smooth L1 and BatchNorm's unbiased running variance.

Run from the repository root with a Python that has PyTorch (no NumPy needed):

    python reference/vision_ops.py

Printed with torch 2.15.0, float32 on the CPU. tensor/src/ops/activation.rs,
tensor/src/ops/smooth_l1.rs and nn/src/layers/normalization/tests.rs hard-code what it
prints; change them together.
"""
import torch

torch.set_printoptions(precision=7)
print("torch", torch.__version__)

x = torch.tensor([-1.0, 0.0, 2.0, 1.0])
print("gelu tanh", torch.nn.functional.gelu(x, approximate="tanh").tolist())

pred = torch.tensor([0.5, -2.0, 1.0, 3.0, 0.0, -0.25])
target = torch.tensor([0.0, 0.0, 1.2, 0.0, 0.0, 0.5])
for beta in (1.0, 0.5, 0.0):
    per = torch.nn.functional.smooth_l1_loss(pred, target, reduction="none", beta=beta)
    print(f"smooth_l1 beta={beta}", per.tolist(), "mean", per.mean().item())

# BatchNorm2d with PyTorch's running_var (unbiased batch variance), momentum 0.01 =
# 1 - Keras' 0.99, on the input of channels_of_an_image_batch_are_normalised_separately:
# wave(16, 2.0) = sin(0.7 i) * 2.0 + 0.05 i for i in 0..16, shape [2, 2, 2, 2].
import math
wave = torch.tensor([math.sin(0.7 * i) * 2.0 + 0.05 * i for i in range(16)]).reshape(2, 2, 2, 2)
bn = torch.nn.BatchNorm2d(2, eps=1e-3, momentum=0.01)
bn.train()
bn(wave)
print("running_var (unbiased)", bn.running_var.tolist())

# Max pooling with indices (flat h*W + w within each plane of the unpadded input) and
# max-unpooling from them: a 1x2x4x5 input with ties, kernel 2, stride 2, padding 1.
x = torch.tensor([float((7 * i) % 11) for i in range(40)]).reshape(1, 2, 4, 5)
y, idx = torch.nn.functional.max_pool2d(x, 2, stride=2, padding=1, return_indices=True)
print("max_pool2d values", y.flatten().tolist())
print("max_pool2d indices", idx.flatten().tolist())
u = torch.nn.functional.max_unpool2d(y, idx, 2, stride=2, padding=1, output_size=(4, 5))
print("max_unpool2d", u.flatten().tolist())

# Nearest resizing to a size (F.interpolate(mode="nearest"), as torchvision's FPN adds a
# top-down map to a lateral map of odd size): a 1x1x3x4 input to 5x7 and to 2x3.
x = torch.arange(12.0).reshape(1, 1, 3, 4)
print("nearest 5x7", torch.nn.functional.interpolate(x, size=(5, 7), mode="nearest").flatten().tolist())
print("nearest 2x3", torch.nn.functional.interpolate(x, size=(2, 3), mode="nearest").flatten().tolist())
