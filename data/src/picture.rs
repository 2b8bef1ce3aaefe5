//! Pictures: images, maps and boxes turned into RGB pixels and written as PNG files —
//! boxes with labels, grids of filters, feature maps or generated digits, heat maps
//! overlaid on an image, scatter plots of points.

mod font;
#[cfg(test)]
mod tests;

use std::path::Path;

use derin_tensor::Tensor;

use crate::{Error, Result};

/// An RGB picture, row-major.
///
/// ```
/// use derin_tensor::Tensor;
/// use derin_data::Picture;
/// let gray = Tensor::from_vec(vec![0.0, 0.5, 1.0, 2.0], &[1, 2, 2]);
/// let p = Picture::from_tensor(&gray).unwrap();
/// assert_eq!((p.width(), p.height()), (2, 2));
/// assert_eq!((p.pixel(0, 0), p.pixel(1, 0), p.pixel(1, 1)), ([0; 3], [128; 3], [255; 3])); // clamped
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Picture {
    width: usize,
    height: usize,
    pixels: Vec<[u8; 3]>,
}

/// Ten distinct colours for classes (class `c` gets colour `c mod 10`).
const PALETTE: [[u8; 3]; 10] = [
    [230, 25, 75],
    [60, 180, 75],
    [255, 225, 25],
    [0, 130, 200],
    [245, 130, 48],
    [145, 30, 180],
    [70, 240, 240],
    [240, 50, 230],
    [210, 245, 60],
    [250, 190, 212],
];

impl Picture {
    /// A `width × height` picture of one colour.
    pub fn new(width: usize, height: usize, colour: [u8; 3]) -> Self {
        Picture { width, height, pixels: vec![colour; width * height] }
    }

    /// An image `[1, H, W]` (gray) or `[3, H, W]` (RGB) with values in [0, 1] (clamped).
    ///
    /// # Errors
    /// [`Error::Invalid`] for another shape.
    pub fn from_tensor(image: &Tensor) -> Result<Self> {
        let s = image.shape();
        if s.len() != 3 || !(s[0] == 1 || s[0] == 3) {
            return Err(Error::Invalid {
                op: "Picture::from_tensor",
                reason: format!("expected [1 or 3, H, W], got {s:?}"),
            });
        }
        let (c, h, w) = (s[0], s[1], s[2]);
        let v = image.to_vec();
        let byte = |x: f32| (x.clamp(0.0, 1.0) * 255.0).round() as u8;
        let pixels = (0..h * w)
            .map(|i| if c == 1 { [byte(v[i]); 3] } else { [byte(v[i]), byte(v[h * w + i]), byte(v[2 * h * w + i])] })
            .collect();
        Ok(Picture { width: w, height: h, pixels })
    }

    /// A map `[H, W]` of any range, scaled so that its minimum is black and its maximum
    /// white (all gray when it is constant).
    ///
    /// # Errors
    /// [`Error::Invalid`] for a tensor that is not 2-D.
    pub fn from_map(map: &Tensor) -> Result<Self> {
        let s = map.shape();
        if s.len() != 2 {
            return Err(Error::Invalid { op: "Picture::from_map", reason: format!("expected [H, W], got {s:?}") });
        }
        let v = normalized(&map.to_vec());
        Picture::from_tensor(&Tensor::from_vec(v, &[1, s[0], s[1]]))
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The colour at column `x`, row `y`.
    ///
    /// # Panics
    /// If `(x, y)` is outside the picture.
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        assert!(x < self.width && y < self.height, "pixel ({x}, {y}) outside a {}×{} picture", self.width, self.height);
        self.pixels[y * self.width + x]
    }

    fn put(&mut self, x: i64, y: i64, colour: [u8; 3]) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            self.pixels[y as usize * self.width + x as usize] = colour;
        }
    }

    /// Every pixel repeated `factor` times in each direction (nearest neighbour).
    pub fn upscaled(&self, factor: usize) -> Picture {
        let f = factor.max(1);
        let (w, h) = (self.width * f, self.height * f);
        Picture {
            width: w,
            height: h,
            pixels: (0..w * h).map(|i| self.pixels[(i / w / f) * self.width + (i % w) / f]).collect(),
        }
    }

    /// The outline of `b` (in this picture's pixels), `thickness` pixels wide inside it.
    pub fn draw_box(&mut self, b: &[f32; 4], colour: [u8; 3], thickness: usize) {
        let [x1, y1, x2, y2] = b.map(|v| v.round() as i64);
        for t in 0..thickness as i64 {
            for x in x1..x2 {
                self.put(x, y1 + t, colour);
                self.put(x, y2 - 1 - t, colour);
            }
            for y in y1..y2 {
                self.put(x1 + t, y, colour);
                self.put(x2 - 1 - t, y, colour);
            }
        }
    }

    /// `text` in the 3×5 font scaled by `scale`, top-left corner at `(x, y)`, on a filled
    /// background of `background`.
    pub fn draw_text(&mut self, x: i64, y: i64, text: &str, colour: [u8; 3], background: [u8; 3], scale: usize) {
        let s = scale.max(1) as i64;
        let width = text.chars().count() as i64 * 4 * s + s;
        for dy in 0..7 * s {
            for dx in 0..width {
                self.put(x + dx, y + dy, background);
            }
        }
        for (k, c) in text.chars().enumerate() {
            for (row, bits) in font::glyph(c).iter().enumerate() {
                for col in 0..3 {
                    if bits >> (2 - col) & 1 == 1 {
                        for (py, px) in (0..s).flat_map(|a| (0..s).map(move |b| (a, b))) {
                            self.put(x + s + (k as i64 * 4 + col) * s + px, y + s + row as i64 * s + py, colour);
                        }
                    }
                }
            }
        }
    }

    /// Box `b` in the colour of class `class` (of [`Picture::palette`]) with `label`
    /// written above it on that colour, lines and text `scale` pixels thick.
    pub fn draw_labeled_box(&mut self, b: &[f32; 4], class: usize, label: &str, scale: usize) {
        let colour = PALETTE[class % PALETTE.len()];
        self.draw_box(b, colour, scale.max(1));
        let y = (b[1].round() as i64 - 7 * scale as i64).max(0);
        self.draw_text(b[0].round() as i64, y, label, [0, 0, 0], colour, scale);
    }

    /// A filled `w × h` rectangle with its top-left corner at `(x, y)` (clipped to the
    /// picture): a point of a scatter plot.
    pub fn fill_rect(&mut self, x: i64, y: i64, w: usize, h: usize, colour: [u8; 3]) {
        for dy in 0..h as i64 {
            for dx in 0..w as i64 {
                self.put(x + dx, y + dy, colour);
            }
        }
    }

    /// The ten class colours (class `c` gets colour `c mod 10`).
    pub fn palette() -> [[u8; 3]; 10] {
        PALETTE
    }

    /// `heat` (values in [0, 1], this picture's size) as a jet colour map blended over the
    /// picture with weight `alpha`.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `heat` is not `[height, width]`.
    pub fn overlay(&self, heat: &Tensor, alpha: f32) -> Result<Picture> {
        if heat.shape() != [self.height, self.width] {
            let what = format!("heat map {:?} for a picture of {}×{}", heat.shape(), self.height, self.width);
            return Err(Error::Invalid { op: "Picture::overlay", reason: what });
        }
        let pixels = self
            .pixels
            .iter()
            .zip(heat.to_vec())
            .map(|(p, h)| {
                let j = jet(h);
                [0, 1, 2].map(|c| ((1.0 - alpha) * p[c] as f32 + alpha * j[c] as f32).round().clamp(0.0, 255.0) as u8)
            })
            .collect();
        Ok(Picture { width: self.width, height: self.height, pixels })
    }

    /// Pictures of one size side by side, `columns` per row, `gap` pixels of `background`
    /// between them.
    ///
    /// # Errors
    /// [`Error::Invalid`] for no pictures, pictures of different sizes, or no columns.
    pub fn grid(pictures: &[Picture], columns: usize, gap: usize, background: [u8; 3]) -> Result<Picture> {
        let Some(first) = pictures.first() else {
            return Err(Error::Invalid { op: "Picture::grid", reason: "no pictures".into() });
        };
        let (w, h) = (first.width, first.height);
        if columns == 0 || pictures.iter().any(|p| (p.width, p.height) != (w, h)) {
            return Err(Error::Invalid {
                op: "Picture::grid",
                reason: format!("{columns} columns of pictures of different sizes"),
            });
        }
        let rows = pictures.len().div_ceil(columns);
        let mut out = Picture::new(columns * (w + gap) + gap, rows * (h + gap) + gap, background);
        for (k, p) in pictures.iter().enumerate() {
            let (x0, y0) = (gap + (k % columns) * (w + gap), gap + (k / columns) * (h + gap));
            for y in 0..h {
                out.pixels[(y0 + y) * out.width + x0..][..w].copy_from_slice(&p.pixels[y * w..][..w]);
            }
        }
        Ok(out)
    }

    /// Writes the picture as a PNG, atomically: a failed write leaves an existing file
    /// as it was.
    ///
    /// # Errors
    /// [`Error::Io`] naming the path when the file cannot be written (a failed write
    /// leaves an existing file as it was).
    pub fn save_png(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let io = |source: std::io::Error| Error::Io { path: path.to_path_buf(), source };
        let flat: Vec<u8> = self.pixels.iter().flatten().copied().collect();
        let buffer =
            image::RgbImage::from_raw(self.width as u32, self.height as u32, flat).expect("sized by the picture");
        let mut bytes = Vec::new();
        buffer
            .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
            .map_err(|e| Error::Format { path: path.to_path_buf(), reason: e.to_string() })?;
        let tmp = path.with_extension(format!("png.tmp{}", std::process::id()));
        std::fs::write(&tmp, &bytes).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(e)
        })
    }
}

/// Values scaled to [0, 1] by their minimum and maximum (0.5 when constant).
pub(crate) fn normalized(v: &[f32]) -> Vec<f32> {
    let (lo, hi) = v.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    if hi > lo { v.iter().map(|x| (x - lo) / (hi - lo)).collect() } else { vec![0.5; v.len()] }
}

/// The jet colour map: blue (0) through cyan, yellow to red (1).
pub(crate) fn jet(v: f32) -> [u8; 3] {
    let v = v.clamp(0.0, 1.0);
    let ramp = |c: f32| ((1.5 - (4.0 * v - c).abs()).clamp(0.0, 1.0) * 255.0).round() as u8;
    [ramp(3.0), ramp(2.0), ramp(1.0)]
}
