//! Which trained networks the Bayesian optimiser's Gaussian processes are fitted on. Fitting
//! costs O(n³) and scoring a candidate O(n²) in the number of points, so a search left running
//! for many hours (thousands of trials) would spend more time choosing than training; past
//! [`SURROGATE_POINTS`] the fit keeps the points that matter most to the next choice: the
//! Pareto front of the estimates, the most accurate networks, and the most recent ones.

use sparse_core::pareto::pareto_front;

/// The most points the surrogate is fitted on. A 60-minute search on two cores trains fewer
/// networks than this, so it is only reached by long or many-core searches.
pub const SURROGATE_POINTS: usize = 1000;

/// Indices (ascending) of at most `max` of `targets` (one row of objectives per trained
/// network, error first, lower better, in the order the networks were trained) to fit on:
/// all of them when there are no more than `max`; otherwise the non-dominated ones, then, half
/// each, the lowest errors and the latest, until `max` are chosen.
pub fn surrogate_points(targets: &[Vec<f64>], max: usize) -> Vec<usize> {
    let n = targets.len();
    if n <= max {
        return (0..n).collect();
    }
    let mut chosen = vec![false; n];
    let mut count = 0;
    // Takes the points of `order` not yet chosen until `until` are chosen in all; says how many.
    let mut fill = |order: &mut dyn Iterator<Item = usize>, until: usize| {
        for i in order {
            if count >= until {
                break;
            }
            if !chosen[i] {
                chosen[i] = true;
                count += 1;
            }
        }
        count
    };
    let by_error = |mut indices: Vec<usize>| {
        indices.sort_by(|&a, &b| targets[a][0].total_cmp(&targets[b][0]));
        indices.into_iter()
    };
    let front = fill(&mut by_error(pareto_front(targets)), max);
    fill(&mut by_error((0..n).collect()), front + (max - front) / 2);
    fill(&mut (0..n).rev(), max);
    (0..n).filter(|&i| chosen[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_the_bound_every_point_is_kept() {
        let targets: Vec<Vec<f64>> = (0..5).map(|i| vec![i as f64, 0.0, 0.0]).collect();
        assert_eq!(surrogate_points(&targets, 5), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn past_the_bound_the_front_the_most_accurate_and_the_latest_are_kept() {
        // 100 networks, error falling with index except for a plateau; network 7 is the only
        // one with a tiny size, so it alone is non-dominated besides the most accurate.
        let targets: Vec<Vec<f64>> = (0..100)
            .map(|i| {
                let error = if i < 50 { 1.0 - i as f64 / 100.0 } else { 0.9 };
                let size = if i == 7 { 0.01 } else { 0.5 };
                vec![error, size, 0.5]
            })
            .collect();
        let kept = surrogate_points(&targets, 20);
        assert_eq!(kept.len(), 20);
        assert!(
            kept.windows(2).all(|w| w[0] < w[1]),
            "ascending, no repeats"
        );
        // The front: network 7 (smallest) and 49 (most accurate).
        assert!(kept.contains(&7) && kept.contains(&49));
        // Half of the rest by error: 48, 47, … (9 of them); the other half the latest.
        for i in 40..50 {
            assert!(kept.contains(&i), "accurate network {i} kept");
        }
        for i in 91..100 {
            assert!(kept.contains(&i), "recent network {i} kept");
        }
        assert!(!kept.contains(&0) && !kept.contains(&60));
    }

    #[test]
    fn a_front_larger_than_the_bound_keeps_its_most_accurate_members() {
        // Every point is on the front (error and size trade off exactly).
        let targets: Vec<Vec<f64>> = (0..30)
            .map(|i| vec![i as f64, 30.0 - i as f64, 0.0])
            .collect();
        assert_eq!(surrogate_points(&targets, 4), vec![0, 1, 2, 3]);
    }
}
