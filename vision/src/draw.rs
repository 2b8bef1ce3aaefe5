//! Detections drawn on a [`Picture`]: each box in its class colour, its class name and
//! score above it.

use derin_data::Picture;

use crate::Detections;

/// Each detection's box in its class colour with `name score` above it (names from
/// `class_names[label]`, or the label's number), lines and text `scale` pixels thick.
///
/// ```
/// use derin_data::Picture;
/// use derin_vision::{Detections, draw_detections};
/// let mut p = Picture::new(32, 24, [0; 3]);
/// let found = Detections { boxes: vec![[2.0, 10.0, 20.0, 22.0]], scores: vec![0.97], labels: vec![1] };
/// draw_detections(&mut p, &found, &["background", "cat"], 1);
/// assert_eq!(p.pixel(2, 21), Picture::palette()[1]); // the box's bottom-left corner
/// ```
pub fn draw_detections(picture: &mut Picture, detections: &Detections, class_names: &[&str], scale: usize) {
    for ((b, &label), &score) in detections.boxes.iter().zip(&detections.labels).zip(&detections.scores) {
        let name = class_names.get(label).map_or_else(|| label.to_string(), |n| n.to_string());
        picture.draw_labeled_box(b, label, &format!("{name} {score:.2}"), scale);
    }
}
