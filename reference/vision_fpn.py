"""torchvision's FeaturePyramidNetwork with its LastLevelMaxPool on three small maps of odd
sizes, weights renamed to Derin's layer names: vision/tests/fixtures/fpn.safetensors.

Run from the repository root with a Python that has torchvision:

    python reference/vision_fpn.py

Written with torch 2.15.0 and torchvision 0.29.2 (CPU, float32). Tensors: the weights
(`fpn_inner{i}/kernel`, `fpn_inner{i}/bias`, `fpn_layer{i}/…`, i from 0 = finest),
`input/c{i}`, `expected/p{i}` and `expected/pool`.
"""
import math

import torch
import torchvision
from safetensors_io import save_safetensors
from torchvision.ops import FeaturePyramidNetwork
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

print("torch", torch.__version__, "torchvision", torchvision.__version__)
torch.manual_seed(0)
fpn = FeaturePyramidNetwork([3, 5, 6], 4, extra_blocks=LastLevelMaxPool()).eval()
with torch.no_grad():
    for p in fpn.parameters():  # torchvision starts biases at 0; make them count
        if p.dim() == 1:
            p.uniform_(-0.5, 0.5)
shapes = [(2, 3, 9, 11), (2, 5, 5, 6), (2, 6, 3, 3)]
maps = {}
for i, s in enumerate(shapes):
    j = torch.arange(math.prod(s), dtype=torch.float64)
    maps[f"c{i}"] = (torch.sin(0.3 * j + i) + 0.1 * torch.cos(1.7 * j)).float().reshape(s)
with torch.no_grad():
    out = fpn(maps)
tensors = {}
for k, v in fpn.state_dict().items():
    kind, i, _, leaf = k.split(".")  # inner_blocks.0.0.weight
    name = "fpn_inner" if kind == "inner_blocks" else "fpn_layer"
    tensors[f"{name}{i}/{'kernel' if leaf == 'weight' else 'bias'}"] = v.numpy()
for k, v in maps.items():
    tensors[f"input/{k}"] = v.numpy()
for (k, v), name in zip(out.items(), ["p0", "p1", "p2", "pool"]):
    tensors[f"expected/{name}"] = v.numpy()
    print(name, k, list(v.shape))
save_safetensors("vision/tests/fixtures/fpn.safetensors", tensors)
