//! Gaussian-process regression for the Bayesian optimiser: a squared-exponential kernel on
//! standardised encodings, its length scale set to the median distance between observed
//! points, observations standardised, and the posterior solved with nalgebra's Cholesky. The
//! objectives are observed at the same points, so one factorisation of the kernel serves them
//! all: a single fit and one triangular solve per prediction, whatever the number of targets.

use nalgebra::{DMatrix, DVector};

/// Observation noise added to the kernel's diagonal (on standardised targets).
const NOISE: f64 = 1e-3;

/// Gaussian processes fitted to several targets observed at the same inputs.
pub(crate) struct Gp {
    inputs: Vec<Vec<f64>>,
    /// The kernel matrix's lower Cholesky factor.
    lower: DMatrix<f64>,
    /// Per target: the kernel's inverse times the standardised observations, their mean and
    /// their spread.
    targets: Vec<(DVector<f64>, f64, f64)>,
    lengthscale: f64,
}

fn distance2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

impl Gp {
    /// Fits each of `targets` (one value per input) observed at `inputs` (at least one);
    /// `None` if the kernel matrix is not positive definite (it always is with the noise term,
    /// barring NaNs).
    pub fn fit(inputs: Vec<Vec<f64>>, targets: &[Vec<f64>]) -> Option<Self> {
        let n = inputs.len();
        let mut distances: Vec<f64> = (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .map(|(i, j)| distance2(&inputs[i], &inputs[j]).sqrt())
            .filter(|d| *d > 0.0)
            .collect();
        distances.sort_by(f64::total_cmp);
        let lengthscale = distances.get(distances.len() / 2).copied().unwrap_or(1.0);
        let kernel =
            |a: &[f64], b: &[f64]| (-distance2(a, b) / (2.0 * lengthscale * lengthscale)).exp();
        let k = DMatrix::from_fn(n, n, |i, j| {
            kernel(&inputs[i], &inputs[j]) + if i == j { NOISE } else { 0.0 }
        });
        let cholesky = k.cholesky()?;
        let targets = targets
            .iter()
            .map(|column| {
                let mean = column.iter().sum::<f64>() / n as f64;
                let var = column.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / n as f64;
                let scale = var.sqrt().max(1e-9);
                let y = DVector::from_iterator(n, column.iter().map(|t| (t - mean) / scale));
                (cholesky.solve(&y), mean, scale)
            })
            .collect();
        Some(Self {
            inputs,
            lower: cholesky.unpack(),
            targets,
            lengthscale,
        })
    }

    /// Each target's posterior mean and standard deviation at `x`.
    pub fn predict(&self, x: &[f64]) -> Vec<(f64, f64)> {
        let l2 = 2.0 * self.lengthscale * self.lengthscale;
        let k = DVector::from_iterator(
            self.inputs.len(),
            self.inputs.iter().map(|xi| (-distance2(xi, x) / l2).exp()),
        );
        // k' K⁻¹ k = |L⁻¹ k|² with K = L L'.
        let explained = self
            .lower
            .solve_lower_triangular(&k)
            .map_or(1.0, |v| v.norm_squared());
        let unexplained = (1.0 - explained).max(0.0);
        self.targets
            .iter()
            .map(|(alpha, mean, scale)| (k.dot(alpha) * scale + mean, unexplained.sqrt() * scale))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_observations_and_is_unsure_far_away() {
        let xs: Vec<Vec<f64>> = (0..8).map(|i| vec![i as f64 / 2.0]).collect();
        let ys: Vec<f64> = xs.iter().map(|x| x[0].sin()).collect();
        let gp = Gp::fit(xs.clone(), std::slice::from_ref(&ys)).unwrap();
        let at = |x: &[f64]| gp.predict(x)[0];
        for (x, y) in xs.iter().zip(&ys) {
            let (m, s) = at(x);
            assert!((m - y).abs() < 0.05, "{m} vs {y}");
            assert!(s < 0.1);
        }
        let (m, _) = at(&[1.25]);
        assert!((m - 1.25f64.sin()).abs() < 0.05);
        let (_, far) = at(&[40.0]);
        let mean = ys.iter().sum::<f64>() / ys.len() as f64;
        let spread = (ys.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / ys.len() as f64).sqrt();
        assert!(
            (far - spread).abs() < 0.01 * spread,
            "far from data the prior's spread: {far}"
        );
    }
}
