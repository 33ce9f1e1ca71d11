//! A dataset uploaded in the page: one CSV file, or an IDX pair (images and labels, gzipped or
//! not, told apart by their magic numbers), parsed by the same core parsers as the CLI, with
//! every 7th image held out as the test split (as the CLI holds out). Pure, so it is tested
//! natively.

use serde::{Deserialize, Serialize};
use sparse_core::csv::parse_csv;
use sparse_core::dataset::TEST_EVERY;
use sparse_core::idx::{is_label_file, parse_idx_pair};
use sparse_core::{Dataset, Error};
/// The largest upload accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 256 << 20;

/// One uploaded file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UploadedFile {
    /// The file's name, for messages.
    pub name: String,
    /// Its bytes (sent to workers as one typed array).
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
}

/// An upload as training and test splits.
#[derive(Debug)]
pub struct UploadedData {
    /// Training images.
    pub train: Dataset,
    /// Test images.
    pub test: Dataset,
    /// What the data is called in the page.
    pub name: String,
    /// Where the test split came from, in words.
    pub test_source: String,
}

/// Parses `files` as one CSV or one IDX pair; the message says what is wrong, naming the file.
pub fn parse_upload(files: &[UploadedFile]) -> Result<UploadedData, String> {
    let total: usize = files.iter().map(|f| f.bytes.len()).sum();
    if total > MAX_UPLOAD_BYTES {
        return Err(format!(
            "the upload holds {:.0} MB; the page takes at most {} MB",
            total as f64 / 1e6,
            MAX_UPLOAD_BYTES >> 20
        ));
    }
    let (data, name): (Result<Dataset, Error>, String) = match files {
        [csv] => (parse_csv(&csv.bytes, None), csv.name.clone()),
        [a, b] => {
            let (images, labels) = if is_label_file(&a.bytes) {
                (b, a)
            } else {
                (a, b)
            };
            (
                parse_idx_pair(&images.bytes, &labels.bytes),
                format!("{} + {}", images.name, labels.name),
            )
        }
        [] => return Err("no file was chosen".into()),
        _ => {
            return Err(format!(
                "choose one CSV file or two IDX files (images and labels), not {} files",
                files.len()
            ));
        }
    };
    let data = data.map_err(|e| format!("{name}: {e}"))?;
    if data.len() < 2 * TEST_EVERY {
        return Err(format!(
            "{name}: {} images are too few to train on and hold out a test split",
            data.len()
        ));
    }
    let (train, test) = data.hold_out(TEST_EVERY);
    Ok(UploadedData {
        test_source: format!(
            "held out: every {TEST_EVERY}th image ({} images)",
            test.len()
        ),
        train,
        test,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, bytes: Vec<u8>) -> UploadedFile {
        UploadedFile {
            name: name.into(),
            bytes,
        }
    }

    /// `n` 2×2 images in CSV, label last.
    fn csv(n: usize) -> Vec<u8> {
        let mut text = String::from("p0,p1,p2,p3,label\n");
        for i in 0..n {
            text += &format!("{},0,0,{},{}\n", (i * 7) % 256, 255 - i % 256, i % 3);
        }
        text.into_bytes()
    }

    fn idx(magic: u32, dims: &[u32], body: &[u8]) -> Vec<u8> {
        let mut out = magic.to_be_bytes().to_vec();
        for d in dims {
            out.extend(d.to_be_bytes());
        }
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn a_csv_is_split_into_training_and_held_out_test_images() {
        let data = parse_upload(&[file("digits.csv", csv(70))]).unwrap();
        assert_eq!((data.train.len(), data.test.len()), (60, 10));
        assert_eq!(data.train.classes(), 3);
        assert!(data.test_source.contains("every 7th image (10 images)"));
    }

    #[test]
    fn an_idx_pair_is_recognised_in_either_order() {
        let n = 14u32;
        let images = idx(0x0803, &[n, 2, 2], &vec![9; 4 * n as usize]);
        let labels = idx(
            0x0801,
            &[n],
            &(0..n as u8).map(|i| i % 2).collect::<Vec<_>>(),
        );
        for files in [
            [file("a", images.clone()), file("b", labels.clone())],
            [file("b", labels.clone()), file("a", images.clone())],
        ] {
            let data = parse_upload(&files).unwrap();
            assert_eq!(data.train.len() + data.test.len(), 14);
            assert_eq!(data.name, "a + b");
        }
    }

    #[test]
    fn bad_uploads_get_one_clear_line() {
        let mut bad = csv(20);
        bad.extend(b"1,2,x,4,0\n");
        let err = parse_upload(&[file("bad.csv", bad)]).unwrap_err();
        assert!(err.starts_with("bad.csv: row 22, column 3"), "{err}");
        let err = parse_upload(&[file("few.csv", csv(5))]).unwrap_err();
        assert!(err.contains("too few"), "{err}");
        let three = [file("a", vec![]), file("b", vec![]), file("c", vec![])];
        assert!(parse_upload(&three).unwrap_err().contains("not 3 files"));
        assert_eq!(parse_upload(&[]).unwrap_err(), "no file was chosen");
    }
}
