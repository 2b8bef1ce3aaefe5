//! Fuzzing of every byte reader with proptest: random bytes, truncations and corruptions of
//! valid files must give `Ok` or `Err`, never a panic, and return quickly.

use std::io::{Cursor, Write};
use std::time::{Duration, Instant};

use derin_data::{
    ColorMode, CsvOptions, decode_image, idx_images_from_bytes, idx_labels_from_bytes, read_csv_bytes, read_csv_str,
};
use flate2::Compression;
use flate2::write::GzEncoder;
use proptest::prelude::{Just, ProptestConfig, Strategy, any, prop_oneof, proptest};

/// The longest any one call may take before it counts as a hang.
const PATIENCE: Duration = Duration::from_secs(5);

fn idx_images() -> Vec<u8> {
    let mut bytes = vec![0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0, 4];
    bytes.extend((0..60u8).map(|b| b.wrapping_mul(37)));
    bytes
}

fn idx_labels() -> Vec<u8> {
    vec![0, 0, 8, 1, 0, 0, 0, 6, 5, 0, 4, 1, 9, 2]
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn encoded(format: image::ImageFormat) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(9, 7, |x, y| image::Rgb([(x * 28) as u8, (y * 36) as u8, 128]));
    let mut bytes = Vec::new();
    picture.write_to(&mut Cursor::new(&mut bytes), format).unwrap();
    bytes
}

const CSV: &str = "\"\",dir,pbcr,deny\n\"1\",0.221,\"no\",\"no\"\n\"2\",0.265,NA,\"yes\"\n\"3\",,\"a, \"\"b\"\"\",no\n";

/// Every valid file the readers are fuzzed from, by reader.
#[derive(Clone, Copy, Debug)]
enum Reader {
    IdxImages,
    IdxLabels,
    Image,
    Csv,
}

/// Runs `reader` on `bytes`, checking it returns in time. Returns whether it succeeded.
fn run(reader: Reader, bytes: &[u8]) -> bool {
    let start = Instant::now();
    let ok = match reader {
        Reader::IdxImages => idx_images_from_bytes(bytes).is_ok(),
        Reader::IdxLabels => idx_labels_from_bytes(bytes).is_ok(),
        Reader::Image => decode_image(bytes, ColorMode::Rgb).is_ok() | decode_image(bytes, ColorMode::Gray).is_ok(),
        Reader::Csv => {
            let options = CsvOptions::default();
            let str_ok = std::str::from_utf8(bytes).map(|s| read_csv_str(s, &options).is_ok()).unwrap_or(false);
            let no_header = CsvOptions { has_header: false, skip_rows: 1, delimiter: b';', ..CsvOptions::default() };
            read_csv_bytes(bytes, &options).is_ok() | read_csv_bytes(bytes, &no_header).is_ok() | str_ok
        }
    };
    assert!(start.elapsed() < PATIENCE, "{reader:?} took {:?} on {} bytes", start.elapsed(), bytes.len());
    ok
}

/// The valid files: each reader with its inputs (raw and gzipped for IDX).
fn valid_files() -> Vec<(Reader, Vec<u8>)> {
    vec![
        (Reader::IdxImages, idx_images()),
        (Reader::IdxImages, gzip(&idx_images())),
        (Reader::IdxLabels, idx_labels()),
        (Reader::IdxLabels, gzip(&idx_labels())),
        (Reader::Image, encoded(image::ImageFormat::Png)),
        (Reader::Image, encoded(image::ImageFormat::Jpeg)),
        (Reader::Csv, CSV.as_bytes().to_vec()),
    ]
}

#[test]
fn valid_files_read_and_every_truncation_of_a_binary_one_fails() {
    for (reader, bytes) in valid_files() {
        assert!(run(reader, &bytes), "{reader:?} rejects its valid file");
        for len in 0..bytes.len() {
            let ok = run(reader, &bytes[..len]);
            // Truncated IDX files are always detected; an image decoder may accept a cut
            // stream (JPEG fills in the rest), and a CSV cut at a line end is still a CSV.
            if matches!(reader, Reader::IdxImages | Reader::IdxLabels) {
                assert!(!ok, "{reader:?} accepted {len} of {} bytes", bytes.len());
            }
        }
    }
}

fn any_reader() -> impl Strategy<Value = Reader> {
    prop_oneof![Just(Reader::IdxImages), Just(Reader::IdxLabels), Just(Reader::Image), Just(Reader::Csv)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(reader in any_reader(), bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        run(reader, &bytes);
    }

    #[test]
    fn random_bytes_behind_a_valid_magic_never_panic(
        magic in prop_oneof![
            Just(vec![0u8, 0, 8, 3]),
            Just(vec![0u8, 0, 8, 1]),
            Just(vec![0x1f, 0x8b]),
            Just(b"\x89PNG\r\n\x1a\n".to_vec()),
            Just(vec![0xff, 0xd8, 0xff]),
        ],
        tail in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let bytes = [magic, tail].concat();
        for reader in [Reader::IdxImages, Reader::IdxLabels, Reader::Image] {
            run(reader, &bytes);
        }
    }

    #[test]
    fn corrupted_valid_files_never_panic(
        file in 0usize..7,
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<proptest::sample::Index>(),
    ) {
        let (reader, mut bytes) = valid_files().swap_remove(file);
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        run(reader, &bytes);
        let len = cut.index(bytes.len() + 1);
        run(reader, &bytes[..len]);
    }

    #[test]
    fn random_csv_text_never_panics(text in "[a-c0-9,;\"\\n\\r .NA?-]{0,120}") {
        run(Reader::Csv, text.as_bytes());
    }
}
