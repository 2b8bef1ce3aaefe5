//! `Sequential::summary`: the layer table Keras prints.

use derin_tensor::Param;

use crate::module::Module;
use crate::sequential::Sequential;

const WIDTH: usize = 65;

impl Sequential {
    /// A table of layers like Keras' `model.summary()`: name and type, output shape
    /// (`None` for the batch axis), parameter count, then the totals of trainable and
    /// non-trainable parameters.
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, Flatten, Sequential};
    /// let model = Sequential::new(&[1, 28, 28])
    ///     .add(Flatten::new()).unwrap()
    ///     .add(Dense::new(128, Activation::Relu)).unwrap()
    ///     .add(Dense::new(10, Activation::Softmax)).unwrap();
    /// let s = model.summary();
    /// let dense = s.lines().find(|l| l.starts_with(" dense (Dense)")).unwrap();
    /// assert!(dense.contains("(None, 128)") && dense.ends_with("100480"));
    /// assert!(s.contains("Total params: 101,770"));
    /// assert!(s.contains("Non-trainable params: 0"));
    /// ```
    pub fn summary(&self) -> String {
        let mut out = format!("Model: \"{}\"\n", self.name());
        out += &format!("{}\n", "_".repeat(WIDTH));
        out += &row("Layer (type)", "Output Shape", "Param #");
        out += &format!("{}\n", "=".repeat(WIDTH));
        for (i, (layer, shape)) in self.layers().iter().zip(self.layer_shapes()).enumerate() {
            let count: usize = layer.weights().iter().chain(&layer.state_weights()).map(Param::len).sum();
            out += &row(&layer.label(), &shape_text(shape), &count.to_string());
            let sep = if i + 1 == self.layers().len() { "=" } else { "_" };
            out += &format!("{}\n", sep.repeat(WIDTH));
        }
        if self.layers().is_empty() {
            out += &format!("{}\n", "=".repeat(WIDTH));
        }
        let count = |ps: Vec<Param>| ps.iter().map(Param::len).sum::<usize>();
        let (trainable, frozen) = (count(self.params()), count(self.non_trainable_params()));
        out += &format!("Total params: {}\n", thousands(trainable + frozen));
        out += &format!("Trainable params: {}\n", thousands(trainable));
        out += &format!("Non-trainable params: {}\n", thousands(frozen));
        out += &format!("{}\n", "_".repeat(WIDTH));
        out
    }
}

fn row(layer: &str, shape: &str, params: &str) -> String {
    format!(" {layer:<28}{shape:<26}{params}\n")
}

/// `(None, 28, 28)`: the batch axis first, as Keras writes it.
pub(crate) fn shape_text(shape: &[usize]) -> String {
    let dims: Vec<String> = std::iter::once("None".to_string()).chain(shape.iter().map(usize::to_string)).collect();
    format!("({})", dims.join(", "))
}

/// `101770` → `101,770`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activation, Dense, Dropout, Flatten};

    #[test]
    fn summary_matches_keras_layout() {
        let mut model = Sequential::new(&[1, 28, 28])
            .add(Flatten::new())
            .unwrap()
            .add(Dense::new(128, Activation::Relu))
            .unwrap()
            .add(Dropout::new(0.2).unwrap())
            .unwrap()
            .add(Dense::new(10, Activation::Softmax))
            .unwrap();
        model.layer_mut("dense").unwrap().set_trainable(false);
        let want = "\
Model: \"sequential\"
_________________________________________________________________
 Layer (type)                Output Shape              Param #
=================================================================
 flatten (Flatten)           (None, 784)               0
_________________________________________________________________
 dense (Dense)               (None, 128)               100480
_________________________________________________________________
 dropout (Dropout)           (None, 128)               0
_________________________________________________________________
 dense_1 (Dense)             (None, 10)                1290
=================================================================
Total params: 101,770
Trainable params: 1,290
Non-trainable params: 100,480
_________________________________________________________________
";
        assert_eq!(model.summary(), want);
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }
}
