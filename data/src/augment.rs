//! Seeded image augmentation on CHW images and NCHW batches: flips, random crop with zero
//! padding, Gaussian noise.
//!
//! Each image of a batch draws its own flip, crop offset and noise. Functions take a view
//! (`array.view()` or `tensor.view()`) and return a new array; [`Augmenter`] chains steps
//! with its own seeded generator and works on tensors too.

use derin_tensor::ndarray::{Array4, ArrayD, ArrayView4, ArrayViewD, Axis, Ix4};
use derin_tensor::{Rng, Tensor};

use crate::error::{Error, Result};

/// Which way an image is mirrored.
///
/// ```
/// use derin_data::{FlipAxis, flip};
/// use derin_tensor::ndarray::ArrayD;
///
/// let image = ArrayD::from_shape_vec(vec![1, 2, 1], vec![1.0f32, 2.0]).unwrap();
/// assert_eq!(flip(image.view(), FlipAxis::Vertical)?.as_slice().unwrap(), &[2.0, 1.0]);
/// assert_eq!(flip(image.view(), FlipAxis::Horizontal)?, image);
/// # Ok::<(), derin_data::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlipAxis {
    /// Left ↔ right (the width axis reversed).
    Horizontal,
    /// Top ↔ bottom (the height axis reversed).
    Vertical,
}

/// One augmentation step for [`Augmenter`].
///
/// ```
/// use derin_data::{Augmentation, Augmenter};
/// use derin_tensor::ndarray::ArrayD;
///
/// let mut jitter = Augmenter::new(vec![Augmentation::GaussianNoise { std: 0.0 }], 0);
/// let image = ArrayD::from_elem(vec![1, 2, 2], 0.5f32);
/// assert_eq!(jitter.apply(image.view())?, image);
/// # Ok::<(), derin_data::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Augmentation {
    /// [`random_flip`]: mirror each image with probability `p`.
    RandomFlip {
        /// Which way to mirror.
        axis: FlipAxis,
        /// Probability of mirroring an image, in `[0, 1]`.
        p: f32,
    },
    /// [`random_crop`]: zero-pad by `padding` on every side, crop back to the original size.
    RandomCrop {
        /// Pixels of zeros added on each side before cropping.
        padding: usize,
    },
    /// [`gaussian_noise`]: add `std · N(0, 1)` to every value.
    GaussianNoise {
        /// Standard deviation of the noise, ≥ 0.
        std: f32,
    },
}

/// A seeded chain of [`Augmentation`]s, applied in order.
///
/// # Example
/// ```
/// use derin_data::{Augmentation, Augmenter, FlipAxis};
/// use derin_tensor::Tensor;
///
/// let steps = vec![
///     Augmentation::RandomFlip { axis: FlipAxis::Horizontal, p: 0.5 },
///     Augmentation::RandomCrop { padding: 4 },
/// ];
/// let batch = Tensor::ones(&[8, 3, 32, 32]);
/// let (mut a, mut b) = (Augmenter::new(steps.clone(), 1), Augmenter::new(steps, 1));
/// let out = a.apply_tensor(&batch)?;
/// assert_eq!(out.shape(), &[8, 3, 32, 32]);
/// assert_eq!(out.to_vec(), b.apply_tensor(&batch)?.to_vec());
/// # Ok::<(), derin_data::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Augmenter {
    steps: Vec<Augmentation>,
    rng: Rng,
}

impl Augmenter {
    /// A chain of `steps` drawing from a generator seeded with `seed`.
    ///
    /// ```
    /// use derin_data::{Augmentation, Augmenter};
    /// let empty = Augmenter::new(Vec::new(), 0);
    /// assert!(format!("{empty:?}").contains("steps: []"));
    /// let _cifar = Augmenter::new(vec![Augmentation::RandomCrop { padding: 4 }], 42);
    /// ```
    pub fn new(steps: Vec<Augmentation>, seed: u64) -> Self {
        Augmenter { steps, rng: Rng::seed(seed) }
    }

    /// Applies every step, in order, to a CHW image or an NCHW batch.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `x` is not 3-D or 4-D, or a step's parameter is out of range.
    ///
    /// # Example
    /// ```
    /// use derin_data::{Augmentation, Augmenter, FlipAxis};
    /// use derin_tensor::ndarray::ArrayD;
    ///
    /// let mut mirror = Augmenter::new(vec![Augmentation::RandomFlip { axis: FlipAxis::Horizontal, p: 1.0 }], 0);
    /// let image = ArrayD::from_shape_vec(vec![1, 1, 3], vec![1.0f32, 2.0, 3.0]).unwrap();
    /// assert_eq!(mirror.apply(image.view())?.as_slice().unwrap(), &[3.0, 2.0, 1.0]);
    /// assert!(mirror.apply(ArrayD::zeros(vec![3]).view()).is_err());
    /// # Ok::<(), derin_data::Error>(())
    /// ```
    pub fn apply(&mut self, x: ArrayViewD<'_, f32>) -> Result<ArrayD<f32>> {
        let mut out = x.to_owned();
        for step in &self.steps {
            out = match *step {
                Augmentation::RandomFlip { axis, p } => random_flip(out.view(), axis, p, &mut self.rng)?,
                Augmentation::RandomCrop { padding } => random_crop(out.view(), padding, &mut self.rng)?,
                Augmentation::GaussianNoise { std } => gaussian_noise(out.view(), std, &mut self.rng)?,
            };
        }
        Ok(out)
    }

    /// [`apply`](Self::apply) on a tensor's values; the result is a new, untracked tensor.
    ///
    /// # Errors
    /// As [`apply`](Self::apply).
    ///
    /// # Example
    /// ```
    /// use derin_data::{Augmentation, Augmenter};
    /// use derin_tensor::Tensor;
    ///
    /// let mut noise = Augmenter::new(vec![Augmentation::GaussianNoise { std: 1.0 }], 0);
    /// let out = noise.apply_tensor(&Tensor::zeros(&[2, 1, 8, 8]))?;
    /// assert_eq!(out.shape(), &[2, 1, 8, 8]);
    /// assert!(out.to_vec().iter().any(|&v| v != 0.0));
    /// # Ok::<(), derin_data::Error>(())
    /// ```
    pub fn apply_tensor(&mut self, x: &Tensor) -> Result<Tensor> {
        Ok(Tensor::from_array(self.apply(x.view())?))
    }
}

/// Mirrors every image of a CHW image or NCHW batch.
///
/// # Errors
/// [`Error::Invalid`] if `x` is not 3-D or 4-D.
///
/// # Example
/// ```
/// use derin_data::{FlipAxis, flip};
/// use derin_tensor::ndarray::{Array3, IxDyn};
///
/// let image = Array3::from_shape_fn((1, 2, 3), |(_, h, w)| (10 * h + w) as f32).into_dyn();
/// let mirrored = flip(image.view(), FlipAxis::Horizontal)?;
/// assert_eq!(mirrored[IxDyn(&[0, 1, 0])], 12.0);
/// assert_eq!(flip(mirrored.view(), FlipAxis::Horizontal)?, image);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn flip(x: ArrayViewD<'_, f32>, axis: FlipAxis) -> Result<ArrayD<f32>> {
    per_image("flip", x, |mut image, mut out| {
        image.invert_axis(flip_axis(axis));
        out.assign(&image);
    })
}

/// Mirrors each image of a CHW image or NCHW batch with probability `p`, each on its own draw.
///
/// # Errors
/// [`Error::Invalid`] if `x` is not 3-D or 4-D or `p` is not in `[0, 1]`.
///
/// # Example
/// ```
/// use derin_data::{FlipAxis, random_flip};
/// use derin_tensor::{Rng, ndarray::ArrayD};
///
/// let batch = ArrayD::from_shape_fn(vec![2, 1, 2, 2], |i| (i[2] * 2 + i[3]) as f32);
/// let always = random_flip(batch.view(), FlipAxis::Vertical, 1.0, &mut Rng::seed(0))?;
/// assert_eq!(always[[1, 0, 0, 0]], 2.0);
/// let never = random_flip(batch.view(), FlipAxis::Vertical, 0.0, &mut Rng::seed(0))?;
/// assert_eq!(never, batch);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn random_flip(x: ArrayViewD<'_, f32>, axis: FlipAxis, p: f32, rng: &mut Rng) -> Result<ArrayD<f32>> {
    if !(0.0..=1.0).contains(&p) {
        return Err(invalid("random_flip", format!("p must be in [0, 1], got {p}")));
    }
    per_image("random_flip", x, |mut image, mut out| {
        if rng.uniform01() < p {
            image.invert_axis(flip_axis(axis));
        }
        out.assign(&image);
    })
}

/// Zero-pads each image by `padding` pixels on every side, then crops a window of the
/// original size at a uniformly drawn offset (torchvision's `RandomCrop(size, padding)` with
/// `size` the input's): content shifts by up to `padding` pixels each way, zeros fill in.
///
/// # Errors
/// [`Error::Invalid`] if `x` is not 3-D or 4-D.
///
/// # Example
/// ```
/// use derin_data::random_crop;
/// use derin_tensor::{Rng, ndarray::ArrayD};
///
/// let image = ArrayD::from_elem(vec![3, 8, 8], 1.0f32);
/// let cropped = random_crop(image.view(), 2, &mut Rng::seed(4))?;
/// assert_eq!(cropped.shape(), &[3, 8, 8]);
/// let kept = cropped.sum() / 3.0;
/// assert!((36.0..=64.0).contains(&kept), "at least a 6×6 window of ones survives");
/// assert_eq!(random_crop(image.view(), 0, &mut Rng::seed(4))?, image);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn random_crop(x: ArrayViewD<'_, f32>, padding: usize, rng: &mut Rng) -> Result<ArrayD<f32>> {
    per_image("random_crop", x, |image, mut out| {
        let (_, height, width) = image.dim();
        // Top-left corner of the window in padded coordinates, in 0..=2·padding.
        let top = rng.below(2 * padding + 1);
        let left = rng.below(2 * padding + 1);
        for ((c, h, w), value) in out.indexed_iter_mut() {
            let (src_h, src_w) = ((h + top).wrapping_sub(padding), (w + left).wrapping_sub(padding));
            *value = if src_h < height && src_w < width { image[[c, src_h, src_w]] } else { 0.0 };
        }
    })
}

/// Adds independent Gaussian noise `std · N(0, 1)` to every value.
///
/// # Errors
/// [`Error::Invalid`] if `x` is not 3-D or 4-D or `std` is negative or not finite.
///
/// # Example
/// ```
/// use derin_data::gaussian_noise;
/// use derin_tensor::{Rng, ndarray::ArrayD};
///
/// let image = ArrayD::from_elem(vec![1, 100, 100], 0.5f32);
/// let noisy = gaussian_noise(image.view(), 0.1, &mut Rng::seed(0))?;
/// let mean = noisy.mean().unwrap();
/// assert!((mean - 0.5).abs() < 0.01);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn gaussian_noise(x: ArrayViewD<'_, f32>, std: f32, rng: &mut Rng) -> Result<ArrayD<f32>> {
    if !(std.is_finite() && std >= 0.0) {
        return Err(invalid("gaussian_noise", format!("std must be finite and ≥ 0, got {std}")));
    }
    per_image("gaussian_noise", x, |image, mut out| {
        out.zip_mut_with(&image, |o, &v| *o = v + std * rng.normal());
    })
}

/// The axis of a CHW image that a flip reverses.
fn flip_axis(axis: FlipAxis) -> Axis {
    match axis {
        FlipAxis::Horizontal => Axis(2),
        FlipAxis::Vertical => Axis(1),
    }
}

/// Runs `f(image, output)` on each CHW image of a CHW image or NCHW batch, in order, and
/// returns the outputs in the input's rank.
fn per_image(
    op: &'static str,
    x: ArrayViewD<'_, f32>,
    mut f: impl FnMut(derin_tensor::ndarray::ArrayView3<f32>, derin_tensor::ndarray::ArrayViewMut3<f32>),
) -> Result<ArrayD<f32>> {
    let single = match x.ndim() {
        3 => true,
        4 => false,
        _ => return Err(invalid(op, format!("expected a CHW image or NCHW batch, got shape {:?}", x.shape()))),
    };
    let batch: ArrayView4<f32> =
        if single { x.insert_axis(Axis(0)).into_dimensionality::<Ix4>() } else { x.into_dimensionality::<Ix4>() }
            .expect("rank checked above");
    let mut out = Array4::zeros(batch.raw_dim());
    for (image, slot) in batch.outer_iter().zip(out.outer_iter_mut()) {
        f(image, slot);
    }
    Ok(if single { out.index_axis_move(Axis(0), 0).into_dyn() } else { out.into_dyn() })
}

fn invalid(op: &'static str, reason: String) -> Error {
    Error::Invalid { op, reason }
}

#[cfg(test)]
mod tests;
