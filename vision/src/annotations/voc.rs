//! Pascal VOC annotations: one XML file per image (`<annotation>` with `<filename>`,
//! `<size>` and an `<object>` per box: `<name>`, `<difficult>`, `<bndbox>`).

use std::path::Path;

use roxmltree::{Document, Node};

use super::{Annotation, bad, check_box, read_text};
use crate::Result;

/// Reads a VOC XML file; `classes` are the class names, label `i + 1` for `classes[i]`.
///
/// Coordinates are taken as written (VOC's `xmin` … `ymax`, pixel-based from 1).
///
/// # Errors
/// [`crate::Error::Io`] naming the file when it cannot be read;
/// [`crate::Error::Annotation`] naming the file and what is wrong: not XML (truncated,
/// malformed), no `<annotation>` root, a missing or non-numeric size or coordinate, a
/// class not in `classes`, a box with `x2 ≤ x1`, `y2 ≤ y1`, or outside the image.
pub fn read_voc(path: impl AsRef<Path>, classes: &[&str]) -> Result<Annotation> {
    let path = path.as_ref();
    parse_voc(&read_text(path)?, path, classes)
}

/// [`read_voc`] for XML already in memory; `origin` names it in errors.
///
/// # Errors
/// As [`read_voc`].
///
/// ```
/// let xml = "<annotation><filename>cat.jpg</filename><size><width>64</width><height>48</height></size>\
///            <object><name>cat</name><difficult>1</difficult>\
///            <bndbox><xmin>3</xmin><ymin>4</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object></annotation>";
/// let a = derin_vision::parse_voc(xml, "cat.xml".as_ref(), &["dog", "cat"]).unwrap();
/// assert_eq!((a.file_name.as_str(), a.size), ("cat.jpg", [48, 64]));
/// assert_eq!((a.target.boxes, a.target.labels, a.difficult), (vec![[3.0, 4.0, 30.0, 40.0]], vec![2], vec![true]));
/// let e = derin_vision::parse_voc(&xml.replace("<name>cat", "<name>cow"), "cat.xml".as_ref(), &["dog", "cat"]);
/// assert_eq!(e.unwrap_err().to_string(), "cat.xml: object 0: class \"cow\" is not one of [\"dog\", \"cat\"]");
/// ```
pub fn parse_voc(xml: &str, origin: &Path, classes: &[&str]) -> Result<Annotation> {
    let doc = match Document::parse(xml) {
        Ok(d) => d,
        Err(e) => return bad(origin, format!("not valid XML: {e}")),
    };
    let root = doc.root_element();
    if root.tag_name().name() != "annotation" {
        return bad(origin, format!("the root element is <{}>, not <annotation>", root.tag_name().name()));
    }
    let file_name = child(root, "filename").and_then(|n| n.text()).unwrap_or("").trim().to_string();
    let size = match child(root, "size") {
        Some(s) => [number(origin, s, "height", "size")?, number(origin, s, "width", "size")?],
        None => return bad(origin, "no <size>"),
    };
    if size.contains(&0.0) || size.iter().any(|v| v.fract() != 0.0 || *v < 0.0 || *v > 1e9) {
        return bad(origin, format!("image size {size:?} is not a positive whole number of pixels"));
    }
    let size = size.map(|v| v as usize);
    let mut a = Annotation { file_name, size, ..Annotation::default() };
    for (k, object) in root.children().filter(|n| n.has_tag_name("object")).enumerate() {
        let name = child(object, "name").and_then(|n| n.text()).unwrap_or("").trim();
        let Some(label) = classes.iter().position(|c| *c == name) else {
            return bad(origin, format!("object {k}: class {name:?} is not one of {classes:?}"));
        };
        let Some(b) = child(object, "bndbox") else { return bad(origin, format!("object {k}: no <bndbox>")) };
        let what = format!("object {k} bndbox");
        let bx = [
            number(origin, b, "xmin", &what)?,
            number(origin, b, "ymin", &what)?,
            number(origin, b, "xmax", &what)?,
            number(origin, b, "ymax", &what)?,
        ];
        check_box(origin, k, bx, size)?;
        let difficult = child(object, "difficult").and_then(|n| n.text()).is_some_and(|t| t.trim() == "1");
        a.target.boxes.push(bx);
        a.target.labels.push(label + 1);
        a.difficult.push(difficult);
    }
    Ok(a)
}

fn child<'a>(node: Node<'a, 'a>, tag: &str) -> Option<Node<'a, 'a>> {
    node.children().find(|n| n.has_tag_name(tag))
}

/// The number in `<tag>` under `node`.
fn number(origin: &Path, node: Node, tag: &str, within: &str) -> Result<f32> {
    let Some(text) = child(node, tag).map(|n| n.text().unwrap_or("").trim()) else {
        return bad(origin, format!("{within}: no <{tag}>"));
    };
    text.parse::<f32>().or_else(|_| bad(origin, format!("{within}: <{tag}> is {text:?}, not a number")))
}
