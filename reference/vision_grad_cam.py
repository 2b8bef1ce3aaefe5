"""Grad-CAM and guided backpropagation of pytorch-grad-cam on a small CNN with fixed
weights: vision/tests/fixtures/grad_cam.safetensors.

Run from the repository root with a Python that has torch and grad-cam:

    python reference/vision_grad_cam.py

Written with torch 2.15.0 and grad-cam 1.5.7 (pytorch_grad_cam.GradCAM and
GuidedBackpropReLUModel, CPU, float32). The network: conv 1→4 3x3 (padding 1), ReLU,
max pool 2, conv 4→6 3x3 (padding 1), ReLU (the Grad-CAM layer), flatten, linear 96→3.
Tensors: weights by Derin's names (`conv1/kernel`, …, `dense/kernel` as [in, out]),
`input` [1, 8, 8], `expected/cam/{c}` [8, 8] and `expected/guided/{c}` [1, 8, 8] for
classes c = 0, 1, 2.
"""
import math
from importlib.metadata import version

import numpy as np
import torch
from pytorch_grad_cam import GradCAM, GuidedBackpropReLUModel
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from safetensors_io import save_safetensors
from torch import nn

print("torch", torch.__version__, "grad-cam", version("grad-cam"))
torch.manual_seed(0)


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.relu1, self.pool = nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)
        self.conv2, self.relu2 = nn.Conv2d(4, 6, 3, padding=1), nn.ReLU()
        self.fc = nn.Linear(96, 3)

    def forward(self, x):
        x = self.relu2(self.conv2(self.pool(self.relu1(self.conv1(x)))))
        return self.fc(x.flatten(1))


m = Cnn().eval()
j = torch.arange(64, dtype=torch.float64)
x = (torch.sin(0.45 * j) + 0.3 * torch.cos(2.1 * j) + 0.2).float().reshape(1, 1, 8, 8)
out = {"conv1/kernel": m.conv1.weight, "conv1/bias": m.conv1.bias, "conv2/kernel": m.conv2.weight,
       "conv2/bias": m.conv2.bias, "dense/kernel": m.fc.weight.T, "dense/bias": m.fc.bias}
out = {k: v.detach().numpy() for k, v in out.items()}
out["input"] = x[0].numpy()
with GradCAM(model=m, target_layers=[m.relu2]) as cam:
    for c in range(3):
        out[f"expected/cam/{c}"] = cam(input_tensor=x, targets=[ClassifierOutputTarget(c)])[0]
guided = GuidedBackpropReLUModel(model=m, device="cpu")
for c in range(3):
    g = guided(x.clone(), target_category=c)  # [H, W, C]
    out[f"expected/guided/{c}"] = np.ascontiguousarray(np.transpose(g, (2, 0, 1)))
print("logits", m(x).detach().numpy().round(4).tolist())
print("cam[0] row 0", np.round(out["expected/cam/0"][0], 4).tolist())
save_safetensors("vision/tests/fixtures/grad_cam.safetensors", out)
