//! How one int8 weight tensor is stored in flash: every weight, or its non-zeros and a
//! one-bit-per-weight mask, whichever is smaller — the format the cost model counts.

/// The bytes a tensor's weights take in flash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    /// Every weight, in order.
    Dense(Vec<i8>),
    /// The non-zero weights in order, and a mask whose bit `i` (least significant bit of byte
    /// `i / 8` first) is set when weight `i` is non-zero.
    Sparse {
        /// The non-zero weights.
        values: Vec<i8>,
        /// One bit per weight.
        mask: Vec<u8>,
    },
}

impl Stored {
    /// Chooses the smaller format for `weights` (dense on a tie, as the cost model does).
    pub fn choose(weights: &[i8]) -> Self {
        let nonzero = weights.iter().filter(|&&w| w != 0).count();
        if nonzero + weights.len().div_ceil(8) < weights.len() {
            let mut mask = vec![0u8; weights.len().div_ceil(8)];
            for (i, _) in weights.iter().enumerate().filter(|(_, w)| **w != 0) {
                mask[i / 8] |= 1 << (i % 8);
            }
            let values = weights.iter().copied().filter(|&w| w != 0).collect();
            Stored::Sparse { values, mask }
        } else {
            Stored::Dense(weights.to_vec())
        }
    }

    /// Flash bytes of the weights in this format.
    pub fn bytes(&self) -> usize {
        match self {
            Stored::Dense(values) => values.len(),
            Stored::Sparse { values, mask } => values.len() + mask.len(),
        }
    }

    /// The weights back, in order (zeros restored).
    pub fn expand(&self, count: usize) -> Vec<i8> {
        match self {
            Stored::Dense(values) => values.clone(),
            Stored::Sparse { values, mask } => {
                let mut next = values.iter();
                (0..count)
                    .map(|i| match mask[i / 8] >> (i % 8) & 1 {
                        1 => *next.next().expect("one value per set bit"),
                        _ => 0,
                    })
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mostly_zero_tensor_is_stored_sparse_and_expands_back() {
        let mut weights = vec![0i8; 40];
        weights[3] = 5;
        weights[17] = -127;
        weights[39] = 1;
        let stored = Stored::choose(&weights);
        assert_eq!(
            stored,
            Stored::Sparse {
                values: vec![5, -127, 1],
                mask: vec![0b1000, 0, 0b10, 0, 0b1000_0000],
            }
        );
        assert_eq!(stored.bytes(), 3 + 5);
        assert_eq!(stored.expand(40), weights);
    }

    #[test]
    fn a_dense_tensor_stays_dense_including_the_tie() {
        // 8 weights, 7 non-zero: 7 + 1 = 8 is not smaller than 8.
        let weights = [1, 2, 3, 0, 5, 6, 7, 8];
        assert_eq!(Stored::choose(&weights), Stored::Dense(weights.to_vec()));
        // 6 non-zero: 6 + 1 < 8, so sparse.
        let weights = [1, 0, 3, 0, 5, 6, 7, 8];
        assert_eq!(Stored::choose(&weights).bytes(), 7);
        assert_eq!(Stored::choose(&weights).expand(8), weights);
    }
}
