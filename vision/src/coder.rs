//! The box coder of R-CNN detectors: boxes as offsets from anchors (or proposals) and
//! back, with torchvision's `BoxCoder` formulas, weights and clamp.

use crate::boxes::check_boxes;
use crate::{BoxXyxy, Error};

/// Encodes a box relative to a reference box (an anchor or a proposal) as
/// `(dx, dy, dw, dh)` and decodes it back, as torchvision's `BoxCoder`:
///
/// `dx = wx·(x_c − a_xc)/a_w`, `dy = wy·(y_c − a_yc)/a_h`, `dw = ww·ln(w/a_w)`,
/// `dh = wh·ln(h/a_h)` (centres and sizes of the box and of the reference `a`).
/// Decoding divides by the weights and clamps `dw`, `dh` at `ln(1000/16)` before the
/// exponential, so a wild prediction cannot overflow.
///
/// The RoI heads use weights `(10, 10, 5, 5)`, the RPN `(1, 1, 1, 1)`.
///
/// ```
/// use derin_vision::BoxCoder;
/// let coder = BoxCoder::new([1.0, 1.0, 1.0, 1.0]);
/// let anchor = [[0.0, 0.0, 10.0, 10.0]];
/// let codes = coder.encode(&[[5.0, 0.0, 15.0, 10.0]], &anchor).unwrap();
/// assert_eq!(codes, vec![[0.5, 0.0, 0.0, 0.0]]); // shifted by half a width
/// assert_eq!(coder.decode(&codes, &anchor).unwrap(), vec![[5.0, 0.0, 15.0, 10.0]]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoxCoder {
    /// `(wx, wy, ww, wh)`.
    pub weights: [f32; 4],
    /// The largest `dw`, `dh` decoding uses (torchvision: `ln(1000/16)`).
    pub clip: f32,
}

impl BoxCoder {
    /// A coder with `weights` and torchvision's clamp `ln(1000/16)`.
    pub fn new(weights: [f32; 4]) -> Self {
        BoxCoder { weights, clip: (1000.0f32 / 16.0).ln() }
    }

    /// The codes of `boxes` relative to `references` (pairwise, same length).
    ///
    /// # Errors
    /// [`Error::Mismatch`] for different lengths, [`Error::InvalidBox`] for a bad box or a
    /// box (either side) of zero width or height, whose logarithm is infinite.
    pub fn encode(&self, boxes: &[BoxXyxy], references: &[BoxXyxy]) -> Result<Vec<[f32; 4]>, Error> {
        pairwise("encode", boxes.len(), references.len())?;
        check_sized("encode", boxes)?;
        check_sized("encode", references)?;
        let [wx, wy, ww, wh] = self.weights;
        Ok(boxes
            .iter()
            .zip(references)
            .map(|(b, a)| {
                let ([bx, by, bw, bh], [ax, ay, aw, ah]) = (centre_size(b), centre_size(a));
                [wx * (bx - ax) / aw, wy * (by - ay) / ah, ww * (bw / aw).ln(), wh * (bh / ah).ln()]
            })
            .collect())
    }

    /// The boxes that `codes` describe relative to `references` (pairwise, same length).
    ///
    /// # Errors
    /// [`Error::Mismatch`] for different lengths, [`Error::InvalidBox`] for a bad
    /// reference, [`Error::Option`] for a code that is NaN or infinite.
    pub fn decode(&self, codes: &[[f32; 4]], references: &[BoxXyxy]) -> Result<Vec<BoxXyxy>, Error> {
        pairwise("decode", codes.len(), references.len())?;
        check_boxes("decode", references)?;
        if let Some(i) = codes.iter().position(|c| c.iter().any(|v| !v.is_finite())) {
            return Err(Error::Option { op: "decode", what: format!("code {i} {:?} is not finite", codes[i]) });
        }
        let [wx, wy, ww, wh] = self.weights;
        Ok(codes
            .iter()
            .zip(references)
            .map(|(c, a)| {
                let [ax, ay, aw, ah] = centre_size(a);
                let (x, y) = (c[0] / wx * aw + ax, c[1] / wy * ah + ay);
                let (w, h) = ((c[2] / ww).min(self.clip).exp() * aw, (c[3] / wh).min(self.clip).exp() * ah);
                [x - 0.5 * w, y - 0.5 * h, x + 0.5 * w, y + 0.5 * h]
            })
            .collect())
    }
}

/// `[x_centre, y_centre, width, height]` (torchvision: `x1 + 0.5·w`).
fn centre_size(b: &BoxXyxy) -> [f32; 4] {
    let (w, h) = (b[2] - b[0], b[3] - b[1]);
    [b[0] + 0.5 * w, b[1] + 0.5 * h, w, h]
}

fn pairwise(op: &'static str, n: usize, m: usize) -> Result<(), Error> {
    if n == m { Ok(()) } else { Err(Error::Mismatch { op, what: format!("{n} boxes but {m} reference boxes") }) }
}

/// As [`check_boxes`], and refusing empty boxes (a zero width or height).
fn check_sized(op: &'static str, boxes: &[BoxXyxy]) -> Result<(), Error> {
    check_boxes(op, boxes)?;
    match boxes.iter().position(|b| b[2] <= b[0] || b[3] <= b[1]) {
        Some(index) => Err(Error::InvalidBox { op, index, value: boxes[index], reason: "has zero width or height" }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: &[[f32; 4]], want: &[f32]) {
        let flat: Vec<f32> = got.iter().flatten().copied().collect();
        assert_eq!(flat.len(), want.len());
        for (a, b) in flat.iter().zip(want) {
            assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{flat:?} vs {want:?}");
        }
    }

    #[test]
    fn encode_and_decode_match_torchvision() {
        // torchvision 0.29.2 BoxCoder.encode_single / decode_single, reference/vision_boxes.py.
        let anchors = [[0.0, 0.0, 10.0, 20.0], [5.0, 5.0, 25.0, 15.0], [2.0, 3.0, 6.0, 11.0]];
        let gt = [[1.0, 2.0, 13.0, 18.0], [4.0, 6.0, 30.0, 14.0], [2.0, 3.0, 6.0, 11.0]];
        let codes = [[0.1, -0.2, 0.3, -0.1], [1.0, 0.5, 9.0, -9.0], [0.0, 0.0, 0.0, 0.0]];
        let heads = BoxCoder::new([10.0, 10.0, 5.0, 5.0]);
        let enc = [2.0, 0.0, 0.911_608, -1.115_717_6, 1.0, 0.0, 1.311_820_9, -1.115_717_6, 0.0, 0.0, 0.0, 0.0];
        close(&heads.encode(&gt, &anchors).unwrap(), &enc);
        let dec = [
            -0.209_183_2,
            -0.201_986_3,
            10.409_184,
            19.401_987,
            -43.496_475,
            9.673_506,
            77.496_475,
            11.326_494,
            2.0,
            3.0,
            6.0,
            11.0,
        ];
        close(&heads.decode(&codes, &anchors).unwrap(), &dec);
        let rpn = BoxCoder::new([1.0; 4]);
        let enc = [0.2, 0.0, 0.182_321_6, -0.223_143_53, 0.1, 0.0, 0.262_364_2, -0.223_143_53, 0.0, 0.0, 0.0, 0.0];
        close(&rpn.encode(&gt, &anchors).unwrap(), &enc);
        // dw = 9 is clamped at ln(1000/16): a width of 20·62.5 = 1250.
        let dec = [
            -0.749_294_3,
            -3.048_374,
            12.749_294,
            15.048_374,
            -590.0,
            14.999_383,
            660.0,
            15.000_617,
            2.0,
            3.0,
            6.0,
            11.0,
        ];
        close(&rpn.decode(&codes, &anchors).unwrap(), &dec);
        // Decoding what was encoded gives the boxes back.
        close(&heads.decode(&heads.encode(&gt, &anchors).unwrap(), &anchors).unwrap(), &gt.concat());
    }

    #[test]
    fn bad_input_is_named() {
        let coder = BoxCoder::new([1.0; 4]);
        let a = [[0.0, 0.0, 1.0, 1.0]];
        let err = coder.encode(&[[0.0, 0.0, 0.0, 1.0]], &a).unwrap_err().to_string();
        assert_eq!(err, "encode: box 0 [0.0, 0.0, 0.0, 1.0] has zero width or height");
        assert!(coder.encode(&a, &[a[0], a[0]]).unwrap_err().to_string().contains("1 boxes but 2 reference boxes"));
        let err = coder.decode(&[[f32::NAN, 0.0, 0.0, 0.0]], &a).unwrap_err().to_string();
        assert!(err.contains("code 0") && err.contains("not finite"), "{err}");
    }
}
