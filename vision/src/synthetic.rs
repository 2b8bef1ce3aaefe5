//! A seeded detection set made of MNIST digits pasted on larger blank canvases, with the
//! exact box of each digit's ink and its class: a detector's task with a known answer that
//! trains on a CPU.

use derin_data::{Collate, Dataset};
use derin_tensor::ndarray::{ArrayView3, s};
use derin_tensor::{Rng, Tensor};

use crate::{DetectionBatch, Error, Result, Target};

/// How the canvases are made: `size` `[height, width]`, `digits` per image (inclusive
/// range), digit `sides` in pixels (inclusive range; MNIST's are 28).
///
/// Each digit is resized (bilinear) to a square of a random side, pasted (maximum with
/// what is there) at a random place where its square overlaps no other, and boxed tightly
/// around its pixels of value ≥ 0.25; its label is the digit + 1 (class 0 is the
/// background).
///
/// ```
/// use derin_tensor::ndarray::Array3;
/// use derin_vision::DigitCanvas;
/// // Two hand-made "digits": a 28×28 square of ink, a 28×28 blank with a bar.
/// let mut digits = Array3::<f32>::zeros((2, 28, 28));
/// digits.slice_mut(derin_tensor::ndarray::s![0, 4..24, 4..24]).fill(1.0);
/// digits.slice_mut(derin_tensor::ndarray::s![1, 10..18, 2..26]).fill(1.0);
/// let set = DigitCanvas::new([64, 64]).digits(1, 3).sides(28, 28).generate(digits.view(), &[7, 1], 5, 0).unwrap();
/// assert_eq!(set.images.len(), 5);
/// let (image, target) = set.item(0);
/// assert_eq!(image.shape(), &[1, 64, 64]);
/// let b = target.boxes[0];
/// // At side 28 no resizing happens: the square's box is 20×20, the bar's 24×8.
/// assert!([(20.0, 20.0, 8), (24.0, 8.0, 2)].contains(&(b[2] - b[0], b[3] - b[1], target.labels[0])));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DigitCanvas {
    size: [usize; 2],
    digits: [usize; 2],
    sides: [usize; 2],
}

impl DigitCanvas {
    /// Canvases of `size`, 1 to 4 digits each, sides 16 to 48 pixels.
    pub fn new(size: [usize; 2]) -> Self {
        DigitCanvas { size, digits: [1, 4], sides: [16, 48] }
    }

    /// Between `min` and `max` digits per image.
    pub fn digits(mut self, min: usize, max: usize) -> Self {
        self.digits = [min, max];
        self
    }

    /// Digit sides between `min` and `max` pixels.
    pub fn sides(mut self, min: usize, max: usize) -> Self {
        self.sides = [min, max];
        self
    }

    /// `count` canvases drawing digits from `images` (`[n, 28, 28]`, values in [0, 1])
    /// with `labels` (0–9), from `seed`.
    ///
    /// # Errors
    /// [`Error::Option`] for ranges with `min > max`, no digits, a side of 0 or larger
    /// than the canvas, or labels not one per image.
    pub fn generate(&self, images: ArrayView3<f32>, labels: &[usize], count: usize, seed: u64) -> Result<DetectionSet> {
        let [h, w] = self.size;
        let bad = |what: String| Err(Error::Option { op: "DigitCanvas", what });
        if self.digits[0] > self.digits[1] || self.sides[0] > self.sides[1] || self.sides[0] == 0 {
            return bad(format!(
                "digits {:?} and sides {:?} must be ranges min ≤ max, sides > 0",
                self.digits, self.sides
            ));
        } else if self.sides[1] > h.min(w) {
            return bad(format!("digit sides up to {} do not fit a canvas of {:?}", self.sides[1], self.size));
        } else if images.shape()[0] == 0 || images.shape()[0] != labels.len() {
            return bad(format!("{} digit images and {} labels", images.shape()[0], labels.len()));
        }
        let mut rng = Rng::seed(seed);
        let mut set = DetectionSet::default();
        for _ in 0..count {
            let mut canvas = vec![0.0f32; h * w];
            let mut squares: Vec<[usize; 3]> = Vec::new();
            let mut target = Target::default();
            let n = self.digits[0] + rng.below(self.digits[1] - self.digits[0] + 1);
            for _ in 0..n {
                let side = self.sides[0] + rng.below(self.sides[1] - self.sides[0] + 1);
                let free =
                    (0..50).map(|_| [rng.below(h - side + 1), rng.below(w - side + 1), side]).find(|&[y, x, _]| {
                        squares
                            .iter()
                            .all(|&[y2, x2, s2]| y + side <= y2 || y2 + s2 <= y || x + side <= x2 || x2 + s2 <= x)
                    });
                let Some([y, x, _]) = free else { continue };
                let k = rng.below(labels.len());
                let digit = Tensor::from_array(images.slice(s![k, .., ..]).to_owned().into_dyn());
                let digit = digit.reshape(&[1, 1, digit.shape()[0], digit.shape()[1]]);
                let digit = if digit.shape()[2..] == [side, side] {
                    digit
                } else {
                    digit.upsample_bilinear2d([side, side], false)
                };
                let pixels = digit.to_vec();
                let mut ink = [usize::MAX, usize::MAX, 0, 0];
                for (i, &v) in pixels.iter().enumerate() {
                    let (dy, dx) = (i / side, i % side);
                    let c = &mut canvas[(y + dy) * w + x + dx];
                    *c = c.max(v.clamp(0.0, 1.0));
                    if v >= 0.25 {
                        ink = [ink[0].min(x + dx), ink[1].min(y + dy), ink[2].max(x + dx + 1), ink[3].max(y + dy + 1)];
                    }
                }
                if ink[0] == usize::MAX {
                    continue; // a blank digit has no box
                }
                squares.push([y, x, side]);
                target.boxes.push(ink.map(|v| v as f32));
                target.labels.push(labels[k] + 1);
            }
            set.images.push(Tensor::from_vec(canvas, &[1, h, w]));
            set.targets.push(target);
        }
        Ok(set)
    }
}

/// Images and their objects, a [`Dataset`] of `(image, target)` pairs.
#[derive(Clone, Debug, Default)]
pub struct DetectionSet {
    /// Images `[C, H, W]`.
    pub images: Vec<Tensor>,
    /// Each image's objects.
    pub targets: Vec<Target>,
}

impl DetectionSet {
    /// Image `i` and its target.
    ///
    /// # Panics
    /// If `i` is not below [`len`](Dataset::len).
    pub fn item(&self, i: usize) -> (&Tensor, &Target) {
        (&self.images[i], &self.targets[i])
    }

    /// The set as batches of `size` in order (the last one may be smaller): what `fit`
    /// can take as a `Vec` (the same batches every epoch); use a `DataLoader` with
    /// [`CollateDetections`] to shuffle.
    pub fn batches(&self, size: usize) -> Vec<DetectionBatch> {
        let idx: Vec<usize> = (0..self.images.len()).collect();
        idx.chunks(size.max(1))
            .map(|c| DetectionBatch {
                images: c.iter().map(|&i| self.images[i].clone()).collect(),
                targets: c.iter().map(|&i| self.targets[i].clone()).collect(),
            })
            .collect()
    }
}

impl Dataset for DetectionSet {
    type Item = (Tensor, Target);

    fn len(&self) -> usize {
        self.images.len()
    }

    fn get(&self, i: usize) -> derin_data::Result<(Tensor, Target)> {
        if i >= self.images.len() {
            let reason = format!("index {i} is past the end of a set of {} images", self.images.len());
            return Err(derin_data::Error::Invalid { op: "DetectionSet::get", reason });
        }
        Ok((self.images[i].clone(), self.targets[i].clone()))
    }
}

/// Gathers `(image, target)` items into a [`DetectionBatch`] (images of any sizes).
#[derive(Clone, Copy, Debug, Default)]
pub struct CollateDetections;

impl Collate<(Tensor, Target)> for CollateDetections {
    type Batch = DetectionBatch;

    fn collate(&self, items: Vec<(Tensor, Target)>, _indices: &[usize]) -> derin_data::Result<DetectionBatch> {
        let (images, targets) = items.into_iter().unzip();
        Ok(DetectionBatch { images, targets })
    }
}

#[cfg(test)]
mod tests {
    use derin_tensor::ndarray::Array3;

    use super::*;
    use crate::box_iou;

    #[test]
    fn canvases_hold_the_asked_digits_without_overlaps() {
        let mut digits = Array3::<f32>::zeros((3, 28, 28));
        digits.slice_mut(s![.., 6..22, 8..20]).fill(0.9);
        let set =
            DigitCanvas::new([96, 96]).digits(1, 4).sides(18, 40).generate(digits.view(), &[0, 5, 9], 300, 7).unwrap();
        let counts: Vec<usize> = set.targets.iter().map(|t| t.boxes.len()).collect();
        let mean = counts.iter().sum::<usize>() as f32 / counts.len() as f32;
        // 1 to 4 asked, uniformly: 2.5 on average, a little less when a digit finds no room.
        assert!((2.2..=2.5).contains(&mean), "mean digits per canvas {mean}");
        assert!(counts.iter().all(|&c| (1..=4).contains(&c)));
        for t in &set.targets {
            assert!(t.labels.iter().all(|l| [1, 6, 10].contains(l)));
            assert!(t.boxes.iter().all(|b| b[0] >= 0.0 && b[1] >= 0.0 && b[2] <= 96.0 && b[3] <= 96.0 && b[2] > b[0]));
            let iou = box_iou(&t.boxes, &t.boxes).unwrap();
            for i in 0..t.boxes.len() {
                for j in 0..t.boxes.len() {
                    assert!(i == j || iou[[i, j]] == 0.0, "digits overlap");
                }
            }
        }
        let bad = DigitCanvas::new([32, 32]).sides(16, 48).generate(digits.view(), &[0, 5, 9], 1, 0);
        assert!(bad.unwrap_err().to_string().contains("do not fit a canvas"));
    }
}
