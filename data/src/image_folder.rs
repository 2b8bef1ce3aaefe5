//! `ImageFolder`: a labelled image data set laid out as `root/<class name>/<image file>`.

use std::fs;
use std::path::{Path, PathBuf};

use derin_tensor::Tensor;
use derin_tensor::ndarray::{Array3, Array4, Axis};
use image::imageops::FilterType;
use rayon::prelude::*;

use crate::dataset::{Dataset, Sample, Target};
use crate::error::{Error, Result};
use crate::image_io::{ColorMode, image_size, image_to_chw, open_image};

/// How an [`ImageFolder`] reads its images.
///
/// ```
/// use derin_data::{ColorMode, ImageFolderOptions};
///
/// let mnist_like = ImageFolderOptions { color: ColorMode::Gray, size: Some([28, 28]) };
/// assert_eq!(mnist_like.color.channels(), 1);
/// assert_eq!(ImageFolderOptions::default().size, None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ImageFolderOptions {
    /// Channels of every image ([`ColorMode::Rgb`] by default).
    pub color: ColorMode,
    /// `Some([height, width])` resizes every image to that size (bilinear, aspect ratio not
    /// kept); `None` (the default) requires all images to have the same size.
    pub size: Option<[u32; 2]>,
}

/// A labelled image data set on disk: `root/<class name>/<image>.{png,jpg,jpeg}`.
///
/// Classes are the sub-folders of `root`, sorted by name; label `i` is the `i`-th class.
/// Samples are ordered by class, then by file name. Files whose extension is not `png`,
/// `jpg` or `jpeg` (any case) and names starting with `.` are skipped. Images are decoded
/// when asked for ([`get`](Self::get), [`load_all`](Self::load_all)), but every file's
/// header is read by [`open`](Self::open), so an unreadable file or, without a
/// [`size`](ImageFolderOptions::size), an image of another size is reported up front.
///
/// # Example
/// ```
/// use derin_data::{ImageFolder, ImageFolderOptions};
///
/// let root = std::env::temp_dir().join(format!("derin-doc-image-folder-{}", std::process::id()));
/// for (class, n) in [("cat", 2), ("ant", 1)] {
///     std::fs::create_dir_all(root.join(class)).unwrap();
///     for i in 0..n {
///         image::GrayImage::new(5, 4).save(root.join(class).join(format!("{i}.png"))).unwrap();
///     }
/// }
/// let folder = ImageFolder::open(&root, ImageFolderOptions::default())?;
/// assert_eq!(folder.classes(), ["ant", "cat"]);
/// assert_eq!(folder.labels(), vec![0, 1, 1]);
/// let (image, label) = folder.get(2)?;
/// assert_eq!((image.shape(), label), (&[3, 4, 5][..], 1));
/// std::fs::remove_dir_all(&root).unwrap();
/// # Ok::<(), derin_data::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ImageFolder {
    root: PathBuf,
    classes: Vec<String>,
    samples: Vec<(PathBuf, usize)>,
    options: ImageFolderOptions,
    /// `[height, width]` of every image once read.
    size: [u32; 2],
}

impl ImageFolder {
    /// Lists the classes and images under `root` and reads every image's header.
    ///
    /// # Errors
    /// [`Error::Io`] if a folder cannot be listed or a file cannot be opened;
    /// [`Error::Format`] naming the file whose header cannot be decoded, or (without
    /// [`size`](ImageFolderOptions::size)) whose size differs from the first image's;
    /// [`Error::Invalid`] if `root` has no class folder, a class folder has no image, or the
    /// requested size has a zero side.
    ///
    /// # Example
    /// ```
    /// use derin_data::{ImageFolder, ImageFolderOptions};
    ///
    /// let empty = std::env::temp_dir().join(format!("derin-doc-empty-folder-{}", std::process::id()));
    /// std::fs::create_dir_all(&empty).unwrap();
    /// let error = ImageFolder::open(&empty, ImageFolderOptions::default()).unwrap_err();
    /// std::fs::remove_dir_all(&empty).unwrap();
    /// assert!(error.to_string().contains("no class folder"), "{error}");
    /// ```
    pub fn open(root: impl AsRef<Path>, options: ImageFolderOptions) -> Result<ImageFolder> {
        let root = root.as_ref().to_path_buf();
        if let Some([h, w]) = options.size
            && (h == 0 || w == 0)
        {
            return Err(invalid(format!("requested size {h}×{w} has a zero side")));
        }
        let classes: Vec<String> = sorted_entries(&root)?
            .into_iter()
            .filter(|p| p.is_dir())
            .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned))
            .filter(|name| !name.starts_with('.'))
            .collect();
        if classes.is_empty() {
            return Err(invalid(format!("{}: no class folder (expected root/<class>/<image>)", root.display())));
        }
        let mut samples = Vec::new();
        for (label, class) in classes.iter().enumerate() {
            let folder = root.join(class);
            let images: Vec<PathBuf> = sorted_entries(&folder)?.into_iter().filter(|p| is_image(p)).collect();
            if images.is_empty() {
                return Err(invalid(format!("{}: class folder has no .png/.jpg/.jpeg file", folder.display())));
            }
            samples.extend(images.into_iter().map(|p| (p, label)));
        }
        let sizes = samples.par_iter().map(|(p, _)| image_size(p)).collect::<Result<Vec<_>>>()?;
        let (first_w, first_h) = sizes[0];
        if options.size.is_none()
            && let Some(i) = sizes.iter().position(|&s| s != (first_w, first_h))
        {
            let (w, h) = sizes[i];
            return Err(Error::Format {
                path: samples[i].0.clone(),
                reason: format!(
                    "image is {h}×{w} but {} is {first_h}×{first_w}; set ImageFolderOptions::size to resize",
                    samples[0].0.display()
                ),
            });
        }
        let size = options.size.unwrap_or([first_h, first_w]);
        Ok(ImageFolder { root, classes, samples, options, size })
    }

    /// The folder the data set was read from.
    ///
    /// ```
    /// # let root = std::env::temp_dir().join(format!("derin-doc-root-{}", std::process::id()));
    /// # std::fs::create_dir_all(root.join("a")).unwrap();
    /// # image::GrayImage::new(1, 1).save(root.join("a/x.png")).unwrap();
    /// let folder = derin_data::ImageFolder::open(&root, Default::default())?;
    /// assert_eq!(folder.root(), root);
    /// # std::fs::remove_dir_all(&root).unwrap();
    /// # Ok::<(), derin_data::Error>(())
    /// ```
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Class names, sorted; label `i` names `classes()[i]`.
    ///
    /// ```
    /// # let root = std::env::temp_dir().join(format!("derin-doc-classes-{}", std::process::id()));
    /// # for c in ["zebra", "apple"] { std::fs::create_dir_all(root.join(c)).unwrap();
    /// #     image::GrayImage::new(1, 1).save(root.join(c).join("x.png")).unwrap(); }
    /// let folder = derin_data::ImageFolder::open(&root, Default::default())?;
    /// assert_eq!(folder.classes(), ["apple", "zebra"]);
    /// # std::fs::remove_dir_all(&root).unwrap();
    /// # Ok::<(), derin_data::Error>(())
    /// ```
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// Number of images.
    ///
    /// ```
    /// # let root = std::env::temp_dir().join(format!("derin-doc-len-{}", std::process::id()));
    /// # std::fs::create_dir_all(root.join("a")).unwrap();
    /// # for i in 0..3 { image::GrayImage::new(1, 1).save(root.join(format!("a/{i}.png"))).unwrap(); }
    /// let folder = derin_data::ImageFolder::open(&root, Default::default())?;
    /// assert_eq!(folder.len(), 3);
    /// assert!(!folder.is_empty());
    /// # std::fs::remove_dir_all(&root).unwrap();
    /// # Ok::<(), derin_data::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether there is no image (never true for a folder [`open`](Self::open) accepted).
    ///
    /// ```
    /// # let root = std::env::temp_dir().join(format!("derin-doc-is-empty-{}", std::process::id()));
    /// # std::fs::create_dir_all(root.join("a")).unwrap();
    /// # image::GrayImage::new(1, 1).save(root.join("a/x.png")).unwrap();
    /// assert!(!derin_data::ImageFolder::open(&root, Default::default())?.is_empty());
    /// # std::fs::remove_dir_all(&root).unwrap();
    /// # Ok::<(), derin_data::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The `[height, width]` every image has once read.
    ///
    /// ```
    /// # let root = std::env::temp_dir().join(format!("derin-doc-size-{}", std::process::id()));
    /// # std::fs::create_dir_all(root.join("a")).unwrap();
    /// # image::GrayImage::new(7, 3).save(root.join("a/x.png")).unwrap();
    /// use derin_data::{ImageFolder, ImageFolderOptions};
    /// assert_eq!(ImageFolder::open(&root, ImageFolderOptions::default())?.image_size(), [3, 7]);
    /// let resized = ImageFolderOptions { size: Some([8, 8]), ..Default::default() };
    /// assert_eq!(ImageFolder::open(&root, resized)?.image_size(), [8, 8]);
    /// # std::fs::remove_dir_all(&root).unwrap();
    /// # Ok::<(), derin_data::Error>(())
    /// ```
    pub fn image_size(&self) -> [u32; 2] {
        self.size
    }

    /// The label of every image, in sample order.
    ///
    /// ```
    /// # let root = std::env::temp_dir().join(format!("derin-doc-labels-{}", std::process::id()));
    /// # for (c, n) in [("b", 1), ("a", 2)] { std::fs::create_dir_all(root.join(c)).unwrap();
    /// #     for i in 0..n { image::GrayImage::new(1, 1).save(root.join(c).join(format!("{i}.png"))).unwrap(); } }
    /// let folder = derin_data::ImageFolder::open(&root, Default::default())?;
    /// assert_eq!(folder.labels(), vec![0, 0, 1]); // a, a, b
    /// # std::fs::remove_dir_all(&root).unwrap();
    /// # Ok::<(), derin_data::Error>(())
    /// ```
    pub fn labels(&self) -> Vec<usize> {
        self.samples.iter().map(|&(_, label)| label).collect()
    }

    /// The file of image `index`, or `None` past the end.
    ///
    /// ```
    /// # let root = std::env::temp_dir().join(format!("derin-doc-path-{}", std::process::id()));
    /// # std::fs::create_dir_all(root.join("a")).unwrap();
    /// # for name in ["y.png", "x.jpg"] { image::RgbImage::new(1, 1).save(root.join("a").join(name)).unwrap(); }
    /// let folder = derin_data::ImageFolder::open(&root, Default::default())?;
    /// assert!(folder.path(0).unwrap().ends_with("a/x.jpg"));
    /// assert!(folder.path(2).is_none());
    /// # std::fs::remove_dir_all(&root).unwrap();
    /// # Ok::<(), derin_data::Error>(())
    /// ```
    pub fn path(&self, index: usize) -> Option<&Path> {
        self.samples.get(index).map(|(p, _)| p.as_path())
    }

    /// Reads image `index` as a CHW tensor in `[0, 1]` and returns it with its label.
    ///
    /// # Shapes
    /// `[C, H, W]` with `C` from [`ColorMode::channels`] and `[H, W]` = [`image_size`](Self::image_size).
    ///
    /// # Errors
    /// [`Error::Invalid`] if `index` is past the end; [`Error::Io`] or [`Error::Format`] naming
    /// the file if it cannot be read or decoded, or has changed size since [`open`](Self::open).
    ///
    /// # Example
    /// ```
    /// # let root = std::env::temp_dir().join(format!("derin-doc-get-{}", std::process::id()));
    /// # std::fs::create_dir_all(root.join("a")).unwrap();
    /// image::GrayImage::from_pixel(3, 2, image::Luma([255])).save(root.join("a/white.png")).unwrap();
    /// let folder = derin_data::ImageFolder::open(&root, Default::default())?;
    /// let (image, label) = folder.get(0)?;
    /// assert_eq!((image.shape(), label), (&[3, 2, 3][..], 0));
    /// assert!(image.to_vec().iter().all(|&v| v == 1.0));
    /// assert!(folder.get(1).is_err());
    /// # std::fs::remove_dir_all(&root).unwrap();
    /// # Ok::<(), derin_data::Error>(())
    /// ```
    pub fn get(&self, index: usize) -> Result<(Tensor, usize)> {
        let (image, label) = self.read(index)?;
        Ok((Tensor::from_array(image.into_dyn()), label))
    }

    /// Reads image `index` as a CHW array, with its label.
    fn read(&self, index: usize) -> Result<(Array3<f32>, usize)> {
        let Some((path, label)) = self.samples.get(index) else {
            return Err(invalid(format!("index {index} is past the end ({} images)", self.len())));
        };
        let mut image = open_image(path)?;
        let [h, w] = self.size;
        if self.options.size.is_some() {
            image = image.resize_exact(w, h, FilterType::Triangle);
        } else if (image.height(), image.width()) != (h, w) {
            return Err(Error::Format {
                path: path.clone(),
                reason: format!("image is {}×{}, expected {h}×{w}", image.height(), image.width()),
            });
        }
        Ok((image_to_chw(&image, self.options.color), *label))
    }

    /// Reads every image (in parallel) into one batch with its labels: wrap them in a
    /// `TensorDataset` to feed a `DataLoader`.
    ///
    /// # Shapes
    /// `[N, C, H, W]`.
    ///
    /// # Errors
    /// As [`get`](Self::get), for the first image (in sample order) that fails.
    ///
    /// # Example
    /// ```
    /// use derin_data::{ColorMode, ImageFolder, ImageFolderOptions};
    ///
    /// # let root = std::env::temp_dir().join(format!("derin-doc-load-all-{}", std::process::id()));
    /// for (class, size) in [("big", 40), ("small", 10)] {
    ///     std::fs::create_dir_all(root.join(class)).unwrap();
    ///     image::RgbImage::new(size, size).save(root.join(class).join("0.png")).unwrap();
    /// }
    /// let options = ImageFolderOptions { color: ColorMode::Gray, size: Some([16, 16]) };
    /// let (batch, labels) = ImageFolder::open(&root, options)?.load_all()?;
    /// assert_eq!(batch.shape(), &[2, 1, 16, 16]);
    /// assert_eq!(labels, vec![0, 1]);
    /// # std::fs::remove_dir_all(&root).unwrap();
    /// # Ok::<(), derin_data::Error>(())
    /// ```
    pub fn load_all(&self) -> Result<(Array4<f32>, Vec<usize>)> {
        let [h, w] = self.size;
        let shape = (self.len(), self.options.color.channels(), h as usize, w as usize);
        let images = (0..self.len()).into_par_iter().map(|i| self.read(i)).collect::<Result<Vec<_>>>()?;
        let mut batch = Array4::zeros(shape);
        for (mut slot, (image, _)) in batch.axis_iter_mut(Axis(0)).zip(&images) {
            slot.assign(image);
        }
        Ok((batch, self.labels()))
    }
}

/// The entries of a folder, sorted by path.
fn sorted_entries(folder: &Path) -> Result<Vec<PathBuf>> {
    let io = |source| Error::Io { path: folder.to_path_buf(), source };
    let mut entries = fs::read_dir(folder)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(io)?;
    entries.sort();
    Ok(entries)
}

/// A non-hidden file with a PNG or JPEG extension.
fn is_image(path: &Path) -> bool {
    let hidden = path.file_name().and_then(|n| n.to_str()).is_none_or(|n| n.starts_with('.'));
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    !hidden && path.is_file() && matches!(extension.as_deref(), Some("png" | "jpg" | "jpeg"))
}

fn invalid(reason: String) -> Error {
    Error::Invalid { op: "ImageFolder", reason }
}

/// The folder as a [`Dataset`] of [`Sample`]s (image, label) that a
/// [`DataLoader`](crate::DataLoader) reads as it goes, image by image in its worker
/// threads, instead of loading everything first: an image that cannot be read is an `Err`
/// from the loader naming it.
///
/// ```
/// use derin_data::{DataLoader, ImageFolder};
/// # let root = std::env::temp_dir().join(format!("derin-doc-folder-ds-{}", std::process::id()));
/// # std::fs::create_dir_all(root.join("a")).unwrap();
/// image::GrayImage::from_pixel(3, 2, image::Luma([255])).save(root.join("a/white.png")).unwrap();
/// let folder = ImageFolder::open(&root, Default::default())?;
/// let batch = DataLoader::new(folder, 8)?.epoch(0).next().unwrap()?;
/// assert_eq!(batch.x.shape(), &[1, 3, 2, 3]);
/// std::fs::write(root.join("a/white.png"), b"not a png").unwrap();
/// let folder = ImageFolder::open(&root, Default::default());
/// assert!(folder.is_err() || DataLoader::new(folder?, 8)?.epoch(0).next().unwrap().is_err());
/// # std::fs::remove_dir_all(&root).unwrap();
/// # Ok::<(), derin_data::Error>(())
/// ```
impl Dataset for ImageFolder {
    type Item = Sample;

    fn len(&self) -> usize {
        ImageFolder::len(self)
    }

    fn get(&self, i: usize) -> Result<Sample> {
        let (x, label) = ImageFolder::get(self, i)?;
        Ok(Sample { x, y: Target::Label(label) })
    }
}

#[cfg(test)]
mod tests;
