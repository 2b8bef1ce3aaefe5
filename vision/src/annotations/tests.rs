//! The VOC and COCO readers: fixture files, every error they name, and a fuzzer that
//! feeds them mutated copies of the fixtures (they must answer `Ok` or `Err`, never panic).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use derin_tensor::Rng;

use super::*;

const CLASSES: [&str; 3] = ["zero", "one", "seven"];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The ground truth of the COCO metric fixture as a COCO annotation file's text.
fn coco_text() -> String {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("coco_eval.json")).unwrap()).unwrap();
    json["ground_truth"].to_string()
}

#[test]
fn reads_a_voc_file() {
    let a = read_voc(fixture("voc_example.xml"), &CLASSES).unwrap();
    assert_eq!((a.file_name.as_str(), a.size), ("canvas_0001.png", [80, 96]));
    assert_eq!(a.target.boxes, vec![[12.0, 8.0, 31.0, 36.0], [60.5, 40.0, 70.0, 79.0]]);
    assert_eq!((a.target.labels, a.difficult), (vec![3, 2], vec![false, true]));
}

#[test]
fn voc_errors_name_the_file_and_the_fault() {
    let text = std::fs::read_to_string(fixture("voc_example.xml")).unwrap();
    let origin = Path::new("a.xml");
    let err = |xml: &str| parse_voc(xml, origin, &CLASSES).unwrap_err().to_string();
    assert!(err(&text[..text.len() / 2]).starts_with("a.xml: not valid XML:"));
    assert_eq!(err("<notes/>"), "a.xml: the root element is <notes>, not <annotation>");
    assert_eq!(err("<annotation></annotation>"), "a.xml: no <size>");
    assert_eq!(err(&text.replace("<width>96</width>", "")), "a.xml: size: no <width>");
    assert_eq!(
        err(&text.replace("<ymin>8</ymin>", "<ymin>eight</ymin>")),
        "a.xml: object 0 bndbox: <ymin> is \"eight\", not a number"
    );
    assert_eq!(
        err(&text.replace("seven", "nine")),
        "a.xml: object 0: class \"nine\" is not one of [\"zero\", \"one\", \"seven\"]"
    );
    assert_eq!(
        err(&text.replace("<xmax>31", "<xmax>2")),
        "a.xml: object 0: box [12.0, 8.0, 2.0, 36.0] has x2 ≤ x1 or y2 ≤ y1"
    );
    assert_eq!(
        err(&text.replace("<ymax>79", "<ymax>81")),
        "a.xml: object 1: box [60.5, 40.0, 70.0, 81.0] lies outside the image of 80×96 pixels"
    );
    assert!(err(&text.replace("<ymin>8", "<ymin>NaN")).ends_with("has a NaN or infinite coordinate"));
    assert_eq!(
        err(&text.replace("<height>80", "<height>0")),
        "a.xml: image size [0.0, 96.0] is not a positive whole number of pixels"
    );
    let missing = read_voc("no/such/file.xml", &CLASSES).unwrap_err().to_string();
    assert!(missing.starts_with("no/such/file.xml: "), "{missing}");
}

#[test]
fn reads_a_coco_file() {
    let set = parse_coco(&coco_text(), Path::new("gt.json")).unwrap();
    assert_eq!(set.categories, vec![(1, "class1".to_string()), (2, "class2".to_string()), (3, "class3".to_string())]);
    assert_eq!(set.images.len(), 5);
    assert_eq!(set.images.iter().map(|a| a.target.boxes.len()).sum::<usize>(), 15);
    assert!(set.images.iter().all(|a| a.size == [80, 100] && a.difficult.iter().all(|d| !d)));
}

#[test]
fn coco_errors_name_the_file_and_the_fault() {
    let ok = r#"{"images": [{"id": 1, "file_name": "a.png", "width": 10, "height": 8}], "categories": [{"id": 5, "name": "x"}],
                 "annotations": [{"image_id": 1, "category_id": 5, "bbox": [1, 1, 4, 4]}]}"#;
    let origin = Path::new("c.json");
    let err = |text: &str| parse_coco(text, origin).unwrap_err().to_string();
    assert!(parse_coco(ok, origin).is_ok());
    assert!(err(&ok[..40]).starts_with("c.json: not valid JSON: EOF while parsing"));
    assert_eq!(err("{}"), "c.json: no \"categories\" list");
    assert_eq!(
        err(&ok.replace("\"image_id\": 1", "\"image_id\": 2")),
        "c.json: annotation 0: image_id 2 is not an image of the file"
    );
    assert_eq!(
        err(&ok.replace("\"category_id\": 5", "\"category_id\": 6")),
        "c.json: annotation 0: category_id 6 is not a category of the file"
    );
    assert_eq!(
        err(&ok.replace("[1, 1, 4, 4]", "[1, 1, 4]")),
        "c.json: annotation 0: bbox is not four numbers [x, y, width, height]"
    );
    assert_eq!(
        err(&ok.replace("[1, 1, 4, 4]", "[1, 1, -4, 4]")),
        "c.json: annotation 0: bbox [1.0, 1.0, -4.0, 4.0] has a side ≤ 0 or lies outside image 1 ([8, 10])"
    );
    assert!(err(&ok.replace("[1, 1, 4, 4]", "[8, 1, 4, 4]")).contains("lies outside image 1"));
    assert_eq!(
        err(&ok.replace("\"width\": 10", "\"width\": -10")),
        "c.json: image 0: \"width\" is missing or not a whole number ≥ 0"
    );
    assert_eq!(
        err(&ok.replace("\"name\": \"x\"", "\"name\": 3")),
        "c.json: category 0: \"name\" is missing or not a string"
    );
}

/// One mutation of `text`: a cut, a flipped byte, a deleted or repeated span, a swapped
/// digit, or an edit of a number into something odd.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let b = text.as_bytes();
    let at = rng.below(b.len().max(1));
    let span = 1 + rng.below(40);
    let mut out: Vec<u8> = match rng.below(6) {
        0 => b[..at].to_vec(),
        1 => {
            let mut v = b.to_vec();
            v[at] = b"<>/\"{}[],:0-9.eE x"[rng.below(18)];
            v
        }
        2 => [&b[..at], &b[(at + span).min(b.len())..]].concat(),
        3 => [&b[..(at + span).min(b.len())], &b[at..]].concat(),
        4 => b
            .iter()
            .map(|&c| if c.is_ascii_digit() && rng.below(20) == 0 { b'0' + rng.below(10) as u8 } else { c })
            .collect(),
        _ => {
            let odd = ["-1", "1e309", "NaN", "0", "99999999999999999999", "\"x\"", "null", "[]", "-0.0", "1e-45"]
                [rng.below(10)];
            let s = String::from_utf8_lossy(b);
            let digits: Vec<usize> = s.char_indices().filter(|(_, c)| c.is_ascii_digit()).map(|(i, _)| i).collect();
            let i = digits.get(rng.below(digits.len().max(1))).copied().unwrap_or(0);
            format!("{}{}{}", &s[..i], odd, &s[(i + 1).min(s.len())..]).into_bytes()
        }
    };
    if out.is_empty() {
        out.push(b'{');
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn fuzzed_files_give_ok_or_err_never_a_panic() {
    let voc = std::fs::read_to_string(fixture("voc_example.xml")).unwrap();
    let coco = coco_text();
    let mut rng = Rng::seed(12);
    let (mut errors, mut oks) = (0, 0);
    for i in 0..3000 {
        let base = if i % 2 == 0 { &voc } else { &coco };
        let mut text = mutate(base, &mut rng);
        for _ in 0..rng.below(3) {
            text = mutate(&text, &mut rng);
        }
        let origin = Path::new("fuzz.txt");
        let result = catch_unwind(AssertUnwindSafe(|| {
            if i % 2 == 0 {
                parse_voc(&text, origin, &CLASSES).map(|_| ())
            } else {
                parse_coco(&text, origin).map(|_| ())
            }
        }));
        match result {
            Ok(Ok(())) => oks += 1,
            Ok(Err(e)) => {
                assert!(e.to_string().starts_with("fuzz.txt: "), "{e}");
                errors += 1;
            }
            Err(_) => panic!("a reader panicked on mutation {i}:\n{text}"),
        }
    }
    // Both outcomes occur: mutations that break the file, and ones it survives.
    assert!(errors > 1000 && oks > 100, "{errors} errors, {oks} accepted");
}
