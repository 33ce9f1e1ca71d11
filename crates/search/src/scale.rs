//! How the optimizers weigh objectives against each other. Validation error goes on a log
//! scale (what matters, 2% against 3%, is tiny in absolute terms next to a size that fills a
//! third of the budget), then each objective is stretched to [0, 1] over the values observed,
//! so that no objective dominates a random scalarisation by its units alone.

/// The objectives as the optimizers compare them: `[ln error, size share, memory share]` from
/// the normalised `[error, size share, memory share]`.
pub fn transformed(normalised: &[f64]) -> Vec<f64> {
    let mut t = normalised.to_vec();
    t[0] = t[0].max(1e-3).ln();
    t
}

/// The smallest and largest value of each objective over a set of points.
pub struct Ranges {
    low: Vec<f64>,
    high: Vec<f64>,
}

impl Ranges {
    /// The ranges of `points` (all of one length).
    pub fn of(points: &[Vec<f64>]) -> Self {
        let n = points.first().map_or(0, Vec::len);
        let fold = |init: f64, pick: fn(f64, f64) -> f64| -> Vec<f64> {
            (0..n)
                .map(|k| points.iter().map(|p| p[k]).fold(init, pick))
                .collect()
        };
        Self {
            low: fold(f64::INFINITY, f64::min),
            high: fold(f64::NEG_INFINITY, f64::max),
        }
    }

    /// Objective `k`'s value `v` placed in its observed range: 0 at the best seen, 1 at the
    /// worst (beyond either for values outside).
    pub fn scale(&self, k: usize, v: f64) -> f64 {
        let span = self.high[k] - self.low[k];
        if span > 1e-12 {
            (v - self.low[k]) / span
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_errors_are_told_apart_and_units_do_not_matter() {
        let points = vec![
            transformed(&[0.02, 0.9, 0.5]),
            transformed(&[0.04, 0.3, 0.5]),
            transformed(&[0.9, 0.1, 0.5]),
        ];
        let r = Ranges::of(&points);
        // 2% against 4% error spans over a sixth of the error range despite the 90% outlier.
        let gap = r.scale(0, points[1][0]) - r.scale(0, points[0][0]);
        assert!(gap > 0.15, "{gap}");
        assert_eq!(r.scale(1, 0.1), 0.0);
        assert_eq!(r.scale(1, 0.9), 1.0);
        // An objective that never varied weighs nothing.
        assert_eq!(r.scale(2, 0.5), 0.0);
        assert_eq!(transformed(&[0.0, 0.1, 0.2])[0], (1e-3f64).ln());
    }
}
