//! COCO mAP against pycocotools 2.0.11 on a fixture of jittered boxes, ties and wrong
//! classes (reference/vision_coco_eval.py), and VOC mAP on cases worked by hand.

use derin_vision::{Detections, Target, evaluate};
use serde_json::Value;

fn xyxy(b: &Value) -> [f32; 4] {
    let v: Vec<f32> = b.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
    [v[0], v[1], v[0] + v[2], v[1] + v[3]]
}

#[test]
fn coco_map_matches_pycocotools() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/coco_eval.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let ids: Vec<u64> =
        json["ground_truth"]["images"].as_array().unwrap().iter().map(|i| i["id"].as_u64().unwrap()).collect();
    let mut targets = vec![Target::default(); ids.len()];
    for a in json["ground_truth"]["annotations"].as_array().unwrap() {
        let t = &mut targets[ids.iter().position(|&i| i == a["image_id"].as_u64().unwrap()).unwrap()];
        t.boxes.push(xyxy(&a["bbox"]));
        t.labels.push(a["category_id"].as_u64().unwrap() as usize);
    }
    let mut found = vec![Detections::default(); ids.len()];
    for r in json["results"].as_array().unwrap() {
        let d = &mut found[ids.iter().position(|&i| i == r["image_id"].as_u64().unwrap()).unwrap()];
        d.boxes.push(xyxy(&r["bbox"]));
        d.labels.push(r["category_id"].as_u64().unwrap() as usize);
        d.scores.push(r["score"].as_f64().unwrap() as f32);
    }
    let m = evaluate(&found, &targets).unwrap();
    let want = |k: &str| json["pycocotools"][k].as_f64().unwrap() as f32;
    for (got, key) in [(m.coco_map, "AP"), (m.coco_map50, "AP50"), (m.coco_map75, "AP75")] {
        assert!((got - want(key)).abs() < 1e-5, "{key}: {got} vs pycocotools {}", want(key));
    }
}

#[test]
fn voc_map_by_hand() {
    let b = |x: f32| [x, 0.0, x + 10.0, 10.0];
    // Class 1: three objects; detections ranked hit, miss, hit, duplicate of the first.
    // Precision/recall after each: (1, 1/3), (1/2, 1/3), (2/3, 2/3), (1/2, 2/3): the
    // monotone curve is 1 up to recall 1/3 and 2/3 up to 2/3, so AP = 1/3 + 2/9 = 5/9.
    // Class 2: one object found at IoU 0.6 (> 0.5): AP 1. Class 3 has no objects and its
    // detection counts nowhere.
    let truth = vec![
        Target { boxes: vec![b(0.0), b(20.0)], labels: vec![1, 1] },
        Target { boxes: vec![b(40.0), [0.0, 20.0, 10.0, 30.0]], labels: vec![1, 2] },
    ];
    let found = vec![
        Detections { boxes: vec![b(0.0), b(60.0), b(0.5)], scores: vec![0.9, 0.8, 0.6], labels: vec![1, 1, 1] },
        Detections {
            boxes: vec![b(40.0), [0.0, 22.5, 10.0, 32.5], b(0.0)],
            scores: vec![0.7, 0.5, 0.9],
            labels: vec![1, 2, 3],
        },
    ];
    let m = evaluate(&found, &truth).unwrap();
    assert_eq!(m.per_class_ap50.iter().map(|p| p.0).collect::<Vec<_>>(), vec![1, 2]);
    assert!((m.per_class_ap50[0].1 - 5.0 / 9.0).abs() < 1e-6, "{:?}", m.per_class_ap50);
    assert!((m.per_class_ap50[1].1 - 1.0).abs() < 1e-6);
    assert!((m.voc_map50 - (5.0 / 9.0 + 1.0) / 2.0).abs() < 1e-6);
    // COCO, class 1 (exact hits, so every threshold alike): recalls 0–0.33 (34 points)
    // at precision 1, 0.34–0.66 (33 points) at 2/3, the rest 0: AP = 56/101. Class 2's
    // box at IoU 75/125 = 0.6 counts at thresholds 0.50, 0.55 and 0.60 (pycocotools
    // matches at IoU ≥ threshold): AP 3/10.
    assert!((m.coco_map - (56.0 / 101.0 + 0.3) / 2.0).abs() < 1e-6, "{m:?}");
    assert!((m.coco_map50 - (56.0 / 101.0 + 1.0) / 2.0).abs() < 1e-6);
    assert!((m.coco_map75 - 28.0 / 101.0).abs() < 1e-6);
}

#[test]
fn mismatched_input_is_an_error() {
    let t = vec![Target::default()];
    assert!(evaluate(&[], &t).unwrap_err().to_string().contains("0 detection lists for 1 images"));
    let d = vec![Detections { boxes: vec![[0.0; 4]], scores: vec![], labels: vec![1] }];
    assert!(evaluate(&d, &t).unwrap_err().to_string().contains("differ in count"));
    let d = vec![Detections { boxes: vec![[5.0, 0.0, 1.0, 1.0]], scores: vec![0.5], labels: vec![1] }];
    assert!(evaluate(&d, &t).unwrap_err().to_string().contains("x2 < x1"));
}
