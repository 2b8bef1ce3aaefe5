//! Where RoI Align reads: for every box and output bin, the feature-map pixels of its
//! bilinear samples and their weights (already divided by the number of samples), worked
//! out once and used by the forward gather and the backward scatter alike.

use derin_tensor::ndarray::ArrayD;
use rayon::prelude::*;

use super::RoiAlignOptions;
use crate::{Error, Result};

/// The most sampling points one bin may have (a guard against absurdly large boxes).
const MAX_SAMPLES_PER_BIN: usize = 1 << 20;

/// A box's image and pyramid level.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Roi {
    pub(crate) image: usize,
    pub(crate) level: usize,
}

/// The sampling taps of every bin of every box.
pub(crate) struct Plan {
    pub(crate) rois: Vec<Roi>,
    pub(crate) output_size: [usize; 2],
    pub(crate) bins: usize,
    /// Images in the batch (`N`).
    batch: usize,
    levels: Vec<[usize; 2]>,
    /// `(flat pixel in its plane, weight)`.
    taps: Vec<(u32, f32)>,
    /// Bin `i`'s taps are `taps[starts[i]..starts[i + 1]]`.
    starts: Vec<usize>,
}

impl Plan {
    /// Plans boxes `rows` (`[image, x1, y1, x2, y2]`, already checked), box `i` on level
    /// `level[i]` of maps `levels` (`[H, W]`, `batch` images each) with scales `scales`.
    pub(crate) fn new(
        op: &'static str,
        batch: usize,
        levels: &[[usize; 2]],
        scales: &[f32],
        rows: &[[f32; 5]],
        level: &[usize],
        options: RoiAlignOptions,
    ) -> Result<Plan> {
        let [oh, ow] = options.output_size;
        let mut plan = Plan {
            rois: Vec::with_capacity(rows.len()),
            output_size: options.output_size,
            bins: oh * ow,
            batch,
            levels: levels.to_vec(),
            taps: Vec::new(),
            starts: vec![0],
        };
        for (i, (r, &l)) in rows.iter().zip(level).enumerate() {
            plan.rois.push(Roi { image: r[0] as usize, level: l });
            let [h, w] = levels[l];
            let off = if options.aligned { 0.5 } else { 0.0 };
            let s = scales[l];
            let (x1, y1) = (r[1] * s - off, r[2] * s - off);
            let (mut rw, mut rh) = (r[3] * s - off - x1, r[4] * s - off - y1);
            if !options.aligned {
                rw = rw.max(1.0);
                rh = rh.max(1.0);
            }
            let (bh, bw) = (rh / oh as f32, rw / ow as f32);
            let grid = |side: f32, out: usize| match options.sampling_ratio {
                r if r > 0 => r as usize,
                _ => (side / out as f32).ceil() as usize,
            };
            let (gh, gw) = (grid(rh, oh), grid(rw, ow));
            if gh.saturating_mul(gw) > MAX_SAMPLES_PER_BIN {
                let what =
                    format!("box {i} {r:?} needs a {gh}×{gw} sampling grid per bin; set sampling_ratio or shrink it");
                return Err(Error::Option { op, what });
            }
            let count = (gh * gw).max(1) as f32;
            for py in 0..oh {
                for px in 0..ow {
                    for iy in 0..gh {
                        let y = y1 + py as f32 * bh + (iy as f32 + 0.5) * bh / gh as f32;
                        for ix in 0..gw {
                            let x = x1 + px as f32 * bw + (ix as f32 + 0.5) * bw / gw as f32;
                            bilinear_taps(y, x, h, w, 1.0 / count, &mut plan.taps);
                        }
                    }
                    plan.starts.push(plan.taps.len());
                }
            }
        }
        Ok(plan)
    }

    /// Pixels in one plane of level `l`.
    pub(crate) fn plane(&self, l: usize) -> usize {
        self.levels[l][0] * self.levels[l][1]
    }

    /// The taps of bin `i` (box `i / bins`, bin `i % bins`).
    pub(crate) fn taps(&self, i: usize) -> &[(u32, f32)] {
        &self.taps[self.starts[i]..self.starts[i + 1]]
    }

    /// ∂loss/∂(level `l`'s map) from ∂loss/∂output `g` (`[K, C, bins]`, flat), each
    /// `[image, channel]` plane on its own thread so that no two threads add to one pixel.
    pub(crate) fn scatter(&self, l: usize, channels: usize, g: &[f32]) -> ArrayD<f32> {
        let [h, w] = self.levels[l];
        let n = self.batch;
        let mut of_image: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (k, r) in self.rois.iter().enumerate().filter(|(_, r)| r.level == l) {
            of_image[r.image].push(k);
        }
        let mut grad = vec![0.0f32; n * channels * h * w];
        let bins = self.bins;
        derin_tensor::install(|| {
            grad.par_chunks_mut((h * w).max(1)).enumerate().for_each(|(p, plane)| {
                let (image, c) = (p / channels, p % channels);
                for &k in &of_image[image] {
                    let g_kc = &g[(k * channels + c) * bins..][..bins];
                    for (b, &gb) in g_kc.iter().enumerate() {
                        if gb != 0.0 {
                            for &(off, wt) in self.taps(k * bins + b) {
                                plane[off as usize] += wt * gb;
                            }
                        }
                    }
                }
            })
        });
        ArrayD::from_shape_vec(vec![n, channels, h, w], grad).expect("sized above")
    }
}

/// Appends the four taps of torchvision's `bilinear_interpolate` at `(y, x)` on an
/// `h × w` plane, weights times `scale`; nothing for a point more than a pixel outside.
fn bilinear_taps(mut y: f32, mut x: f32, h: usize, w: usize, scale: f32, taps: &mut Vec<(u32, f32)>) {
    if y < -1.0 || y > h as f32 || x < -1.0 || x > w as f32 || h == 0 || w == 0 {
        return;
    }
    y = y.max(0.0);
    x = x.max(0.0);
    let (y_low, y_high) = corners(&mut y, h);
    let (x_low, x_high) = corners(&mut x, w);
    let (ly, lx) = (y - y_low as f32, x - x_low as f32);
    let (hy, hx) = (1.0 - ly, 1.0 - lx);
    for (yy, xx, wt) in
        [(y_low, x_low, hy * hx), (y_low, x_high, hy * lx), (y_high, x_low, ly * hx), (y_high, x_high, ly * lx)]
    {
        if wt != 0.0 {
            taps.push(((yy * w + xx) as u32, wt * scale));
        }
    }
}

/// The two neighbouring pixel indices of coordinate `v ≥ 0` on a side of `n` pixels;
/// at or past the last pixel both are the last and `v` snaps to it.
fn corners(v: &mut f32, n: usize) -> (usize, usize) {
    let low = *v as usize;
    if low >= n - 1 {
        *v = (n - 1) as f32;
        (n - 1, n - 1)
    } else {
        (low, low + 1)
    }
}
