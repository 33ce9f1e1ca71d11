//! Checks the MNIST copy that ships in `www/data/mnist/` against the published checksums and
//! label counts (from `shared/data/README.md`), and that the parser reads all of it.

use std::path::PathBuf;

fn mnist_file(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../www/data/mnist")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn shipped_files_match_published_md5_sums() {
    let expected = [
        (
            "train-images.idx3-ubyte",
            47_040_016,
            "6bbc9ace898e44ae57da46a324031adb",
        ),
        (
            "train-labels.idx1-ubyte",
            60_008,
            "a25bea736e30d166cdddb491f175f624",
        ),
        (
            "t10k-images.idx3-ubyte",
            7_840_016,
            "2646ac647ad5339dbf082846283269ea",
        ),
        (
            "t10k-labels.idx1-ubyte",
            10_008,
            "27ae3e4e09519cfbb04c329615203637",
        ),
    ];
    for (name, len, md5) in expected {
        let raw = gunzip(&mnist_file(&format!("{name}.gz")));
        assert_eq!(raw.len(), len, "{name}");
        assert_eq!(format!("{:x}", md5::compute(&raw)), md5, "{name}");
    }
}

#[test]
fn training_split_parses_with_published_label_counts() {
    let train = sparse_core::idx::parse_idx_pair(
        &mnist_file("train-images.idx3-ubyte.gz"),
        &mnist_file("train-labels.idx1-ubyte.gz"),
    )
    .unwrap();
    assert_eq!(train.len(), 60_000);
    assert_eq!(train.classes(), 10);
    assert_eq!(
        train.label_counts(),
        vec![5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    let test = sparse_core::idx::parse_idx_pair(
        &mnist_file("t10k-images.idx3-ubyte.gz"),
        &mnist_file("t10k-labels.idx1-ubyte.gz"),
    )
    .unwrap();
    assert_eq!(test.len(), 10_000);
    assert_eq!(test.shape().height, 28);
}
