//! Without the `hdf5` feature: what [`TrainableModel::save_model`](crate::TrainableModel::save_model)
//! calls, returning [`Error::FeatureDisabled`] instead of writing a file.

use std::path::Path;

use crate::error::{Error, Result};
use crate::functional::Model;
use crate::sequential::Sequential;

/// The error of every save without the `hdf5` feature.
fn disabled(operation: &'static str) -> Error {
    Error::FeatureDisabled { operation, feature: "hdf5" }
}

impl Sequential {
    /// Stands in for the `hdf5` feature's `Sequential::save`: always an error.
    pub(crate) fn save(&self, _path: impl AsRef<Path>) -> Result<()> {
        Err(disabled("Sequential::save"))
    }
}

impl Model {
    /// Stands in for the `hdf5` feature's `Model::save`: always an error.
    pub(crate) fn save(&self, _path: impl AsRef<Path>) -> Result<()> {
        Err(disabled("Model::save"))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Activation, Dense, Sequential, TrainableModel};

    #[test]
    fn save_model_says_the_hdf5_feature_is_off() {
        let m = Sequential::new(&[2]).add(Dense::new(1, Activation::Linear)).unwrap();
        let err = m.save_model(std::path::Path::new("m.h5")).unwrap_err().to_string();
        assert_eq!(err, "Sequential::save: needs derin-nn's `hdf5` cargo feature, which this build left out");
    }
}
