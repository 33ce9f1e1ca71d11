//! Parses the IDX format of MNIST (gzipped or plain) into a [`Dataset`].
//!
//! An IDX file is a 4-byte magic number (`0x0000_08_NN`: unsigned bytes, `NN` dimensions),
//! `NN` big-endian u32 sizes, then the values. Images are `[count, rows, cols]`, labels
//! `[count]`.

use crate::{Dataset, Error, ImageShape, Result};
use std::borrow::Cow;
use std::io::Read;

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Parses an IDX image file and its IDX label file into a dataset of 1-channel images.
/// Either file may be gzip-compressed; compression is detected from its first bytes.
pub fn parse_idx_pair(images: &[u8], labels: &[u8]) -> Result<Dataset> {
    let images = gunzip_if_needed(images, "images")?;
    let labels = gunzip_if_needed(labels, "labels")?;
    let (image_dims, pixels) = parse_idx(&images, "images", "image", IMAGES_MAGIC)?;
    let (label_dims, label_bytes) = parse_idx(&labels, "labels", "label", LABELS_MAGIC)?;
    let (count, height, width) = (image_dims[0], image_dims[1], image_dims[2]);
    if count != label_dims[0] {
        return Err(Error::CountMismatch {
            images: count,
            labels: label_dims[0],
        });
    }
    let shape = ImageShape {
        channels: 1,
        height,
        width,
    };
    Dataset::new(shape, pixels.to_vec(), label_bytes.to_vec())
}

/// Whether `bytes` (gzipped or not) start as an IDX label file rather than an image file, so
/// the two files of a pair given in either order are told apart.
pub fn is_label_file(bytes: &[u8]) -> bool {
    let mut head = [0u8; 4];
    let read = if bytes.starts_with(&GZIP_MAGIC) {
        flate2::read::GzDecoder::new(bytes)
            .read_exact(&mut head)
            .is_ok()
    } else {
        (&bytes[..bytes.len().min(4)]).read_exact(&mut head).is_ok()
    };
    read && head == LABELS_MAGIC.to_be_bytes()
}

/// The most bytes a gzipped IDX file may inflate to: 256 MiB, over 300,000 images of 28×28
/// (a few KB of crafted gzip could otherwise claim gigabytes).
pub const MAX_INFLATED_BYTES: usize = 256 << 20;

/// Inflates `bytes` when they start with the gzip magic number; borrows them otherwise.
fn gunzip_if_needed<'a>(bytes: &'a [u8], file: &'static str) -> Result<Cow<'a, [u8]>> {
    gunzip_at_most(bytes, file, MAX_INFLATED_BYTES)
}

/// As [`gunzip_if_needed`], refusing a stream that inflates past `limit` bytes.
fn gunzip_at_most<'a>(bytes: &'a [u8], file: &'static str, limit: usize) -> Result<Cow<'a, [u8]>> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(Cow::Borrowed(bytes));
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::Gzip {
            file,
            reason: e.to_string(),
        })?;
    if out.len() > limit {
        return Err(Error::TooLarge {
            file,
            limit_mib: limit >> 20,
        });
    }
    Ok(Cow::Owned(out))
}

/// Checks the header of one IDX file and returns its dimensions and its value bytes.
fn parse_idx<'a>(
    bytes: &'a [u8],
    file: &'static str,
    expected: &'static str,
    magic: u32,
) -> Result<(Vec<usize>, &'a [u8])> {
    let dims = (magic & 0xff) as usize;
    let header = 4 + 4 * dims;
    let word = |i: usize| -> Option<u32> {
        let b = bytes.get(4 * i..4 * i + 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let truncated = |expected_len: usize| Error::Truncated {
        file,
        expected: expected_len,
        actual: bytes.len(),
    };
    let found = word(0).ok_or_else(|| truncated(header))?;
    if found != magic {
        return Err(Error::BadMagic {
            file,
            expected,
            found,
            magic,
        });
    }
    let sizes: Vec<usize> = (1..=dims)
        .map(|i| word(i).map(|w| w as usize))
        .collect::<Option<_>>()
        .ok_or_else(|| truncated(header))?;
    // Sizes come from untrusted bytes: a product that overflows cannot fit in memory anyway.
    let total = sizes
        .iter()
        .try_fold(1usize, |acc, &s| acc.checked_mul(s))
        .and_then(|values| values.checked_add(header))
        .unwrap_or(usize::MAX);
    if bytes.len() < total {
        return Err(truncated(total));
    }
    Ok((sizes, &bytes[header..total]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn idx(magic: u32, dims: &[u32], values: &[u8]) -> Vec<u8> {
        let mut out = magic.to_be_bytes().to_vec();
        for d in dims {
            out.extend(d.to_be_bytes());
        }
        out.extend(values);
        out
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn two_images() -> (Vec<u8>, Vec<u8>) {
        (
            idx(
                IMAGES_MAGIC,
                &[2, 2, 3],
                &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
            ),
            idx(LABELS_MAGIC, &[2], &[7, 3]),
        )
    }

    #[test]
    fn a_gzip_stream_that_inflates_past_the_limit_is_refused_before_it_is_held() {
        // 3 MiB of zeros gzip to a few KB; with a 2 MiB limit only 2 MiB + 1 byte is inflated.
        let bomb = gzip(&vec![0u8; 3 << 20]);
        assert!(bomb.len() < 64 << 10);
        let error = gunzip_at_most(&bomb, "images", 2 << 20).unwrap_err();
        assert_eq!(
            error.to_string(),
            "images: the gzip stream inflates past 2 MiB, more than a dataset may hold"
        );
        assert_eq!(
            gunzip_at_most(&bomb, "images", 3 << 20).unwrap().len(),
            3 << 20
        );
    }

    #[test]
    fn label_files_are_told_from_image_files_gzipped_or_not() {
        let (images, labels) = two_images();
        assert!(is_label_file(&labels));
        assert!(is_label_file(&gzip(&labels)));
        assert!(!is_label_file(&images));
        assert!(!is_label_file(&gzip(&images)));
        for short in [&labels[..3], &gzip(&labels)[..12], &[]] {
            assert!(!is_label_file(short), "{short:?}");
        }
    }

    #[test]
    fn parses_plain_and_gzipped_files_alike() {
        let (images, labels) = two_images();
        let plain = parse_idx_pair(&images, &labels).unwrap();
        let zipped = parse_idx_pair(&gzip(&images), &gzip(&labels)).unwrap();
        assert_eq!(plain, zipped);
        assert_eq!(plain.len(), 2);
        assert_eq!(plain.shape().height, 2);
        assert_eq!(plain.shape().width, 3);
        assert_eq!(plain.image(1), &[7, 8, 9, 10, 11, 12]);
        assert_eq!(plain.labels(), &[7, 3]);
        assert_eq!(plain.classes(), 8);
    }

    #[test]
    fn truncated_image_file_says_how_short_it_is() {
        let (images, labels) = two_images();
        let err = parse_idx_pair(&images[..images.len() - 5], &labels).unwrap_err();
        assert_eq!(
            err,
            Error::Truncated {
                file: "images",
                expected: 28,
                actual: 23
            }
        );
        assert_eq!(
            err.to_string(),
            "images: truncated: the header promises 28 bytes but the file has 23"
        );
        let err = parse_idx_pair(&images[..6], &labels).unwrap_err();
        assert!(matches!(err, Error::Truncated { file: "images", .. }));
    }

    #[test]
    fn wrong_magic_number_is_named() {
        let (images, labels) = two_images();
        // Labels given where images are expected.
        let err = parse_idx_pair(&labels, &images).unwrap_err();
        assert_eq!(
            err.to_string(),
            "images: not an IDX image file (magic number 0x00000801, expected 0x00000803)"
        );
    }

    #[test]
    fn count_mismatch_between_files_is_reported() {
        let (images, _) = two_images();
        let labels = idx(LABELS_MAGIC, &[3], &[1, 2, 3]);
        let err = parse_idx_pair(&images, &labels).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the image file holds 2 images but the label file holds 3 labels"
        );
    }

    #[test]
    fn corrupt_gzip_is_an_error_not_a_panic() {
        let (images, labels) = two_images();
        let mut zipped = gzip(&images);
        let n = zipped.len();
        zipped.truncate(n / 2);
        let err = parse_idx_pair(&zipped, &labels).unwrap_err();
        assert!(matches!(err, Error::Gzip { file: "images", .. }), "{err}");
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x2545_f491_u32;
        for len in 0..300 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    seed as u8
                })
                .collect();
            let _ = parse_idx_pair(&bytes, &bytes);
            let mut with_header = idx(IMAGES_MAGIC, &[1, 1, 1], &[]);
            with_header.extend(&bytes);
            let _ = parse_idx_pair(&with_header, &bytes);
        }
    }
}
