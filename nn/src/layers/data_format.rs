//! `DataFormat`: where the channel axis of a conv or pooling layer's input sits.

use derin_tensor::Tensor;

/// The position of the channel axis in the input and output of a convolution or pooling
/// layer (Keras' `data_format`).
///
/// - `ChannelsFirst` (the default, PyTorch's and this library's layout): images
///   `[batch, channels, height, width]`, signals `[batch, channels, length]`.
/// - `ChannelsLast` (Keras' default): `[batch, height, width, channels]`,
///   `[batch, length, channels]` — what `Embedding` and recurrent layers give
///   (`[batch, time, features]`), so `Embedding → Conv1D` wants it.
///
/// The tensor kernels always run channels-first: a `ChannelsLast` layer permutes its
/// input to channels-first, runs the kernel and permutes the result back.
///
/// ```
/// use derin_nn::{Activation, Conv2D, DataFormat, Module};
/// assert_eq!(DataFormat::default(), DataFormat::ChannelsFirst);
/// let conv = Conv2D::new(8, [3, 3], Activation::Relu).with_data_format(DataFormat::ChannelsLast);
/// assert_eq!(conv.output_shape(&[28, 28, 1]).unwrap(), vec![26, 26, 8]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DataFormat {
    /// `[batch, channels, spatial…]`.
    #[default]
    ChannelsFirst,
    /// `[batch, spatial…, channels]`.
    ChannelsLast,
}

impl DataFormat {
    /// `(channels, spatial sizes)` of a per-sample shape (no batch axis); `None` for an
    /// empty shape.
    pub(crate) fn split(self, input: &[usize]) -> Option<(usize, Vec<usize>)> {
        let (&first, rest) = input.split_first()?;
        let (&last, init) = input.split_last()?;
        Some(match self {
            DataFormat::ChannelsFirst => (first, rest.to_vec()),
            DataFormat::ChannelsLast => (last, init.to_vec()),
        })
    }

    /// The per-sample shape with `channels` and `spatial` in this format.
    pub(crate) fn join(self, channels: usize, spatial: &[usize]) -> Vec<usize> {
        match self {
            DataFormat::ChannelsFirst => std::iter::once(channels).chain(spatial.iter().copied()).collect(),
            DataFormat::ChannelsLast => spatial.iter().copied().chain(std::iter::once(channels)).collect(),
        }
    }

    /// The accepted per-sample shape in words, `spatial` naming the spatial axes
    /// (`"height, width"`).
    pub(crate) fn describe(self, spatial: &str) -> String {
        match self {
            DataFormat::ChannelsFirst => format!("[channels, {spatial}] (channels-first)"),
            DataFormat::ChannelsLast => format!("[{spatial}, channels] (channels-last)"),
        }
    }

    /// The batch `x` (batch axis first) in channels-first order.
    pub(crate) fn to_first(self, x: &Tensor) -> Tensor {
        match self {
            DataFormat::ChannelsFirst => x.clone(),
            DataFormat::ChannelsLast => {
                let r = x.ndim();
                let order: Vec<usize> = [0, r - 1].into_iter().chain(1..r - 1).collect();
                x.permute(&order)
            }
        }
    }

    /// A channels-first batch `y` back in this format.
    pub(crate) fn back_from_first(self, y: &Tensor) -> Tensor {
        match self {
            DataFormat::ChannelsFirst => y.clone(),
            DataFormat::ChannelsLast => {
                let r = y.ndim();
                let order: Vec<usize> = std::iter::once(0).chain(2..r).chain(std::iter::once(1)).collect();
                y.permute(&order)
            }
        }
    }

    /// The axis of the batch tensor (batch axis first) that holds the first spatial axis.
    pub(crate) fn first_spatial_axis(self) -> usize {
        match self {
            DataFormat::ChannelsFirst => 2,
            DataFormat::ChannelsLast => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_join_and_permute_round_trip() {
        let last = DataFormat::ChannelsLast;
        assert_eq!(last.split(&[5, 6, 3]), Some((3, vec![5, 6])));
        assert_eq!(DataFormat::ChannelsFirst.split(&[3, 5, 6]), Some((3, vec![5, 6])));
        assert_eq!(last.join(3, &[5, 6]), vec![5, 6, 3]);
        assert_eq!(last.split(&[]), None);
        let x = Tensor::arange(0.0, 24.0, 1.0).reshape(&[1, 2, 3, 4]);
        let first = last.to_first(&x);
        assert_eq!(first.shape(), &[1, 4, 2, 3]);
        assert_eq!(last.back_from_first(&first).to_vec(), x.to_vec());
    }
}
