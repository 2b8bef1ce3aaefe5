"""Narrow torchvision ResNets, their weights renamed to Derin's (Keras') layer names, an
input and what torchvision computes: the fixtures vision/tests/fixtures/resnet{18,50}_narrow.safetensors.

Run from the repository root with a Python that has torchvision:

    python reference/vision_resnet.py

Written with torch 2.15.0 and torchvision 0.29.2 (CPU, float32). The networks are
torchvision's own BasicBlock / Bottleneck stacked by torchvision's ResNet._make_layer;
only the widths are divided by 32 (stem 2 channels, stages 2, 4, 8, 16) so that the files
stay small. Batch-norm statistics are drawn at random and the model is in eval mode.
Tensors in each file: the weights (`conv2_block1_1_conv/kernel`, …), `input`
[2, 3, 40, 48], and `expected/logits`, `expected/c2` … `expected/c5`.
"""
import math

import torch
import torchvision
from torch import nn
from safetensors_io import save_safetensors
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

print("torch", torch.__version__, "torchvision", torchvision.__version__)
DIV = 32


class NarrowResNet(ResNet):
    """torchvision's ResNet with every width divided by DIV (its own blocks and layers)."""

    def __init__(self, block, layers, num_classes):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = 64 // DIV, 1, 1, 64
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64 // DIV, layers[0])
        self.layer2 = self._make_layer(block, 128 // DIV, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256 // DIV, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512 // DIV, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 // DIV * block.expansion, num_classes)


def derin_name(torch_name):
    """`layer2.0.downsample.1.running_var` → `conv3_block1_0_bn/moving_variance`."""
    parts = torch_name.split(".")
    leaf = {"weight": None, "bias": "bias", "running_mean": "moving_mean", "running_var": "moving_variance"}[parts[-1]]
    if parts[0] == "fc":
        return "predictions/" + ("kernel" if leaf is None else leaf)
    if parts[0] in ("conv1", "bn1"):
        layer = "conv1_conv" if parts[0] == "conv1" else "conv1_bn"
    else:
        stage, block = int(parts[0][5:]) + 1, int(parts[1]) + 1
        if parts[2] == "downsample":
            layer = f"conv{stage}_block{block}_0_" + ("conv" if parts[3] == "0" else "bn")
        else:
            kind, i = parts[2][:-1], parts[2][-1]
            layer = f"conv{stage}_block{block}_{i}_" + ("conv" if kind == "conv" else "bn")
    if leaf is None:
        leaf = "kernel" if layer.endswith("conv") else "gamma"
    elif leaf == "bias" and layer.endswith("bn"):
        leaf = "beta"
    return f"{layer}/{leaf}"


for name, block, layers in [("resnet18", BasicBlock, [2, 2, 2, 2]), ("resnet50", Bottleneck, [3, 4, 6, 3])]:
    torch.manual_seed(0)
    m = NarrowResNet(block, layers, 10)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
                mod.running_mean.uniform_(-0.3, 0.3)
                mod.running_var.uniform_(0.5, 2.0)
    m.eval()
    n = 2 * 3 * 40 * 48
    i = torch.arange(n, dtype=torch.float64)
    x = (torch.sin(0.3 * i) + 0.1 * torch.cos(1.7 * i)).float().reshape(2, 3, 40, 48)
    stages = {}
    for s in range(1, 5):
        getattr(m, f"layer{s}").register_forward_hook(lambda mod, inp, out, s=s: stages.__setitem__(s + 1, out.detach()))
    with torch.no_grad():
        logits = m(x)
    out = {}
    for k, v in m.state_dict().items():
        if k.endswith("num_batches_tracked"):
            continue
        a = v.numpy()
        if k == "fc.weight":
            a = a.T  # Dense keeps [in, out]
        out[derin_name(k)] = a
    out["input"] = x.numpy()
    out["expected/logits"] = logits.numpy()
    for s, v in stages.items():
        out[f"expected/c{s}"] = v.numpy()
    path = f"vision/tests/fixtures/{name}_narrow.safetensors"
    save_safetensors(path, out)
    print(name, path, "params", sum(math.prod(v.shape) for k, v in m.state_dict().items()), "c5", list(stages[5].shape),
          "logits[0]", [round(v, 6) for v in logits[0].tolist()])
