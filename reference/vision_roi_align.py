"""Reference values of torchvision's RoI Align for vision/src/roi_align.rs.

Run from the repository root with a Python that has torchvision:

    python reference/vision_roi_align.py

Printed with torch 2.15.0 and torchvision 0.29.2 (CPU, float32), and written to
vision/tests/fixtures/roi_align.safetensors (`out/{case}`, `grad/{case}`, `multiscale`),
which the tests read. Inputs are formulas the Rust tests compute the same way (in f64, then
rounded to f32): feature value i (flat, row-major) is sin(0.3 i) + 0.1 cos(1.7 i), the
output weight j of the loss sum(out * G) is cos(0.5 j).
"""
import math

import torch
import torchvision
from safetensors_io import save_safetensors
from torchvision.ops import MultiScaleRoIAlign, roi_align

print("torch", torch.__version__, "torchvision", torchvision.__version__)


def features(shape):
    n = math.prod(shape)
    i = torch.arange(n, dtype=torch.float64)
    return (torch.sin(0.3 * i) + 0.1 * torch.cos(1.7 * i)).float().reshape(shape)


def weights(shape):
    j = torch.arange(math.prod(shape), dtype=torch.float64)
    return torch.cos(0.5 * j).float().reshape(shape)


def fmt(t):
    return "[" + ", ".join(f"{v:.7g}" for v in t.flatten().tolist()) + "]"


x = features((2, 2, 6, 7))
boxes = torch.tensor([
    [0.0, 1.0, 0.5, 9.0, 7.5],     # inside, fractional
    [1.0, -3.0, -2.0, 5.0, 4.0],   # sticks out top-left, second image
    [0.0, 10.0, 8.0, 10.4, 8.3],   # smaller than a pixel
    [1.0, 11.0, 2.0, 30.0, 20.0],  # mostly outside bottom-right
    [0.0, 2.0, 2.0, 2.0, 2.0],     # zero size
])
saved = {}
for case, (scale, ratio, aligned) in enumerate([(0.5, 2, False), (0.5, 0, False), (0.5, 2, True), (0.5, 0, True), (1.0, 1, False)]):
    xi = x.clone().requires_grad_(True)
    out = roi_align(xi, boxes, output_size=(2, 3), spatial_scale=scale, sampling_ratio=ratio, aligned=aligned)
    (out * weights(out.shape)).sum().backward()
    print(f"roi_align scale={scale} ratio={ratio} aligned={aligned}")
    print("  out", fmt(out))
    print("  grad", fmt(xi.grad))
    saved[f"out/{case}"], saved[f"grad/{case}"] = out.detach().numpy(), xi.grad.numpy()

# Multi-scale RoI Align over two levels of a 64x48 image (strides 4 and 8), boxes of
# several sizes so the level mapper (canonical 224 at level 4) picks both levels.
feats = {"p2": features((1, 2, 16, 12)), "p3": features((1, 2, 8, 6)) * 0.5}
pool = MultiScaleRoIAlign(["p2", "p3"], output_size=2, sampling_ratio=2, canonical_scale=32, canonical_level=3)
rois = [torch.tensor([[4.0, 4.0, 12.0, 12.0], [0.0, 0.0, 44.0, 60.0], [10.0, 20.0, 30.0, 50.0], [1.0, 2.0, 3.0, 5.0]])]
out = pool(feats, rois, [(64, 48)])
print("multiscale scales", pool.scales, "levels", pool.map_levels(rois).tolist())
print("  out", fmt(out))
saved["multiscale"] = out.numpy()
save_safetensors("vision/tests/fixtures/roi_align.safetensors", saved)
saved["multiscale"] = out.numpy()
save_safetensors("vision/tests/fixtures/roi_align.safetensors", saved)
