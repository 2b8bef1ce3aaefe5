"""A small detection fixture and what pycocotools' COCOeval says of it:
vision/tests/fixtures/coco_eval.json (ground truth in COCO's annotation format, the
detections in COCO's results format, and pycocotools' AP, AP50 and AP75).

Run from the repository root with a Python that has numpy and pycocotools:

    python reference/vision_coco_eval.py

Written with pycocotools 2.0.11 and numpy 2.x. Detections are jittered copies of the
ground truth (some far off, some of the wrong class) plus false alarms, with scores
rounded to two decimals so that ties occur.
"""
import contextlib
import io
import json

import numpy as np
from importlib.metadata import version
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

print("pycocotools", version("pycocotools"), "numpy", np.__version__)
rng = np.random.default_rng(0)
images, annotations, results = [], [], []
for img in range(1, 6):
    images.append({"id": img, "width": 100, "height": 80, "file_name": f"{img}.png"})
    for _ in range(rng.integers(1, 5)):
        w, h = rng.uniform(8, 40), rng.uniform(8, 40)
        x, y = rng.uniform(0, 100 - w), rng.uniform(0, 80 - h)
        cat = int(rng.integers(1, 4))
        box = [round(v, 2) for v in (x, y, w, h)]
        annotations.append({"id": len(annotations) + 1, "image_id": img, "category_id": cat, "bbox": box,
                            "area": box[2] * box[3], "iscrowd": 0})
        for _ in range(rng.integers(0, 3)):
            jitter = rng.normal(0, rng.choice([1.0, 3.0, 8.0]), 4)
            d = [box[0] + jitter[0], box[1] + jitter[1], max(1.0, box[2] + jitter[2]), max(1.0, box[3] + jitter[3])]
            dcat = cat if rng.uniform() < 0.85 else int(rng.integers(1, 4))
            results.append({"image_id": img, "category_id": dcat, "bbox": [round(v, 2) for v in d],
                            "score": round(float(rng.uniform(0.05, 1.0)), 2)})
    for _ in range(rng.integers(0, 3)):
        d = [rng.uniform(0, 80), rng.uniform(0, 60), rng.uniform(5, 20), rng.uniform(5, 20)]
        results.append({"image_id": img, "category_id": int(rng.integers(1, 4)), "bbox": [round(v, 2) for v in d],
                        "score": round(float(rng.uniform(0.05, 1.0)), 2)})
gt = {"images": images, "annotations": annotations,
      "categories": [{"id": i, "name": f"class{i}"} for i in range(1, 4)]}
with contextlib.redirect_stdout(io.StringIO()):
    coco = COCO()
    coco.dataset = gt
    coco.createIndex()
    dets = coco.loadRes(results)
    ev = COCOeval(coco, dets, "bbox")
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
stats = {"AP": ev.stats[0], "AP50": ev.stats[1], "AP75": ev.stats[2]}
print(len(annotations), "objects,", len(results), "detections:", stats)
with open("vision/tests/fixtures/coco_eval.json", "w") as f:
    json.dump({"ground_truth": gt, "results": results, "pycocotools": stats}, f, indent=1)
