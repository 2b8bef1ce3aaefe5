//! Datasets, loaders, splits, encoders, imputers, scalers, readers and class balancing.
#![deny(missing_docs)]

mod augment;
mod balance;
mod bundled;
mod collate;
mod csv;
mod dataset;
mod encode;
mod error;
mod idx;
mod image_folder;
mod image_io;
mod kfold;
mod loader;
mod min_max_scaler;
mod missing;
mod npy;
mod one_hot_encoder;
mod persist;
mod picture;
mod scale;
mod split;
mod standard_scaler;
mod table;
mod tensor_dataset;
#[cfg(test)]
mod test_util;

pub use collate::{Collate, Stack};
pub use csv::{CsvOptions, read_csv, read_csv_bytes, read_csv_str};
pub use error::{Error, Result};
pub use table::{Column, Table};

pub use dataset::{Batch, Dataset, Sample, Target, Targets};
pub use derin_tensor::ndarray;
pub use encode::{LabelEncoder, one_hot};
pub use kfold::{Fold, KFold, StratifiedKFold};
pub use loader::{Batches, DataLoader};
pub use min_max_scaler::MinMaxScaler;
pub use missing::{ImputeStrategy, Imputer, Value};
pub use one_hot_encoder::{OneHotEncoder, UnknownCategory};
pub use picture::Picture;
pub use scale::Scaler;
pub use split::{train_test_split, validation_split};
pub use standard_scaler::StandardScaler;
pub use tensor_dataset::{Subset, TensorDataset};

pub use augment::{Augmentation, Augmenter, FlipAxis, flip, gaussian_noise, random_crop, random_flip};
pub use balance::{RandomOverSampler, RandomUnderSampler, Smote, class_counts};
pub use bundled::{
    ClassificationData, FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, Mnist, RegressionData, breast_cancer, data_dirs,
    data_file, diabetes, digits, fashion_mnist, fashion_mnist_from, hdma, iris, mnist, mnist_from, wine,
};
pub use idx::{
    idx_images_from_bytes, idx_labels_from_bytes, images_to_f32, read_idx_images, read_idx_images_f32, read_idx_labels,
};
pub use image_folder::{ImageFolder, ImageFolderOptions};
pub use image_io::{ColorMode, chw_to_hwc, chw_to_hwc_tensor, decode_image, hwc_to_chw, hwc_to_chw_tensor, read_image};
pub use npy::{read_npy, read_npy_f64, read_npy_labels};
