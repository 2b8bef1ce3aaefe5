"""Reference values of torchvision's box operations for vision/src/boxes.rs.

Run from the repository root with a Python that has torchvision:

    python reference/vision_boxes.py

Printed with torch 2.15.0 and torchvision 0.29.2 (CPU, float32); the tests hard-code
what it prints.
"""
import torch
import torchvision
from torchvision.ops import batched_nms, box_iou, clip_boxes_to_image, nms, remove_small_boxes

print("torch", torch.__version__, "torchvision", torchvision.__version__)
a = torch.tensor([[0.0, 0.0, 10.0, 10.0], [5.0, 5.0, 15.0, 15.0], [20.0, 20.0, 30.0, 40.0]])
b = torch.tensor([[0.0, 0.0, 10.0, 10.0], [2.0, 3.0, 12.0, 9.0], [100.0, 100.0, 101.0, 101.0], [25.0, 0.0, 35.0, 30.0]])
print("box_iou", box_iou(a, b).flatten().tolist())

boxes = torch.tensor([
    [0.0, 0.0, 10.0, 10.0],
    [1.0, 1.0, 11.0, 11.0],
    [0.0, 0.0, 10.0, 10.0],
    [50.0, 50.0, 60.0, 60.0],
    [52.0, 50.0, 62.0, 60.0],
    [0.5, 0.0, 10.5, 10.0],
    [100.0, 100.0, 110.0, 110.0],
])
scores = torch.tensor([0.9, 0.8, 0.9, 0.7, 0.75, 0.6, 0.3])
for t in (0.5, 0.7, 0.0):
    print(f"nms {t}", nms(boxes, scores, t).tolist())
classes = torch.tensor([0, 0, 1, 1, 1, 0, 2])
print("batched_nms 0.5", batched_nms(boxes, scores, classes, 0.5).tolist())
print("clip", clip_boxes_to_image(torch.tensor([[-5.0, 3.0, 70.0, 90.0], [10.0, -1.0, 20.0, 5.0]]), (50, 64)).flatten().tolist())
small = torch.tensor([[0.0, 0.0, 1.0, 5.0], [0.0, 0.0, 2.0, 2.0], [3.0, 3.0, 3.5, 9.0], [0.0, 0.0, 4.0, 1.99]])
print("remove_small_boxes 2", remove_small_boxes(small, 2.0).tolist())

# The box coder of the detectors: weights (10, 10, 5, 5) as the RoI heads use them and
# (1, 1, 1, 1) as the RPN does, and the ln(1000/16) clamp on decoded dw, dh.
from torchvision.models.detection._utils import BoxCoder  # noqa: E402

anchors = torch.tensor([[0.0, 0.0, 10.0, 20.0], [5.0, 5.0, 25.0, 15.0], [2.0, 3.0, 6.0, 11.0]])
gt = torch.tensor([[1.0, 2.0, 13.0, 18.0], [4.0, 6.0, 30.0, 14.0], [2.0, 3.0, 6.0, 11.0]])
codes = torch.tensor([[0.1, -0.2, 0.3, -0.1], [1.0, 0.5, 9.0, -9.0], [0.0, 0.0, 0.0, 0.0]])
for w in ((10.0, 10.0, 5.0, 5.0), (1.0, 1.0, 1.0, 1.0)):
    coder = BoxCoder(w)
    print(f"encode {w}", coder.encode_single(gt, anchors).flatten().tolist())
    print(f"decode {w}", coder.decode_single(codes, anchors).flatten().tolist())

# Anchors: two levels, sizes ((16, 24), (48,)), aspect ratios ((0.5, 1, 2), (1,)), a
# 32x40 image with 4x5 and 2x3 feature maps (strides 8x8 and 16x13: integer division).
from torchvision.models.detection.anchor_utils import AnchorGenerator  # noqa: E402
from torchvision.models.detection.image_list import ImageList  # noqa: E402

gen = AnchorGenerator(sizes=((16, 24), (48,)), aspect_ratios=((0.5, 1.0, 2.0), (1.0,)))
print("cell_anchors", [c.flatten().tolist() for c in gen.cell_anchors])
images = ImageList(torch.zeros(1, 3, 32, 40), [(32, 40)])
feats = [torch.zeros(1, 1, 4, 5), torch.zeros(1, 1, 2, 3)]
anchors = gen(images, feats)[0]
print("anchors", list(anchors.shape), anchors.flatten().tolist())
