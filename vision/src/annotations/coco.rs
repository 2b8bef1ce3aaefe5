//! COCO annotations: one JSON file with `images` (`id`, `file_name`, `width`, `height`),
//! `categories` (`id`, `name`) and `annotations` (`image_id`, `category_id`,
//! `bbox` = `[x, y, width, height]`, `iscrowd`).

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::{Annotation, bad, check_box, read_text};
use crate::Result;

/// The images of a COCO file with their objects; labels number the categories from 1 in
/// the order of their ids.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CocoDataset {
    /// `(id, name)` of each category, by id; label `i + 1` is `categories[i]`.
    pub categories: Vec<(u64, String)>,
    /// The images, in the file's order.
    pub images: Vec<Annotation>,
}

impl CocoDataset {
    /// The class names by label, `"background"` first (what [`crate::draw_detections`]
    /// takes).
    pub fn class_names(&self) -> Vec<&str> {
        std::iter::once("background").chain(self.categories.iter().map(|c| c.1.as_str())).collect()
    }
}

/// Reads a COCO JSON annotation file.
///
/// Boxes become `[x, y, x + width, y + height]`; crowd annotations (`iscrowd: 1`) are kept,
/// marked in [`Annotation::difficult`].
///
/// # Errors
/// [`crate::Error::Io`] naming the file when it cannot be read;
/// [`crate::Error::Annotation`] naming the file and what is wrong: not JSON (truncated,
/// malformed), a missing or mistyped field, an image id or category id given twice, an
/// annotation naming an unknown image or category, a box with a side ≤ 0 or outside its
/// image.
pub fn read_coco(path: impl AsRef<Path>) -> Result<CocoDataset> {
    let path = path.as_ref();
    parse_coco(&read_text(path)?, path)
}

/// [`read_coco`] for JSON already in memory; `origin` names it in errors.
///
/// # Errors
/// As [`read_coco`].
///
/// ```
/// let json = r#"{"images": [{"id": 7, "file_name": "a.png", "width": 40, "height": 30}],
///                "categories": [{"id": 3, "name": "digit"}],
///                "annotations": [{"image_id": 7, "category_id": 3, "bbox": [2, 4, 10, 5], "iscrowd": 0}]}"#;
/// let set = derin_vision::parse_coco(json, "train.json".as_ref()).unwrap();
/// assert_eq!(set.images[0].target.boxes, vec![[2.0, 4.0, 12.0, 9.0]]);
/// assert_eq!((set.images[0].size, set.class_names()), ([30, 40], vec!["background", "digit"]));
/// let e = derin_vision::parse_coco(&json.replace("\"category_id\": 3", "\"category_id\": 4"), "train.json".as_ref());
/// assert_eq!(e.unwrap_err().to_string(), "train.json: annotation 0: category_id 4 is not a category of the file");
/// ```
pub fn parse_coco(text: &str, origin: &Path) -> Result<CocoDataset> {
    let json: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return bad(origin, format!("not valid JSON: {e}")),
    };
    let list = |key: &str| -> Result<&Vec<Value>> {
        match json.get(key).and_then(Value::as_array) {
            Some(a) => Ok(a),
            None => bad(origin, format!("no \"{key}\" list")),
        }
    };
    let mut categories = Vec::new();
    for (i, c) in list("categories")?.iter().enumerate() {
        let what = format!("category {i}");
        categories.push((uint(origin, c, "id", &what)?, string(origin, c, "name", &what)?));
    }
    categories.sort();
    if let Some(w) = categories.windows(2).find(|w| w[0].0 == w[1].0) {
        return bad(origin, format!("category id {} is given twice", w[0].0));
    }
    let label: HashMap<u64, usize> = categories.iter().enumerate().map(|(i, c)| (c.0, i + 1)).collect();
    let mut images = Vec::new();
    let mut index = HashMap::new();
    for (i, im) in list("images")?.iter().enumerate() {
        let what = format!("image {i}");
        let id = uint(origin, im, "id", &what)?;
        let size = [uint(origin, im, "height", &what)?, uint(origin, im, "width", &what)?];
        if size.contains(&0) || size.iter().any(|&s| s > 1 << 30) {
            return bad(origin, format!("{what}: size {size:?} is not a positive number of pixels"));
        }
        if index.insert(id, images.len()).is_some() {
            return bad(origin, format!("image id {id} is given twice"));
        }
        let file_name = string(origin, im, "file_name", &what)?;
        images.push(Annotation { file_name, size: size.map(|s| s as usize), ..Annotation::default() });
    }
    for (k, a) in list("annotations")?.iter().enumerate() {
        let what = format!("annotation {k}");
        let image_id = uint(origin, a, "image_id", &what)?;
        let Some(&i) = index.get(&image_id) else {
            return bad(origin, format!("{what}: image_id {image_id} is not an image of the file"));
        };
        let category = uint(origin, a, "category_id", &what)?;
        let Some(&l) = label.get(&category) else {
            return bad(origin, format!("{what}: category_id {category} is not a category of the file"));
        };
        let bbox: Vec<f64> = a
            .get("bbox")
            .and_then(Value::as_array)
            .and_then(|v| v.iter().map(Value::as_f64).collect())
            .unwrap_or_default();
        let [x, y, w, h] = bbox[..] else {
            return bad(origin, format!("{what}: bbox is not four numbers [x, y, width, height]"));
        };
        let b = [x as f32, y as f32, (x + w) as f32, (y + h) as f32];
        check_box(origin, k, b, images[i].size).or_else(|_| {
            bad(
                origin,
                format!("{what}: bbox {bbox:?} has a side ≤ 0 or lies outside image {image_id} ({:?})", images[i].size),
            )
        })?;
        let crowd = a.get("iscrowd").and_then(Value::as_u64).unwrap_or(0) == 1;
        let image = &mut images[i];
        image.target.boxes.push(b);
        image.target.labels.push(l);
        image.difficult.push(crowd);
    }
    Ok(CocoDataset { categories, images })
}

fn uint(origin: &Path, v: &Value, key: &str, what: &str) -> Result<u64> {
    match v.get(key).and_then(Value::as_u64) {
        Some(n) => Ok(n),
        None => bad(origin, format!("{what}: \"{key}\" is missing or not a whole number ≥ 0")),
    }
}

fn string(origin: &Path, v: &Value, key: &str, what: &str) -> Result<String> {
    match v.get(key).and_then(Value::as_str) {
        Some(s) => Ok(s.to_string()),
        None => bad(origin, format!("{what}: \"{key}\" is missing or not a string")),
    }
}
