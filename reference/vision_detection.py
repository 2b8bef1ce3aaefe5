"""torchvision's RegionProposalNetwork and RoIHeads on fixed features, weights and targets,
with every anchor and proposal sampled (batch sizes far above the candidates), so that
proposals, the four losses and the detections are deterministic:
vision/tests/fixtures/detection.safetensors.

Run from the repository root with a Python that has torchvision:

    python reference/vision_detection.py

Written with torch 2.15.0 and torchvision 0.29.2 (CPU, float32). Two 64x64 images, a
three-level pyramid (strides 4, 8, 16; 4 channels), image 1 without objects. Tensors:
the weights by Derin's names (`rpn_conv/kernel`, …, `fc6/kernel` as [in, out]),
`features/{l}`, `targets/{i}/boxes` and `/labels`, `expected/rpn_train/{i}` (training
proposals), `expected/rpn_eval/{i}`, `expected/losses` (objectness, rpn box, classifier,
box), `expected/detections/{i}/boxes|scores|labels`.
"""
import math

import torch
import torchvision
from safetensors_io import save_safetensors
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.roi_heads import RoIHeads
from torchvision.models.detection.rpn import RegionProposalNetwork, RPNHead
from torchvision.ops import MultiScaleRoIAlign

print("torch", torch.__version__, "torchvision", torchvision.__version__)
torch.manual_seed(0)
C, CLASSES, ALL = 4, 4, 1_000_000
shapes = [(2, C, 16, 16), (2, C, 8, 8), (2, C, 4, 4)]
features = {}
for l, s in enumerate(shapes):
    j = torch.arange(math.prod(s), dtype=torch.float64)
    features[str(l)] = (torch.sin(0.37 * j + l) + 0.3 * torch.cos(1.3 * j)).float().reshape(s)
images = ImageList(torch.zeros(2, 1, 64, 64), [(64, 64), (64, 64)])
targets = [
    {"boxes": torch.tensor([[4.0, 6.0, 20.0, 26.0], [30.0, 28.0, 58.0, 44.0], [40.0, 2.0, 50.0, 20.0]]),
     "labels": torch.tensor([1, 3, 2])},
    {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
]

anchors = AnchorGenerator(((8.0,), (16.0,), (32.0,)), ((0.5, 1.0, 2.0),) * 3)
head = RPNHead(C, 3)
with torch.no_grad():
    for p in head.parameters():
        p.normal_(0.0, 0.3)
rpn = RegionProposalNetwork(anchors, head, 0.7, 0.3, ALL, 0.5, dict(training=40, testing=20),
                            dict(training=30, testing=15), 0.7)
pool = MultiScaleRoIAlign(["0", "1", "2"], 7, 2)
box_head = TwoMLPHead(C * 49, 32)
predictor = FastRCNNPredictor(32, CLASSES)
with torch.no_grad():
    for p in list(box_head.parameters()) + list(predictor.parameters()):
        p.normal_(0.0, 0.1)
heads = RoIHeads(pool, box_head, predictor, 0.5, 0.5, ALL, 0.25, None, 0.05, 0.5, 100)

rpn.train()
heads.train()
props, rpn_losses = rpn(images, features, targets)
_, roi_losses = heads(features, props, images.image_sizes, targets)
rpn.eval()
heads.eval()
with torch.no_grad():
    eval_props, _ = rpn(images, features)
    dets, _ = heads(features, eval_props, images.image_sizes)

out = {
    "rpn_conv/kernel": head.conv[0][0].weight, "rpn_conv/bias": head.conv[0][0].bias,
    "rpn_cls_logits/kernel": head.cls_logits.weight, "rpn_cls_logits/bias": head.cls_logits.bias,
    "rpn_bbox_pred/kernel": head.bbox_pred.weight, "rpn_bbox_pred/bias": head.bbox_pred.bias,
    "fc6/kernel": box_head.fc6.weight.T, "fc6/bias": box_head.fc6.bias,
    "fc7/kernel": box_head.fc7.weight.T, "fc7/bias": box_head.fc7.bias,
    "cls_score/kernel": predictor.cls_score.weight.T, "cls_score/bias": predictor.cls_score.bias,
    "bbox_pred/kernel": predictor.bbox_pred.weight.T, "bbox_pred/bias": predictor.bbox_pred.bias,
}
out = {k: v.detach().numpy() for k, v in out.items()}
for l, f in features.items():
    out[f"features/{l}"] = f.numpy()
for i, t in enumerate(targets):
    out[f"targets/{i}/boxes"] = t["boxes"].numpy()
    out[f"targets/{i}/labels"] = t["labels"].float().numpy()
    out[f"expected/rpn_train/{i}"] = props[i].detach().numpy()
    out[f"expected/rpn_eval/{i}"] = eval_props[i].numpy()
    for k in ("boxes", "scores", "labels"):
        out[f"expected/detections/{i}/{k}"] = dets[i][k].float().numpy()
losses = [rpn_losses["loss_objectness"], rpn_losses["loss_rpn_box_reg"], roi_losses["loss_classifier"],
          roi_losses["loss_box_reg"]]
out["expected/losses"] = torch.stack(losses).detach().numpy()
print("proposals", [len(p) for p in props], [len(p) for p in eval_props], "detections", [len(d["boxes"]) for d in dets])
print("losses", [round(float(v), 6) for v in losses])
save_safetensors("vision/tests/fixtures/detection.safetensors", out)
