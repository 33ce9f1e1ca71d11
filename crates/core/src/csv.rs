//! Parses an image dataset from CSV text: one row per image, non-negative pixel values, the
//! label in a column named `label` (or else the last column), header optional. Pixels are
//! scaled to 0–255 by the dataset's largest value, so the trainer sees [0, 1] as for MNIST.

use crate::{Dataset, Error, ImageShape, Result};

/// A problem at a place in the file.
fn at(row: usize, column: usize, message: impl Into<String>) -> Error {
    Error::Csv {
        row,
        column,
        message: message.into(),
    }
}

/// Parses `bytes` as CSV. `shape` gives the image shape where the pixels are not one square
/// channel; without it the pixel count must be a square.
pub fn parse_csv(bytes: &[u8], shape: Option<ImageShape>) -> Result<Dataset> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let row = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        at(row, 0, "the file is not UTF-8 text")
    })?;
    let mut rows = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty());
    let (first_row, first) = rows.next().ok_or(Error::Empty)?;
    let first_fields: Vec<&str> = first.split(',').map(str::trim).collect();
    let is_header = first_fields.iter().any(|f| f.parse::<f64>().is_err());
    let columns = first_fields.len();
    if columns < 2 {
        return Err(at(first_row, 1, "a row needs pixel values and a label"));
    }
    let label_column = if is_header {
        first_fields
            .iter()
            .position(|f| f.eq_ignore_ascii_case("label"))
            .unwrap_or(columns - 1)
    } else {
        columns - 1
    };
    let pixels_per_row = columns - 1;
    let shape = match shape {
        Some(s)
            if [s.channels, s.height, s.width]
                .iter()
                .map(|&d| d as u64)
                .product::<u64>()
                == pixels_per_row as u64 =>
        {
            s
        }
        Some(s) => {
            return Err(Error::ShapeMismatch {
                values: pixels_per_row,
                shape: [s.channels, s.height, s.width],
            });
        }
        None => {
            let side = (pixels_per_row as f64).sqrt().round() as usize;
            if side * side != pixels_per_row {
                return Err(Error::ShapeMismatch {
                    values: pixels_per_row,
                    shape: [1, side, side],
                });
            }
            ImageShape {
                channels: 1,
                height: side,
                width: side,
            }
        }
    };
    let data_rows = if is_header {
        Box::new(rows) as Box<dyn Iterator<Item = (usize, &str)>>
    } else {
        Box::new(std::iter::once((first_row, first)).chain(rows))
    };
    let mut values: Vec<f32> = Vec::new();
    let mut labels: Vec<u8> = Vec::new();
    for (row, line) in data_rows {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != columns {
            return Err(at(
                row,
                fields.len().min(columns) + 1,
                format!("expected {columns} values, found {}", fields.len()),
            ));
        }
        for (c, field) in fields.iter().enumerate() {
            if c == label_column {
                let label = field.parse::<u8>().map_err(|_| {
                    at(
                        row,
                        c + 1,
                        format!("label '{field}' is not a whole number from 0 to 255"),
                    )
                })?;
                labels.push(label);
            } else {
                match field.parse::<f32>() {
                    Ok(v) if v >= 0.0 && v.is_finite() => values.push(v),
                    _ => {
                        return Err(at(
                            row,
                            c + 1,
                            format!("pixel '{field}' is not a non-negative number"),
                        ));
                    }
                }
            }
        }
    }
    let max = values.iter().fold(0f32, |m, &v| m.max(v));
    let scale = if max > 0.0 { 255.0 / max } else { 0.0 };
    let pixels = values.iter().map(|&v| (v * scale).round() as u8).collect();
    let dataset = Dataset::new(shape, pixels, labels)?;
    let present = dataset.label_counts().iter().filter(|&&n| n > 0).count();
    if present < 2 {
        return Err(Error::TooFewClasses { classes: present });
    }
    Ok(dataset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_with_a_header_and_a_named_label_column() {
        let csv = "label,p1,p2,p3,p4\n1,0,2,4,8\n0,8,8,0,0\n\n";
        let d = parse_csv(csv.as_bytes(), None).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d.shape().height, 2);
        assert_eq!(d.labels(), &[1, 0]);
        assert_eq!(d.image(0), &[0, 64, 128, 255]);
    }

    #[test]
    fn without_a_header_the_label_is_the_last_column() {
        let csv = "0.0,0.5,1.0,0.25,3\r\n1,1,1,1,0\r\n";
        let d = parse_csv(csv.as_bytes(), None).unwrap();
        assert_eq!(d.labels(), &[3, 0]);
        assert_eq!(d.classes(), 4);
        assert_eq!(d.image(1), &[255, 255, 255, 255]);
    }

    #[test]
    fn a_shape_is_needed_for_non_square_images() {
        let csv = "1,2,3,4,5,6,0\n6,5,4,3,2,1,1\n";
        let err = parse_csv(csv.as_bytes(), None).unwrap_err();
        assert!(err.to_string().contains("6 pixel values"), "{err}");
        let shape = ImageShape {
            channels: 3,
            height: 1,
            width: 2,
        };
        assert_eq!(parse_csv(csv.as_bytes(), Some(shape)).unwrap().len(), 2);
        let wrong = ImageShape {
            channels: 1,
            height: 2,
            width: 2,
        };
        let err = parse_csv(csv.as_bytes(), Some(wrong)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "rows hold 6 pixel values but the shape [1, 2, 2] needs 4"
        );
    }

    #[test]
    fn bad_values_are_located_by_row_and_column() {
        let cases = [
            (
                "1,2,3,4,0\n1,x,3,4,1\n",
                "row 2, column 2: pixel 'x' is not a non-negative number",
            ),
            (
                "1,2,3,4,0\n1,-2,3,4,1\n",
                "row 2, column 2: pixel '-2' is not a non-negative number",
            ),
            (
                "1,2,3,4,0\n1,2,3,4,1.5\n",
                "row 2, column 5: label '1.5' is not a whole number from 0 to 255",
            ),
            (
                "1,2,3,4,0\n1,2,3,1\n",
                "row 2, column 5: expected 5 values, found 4",
            ),
            ("1,2,3,4,0\n1,2,3,4,0\n", "only 1 class"),
        ];
        for (csv, expected) in cases {
            let err = parse_csv(csv.as_bytes(), None).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
        assert_eq!(parse_csv(b"", None).unwrap_err(), Error::Empty);
        assert!(
            parse_csv(&[0xff, 0xfe, b'\n'], None)
                .unwrap_err()
                .to_string()
                .contains("UTF-8")
        );
    }
}
