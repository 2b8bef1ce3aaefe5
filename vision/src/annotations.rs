//! Reading users' own detection data: Pascal VOC XML files and COCO JSON files, each
//! box checked against its image and each class against the classes given.

mod coco;
#[cfg(test)]
mod tests;
mod voc;

use std::path::{Path, PathBuf};

use crate::{Error, Result, Target};
pub use coco::{CocoDataset, parse_coco, read_coco};
pub use voc::{parse_voc, read_voc};

/// One image's annotation: its file, its size and its objects (labels from 1, in the
/// order of the classes the reader was given; 0 is the background).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Annotation {
    /// The image's file name as the annotation gives it.
    pub file_name: String,
    /// `[height, width]` in pixels.
    pub size: [usize; 2],
    /// The objects.
    pub target: Target,
    /// Per object: marked difficult (VOC) or a crowd (COCO); metrics may leave them out.
    pub difficult: Vec<bool>,
}

/// `Err` naming `origin` and what is wrong.
pub(crate) fn bad<T>(origin: &Path, what: impl Into<String>) -> Result<T> {
    Err(Error::Annotation { path: origin.to_path_buf(), what: what.into() })
}

/// The text of `path`, or an error naming it.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::Io { path: PathBuf::from(path), reason: e.to_string() })
}

/// Checks box `b` (`[x1, y1, x2, y2]`) of object `k` against an image of `[h, w]`.
pub(crate) fn check_box(origin: &Path, k: usize, b: [f32; 4], [h, w]: [usize; 2]) -> Result<()> {
    if b.iter().any(|v| !v.is_finite()) {
        bad(origin, format!("object {k}: box {b:?} has a NaN or infinite coordinate"))
    } else if b[2] <= b[0] || b[3] <= b[1] {
        bad(origin, format!("object {k}: box {b:?} has x2 ≤ x1 or y2 ≤ y1"))
    } else if b[0] < 0.0 || b[1] < 0.0 || b[2] > w as f32 || b[3] > h as f32 {
        bad(origin, format!("object {k}: box {b:?} lies outside the image of {h}×{w} pixels"))
    } else {
        Ok(())
    }
}
