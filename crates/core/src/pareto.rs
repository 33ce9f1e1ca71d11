//! Pareto maths for minimised objectives: dominance, the non-dominated front, and the exact
//! hypervolume of up to three objectives.
//!
//! The search reports hypervolume over `[error, model size / flash budget, working memory /
//! SRAM budget]`, all minimised, with the reference point `(1, 1, 1)`: a feasible network lies
//! inside the unit cube, and the hypervolume is the fraction of that cube its front dominates.

/// Whether `a` dominates `b`: no worse in every objective and better in at least one.
pub fn dominates(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x <= y) && a.iter().zip(b).any(|(x, y)| x < y)
}

/// Indices of the points no other point dominates (duplicates all kept), in input order.
pub fn pareto_front(points: &[Vec<f64>]) -> Vec<usize> {
    (0..points.len())
        .filter(|&i| !points.iter().any(|p| dominates(p, &points[i])))
        .collect()
}

/// Area dominated by 2-D points below `reference` (points outside it are ignored).
fn hypervolume_2d(points: &[[f64; 2]], reference: [f64; 2]) -> f64 {
    let mut inside: Vec<[f64; 2]> = points
        .iter()
        .copied()
        .filter(|p| p[0] < reference[0] && p[1] < reference[1])
        .collect();
    inside.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    let mut area = 0.0;
    // Sweep in x: each strip between consecutive x values is as tall as the best y so far.
    let mut best_y = reference[1];
    for (i, p) in inside.iter().enumerate() {
        best_y = best_y.min(p[1]);
        let next_x = inside.get(i + 1).map_or(reference[0], |q| q[0]);
        area += (next_x - p[0]) * (reference[1] - best_y);
    }
    area
}

/// The exact hypervolume dominated by `points` (each of 1 to 3 objectives, all minimised) up
/// to `reference`; points not strictly better than the reference in every objective add
/// nothing. Computed by sweeping the last objective and summing 2-D slices: O(n² log n).
pub fn hypervolume(points: &[Vec<f64>], reference: &[f64]) -> f64 {
    let pad = |p: &[f64], fill: f64| -> [f64; 3] {
        [
            p.first().copied().unwrap_or(fill),
            p.get(1).copied().unwrap_or(fill),
            p.get(2).copied().unwrap_or(fill),
        ]
    };
    // Missing objectives become a unit-thick slab: 0 for the points, 1 for the reference.
    let reference = pad(reference, 1.0);
    let mut inside: Vec<[f64; 3]> = points
        .iter()
        .map(|p| pad(p, 0.0))
        .filter(|p| (0..3).all(|k| p[k] < reference[k]))
        .collect();
    inside.sort_by(|a, b| a[2].total_cmp(&b[2]));
    let mut volume = 0.0;
    for i in 0..inside.len() {
        let top = inside.get(i + 1).map_or(reference[2], |q| q[2]);
        let thickness = top - inside[i][2];
        if thickness > 0.0 {
            let slice: Vec<[f64; 2]> = inside[..=i].iter().map(|p| [p[0], p[1]]).collect();
            volume += thickness * hypervolume_2d(&slice, [reference[0], reference[1]]);
        }
    }
    volume
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dominance_needs_one_strict_improvement() {
        assert!(dominates(&[1.0, 2.0], &[1.0, 3.0]));
        assert!(!dominates(&[1.0, 2.0], &[1.0, 2.0]));
        assert!(!dominates(&[0.0, 3.0], &[1.0, 2.0]));
    }

    #[test]
    fn front_keeps_the_non_dominated() {
        let points = vec![
            vec![0.1, 0.9, 0.5],
            vec![0.2, 0.2, 0.2],
            vec![0.3, 0.3, 0.3],
            vec![0.9, 0.1, 0.1],
            vec![0.2, 0.2, 0.2],
        ];
        assert_eq!(pareto_front(&points), vec![0, 1, 3, 4]);
    }

    #[test]
    fn hypervolume_of_hand_computed_fronts() {
        let r = [1.0, 1.0, 1.0];
        // One point: a box.
        assert!((hypervolume(&[vec![0.5, 0.5, 0.5]], &r) - 0.125).abs() < 1e-12);
        // Two overlapping boxes: A = (0, 0.5, 0.5) → 1·0.5·0.5 = 0.25; B = (0.5, 0, 0.5) → 0.5·1·0.5 = 0.25;
        // overlap [0.5,1]×[0.5,1]×[0.5,1] = 0.125; union 0.375.
        let v = hypervolume(&[vec![0.0, 0.5, 0.5], vec![0.5, 0.0, 0.5]], &r);
        assert!((v - 0.375).abs() < 1e-12, "{v}");
        // A staircase in 3-D: (0.2,0.6,0.4), (0.6,0.2,0.4), (0.4,0.4,0.1).
        // Inclusion–exclusion: boxes 0.8·0.4·0.6 = 0.192, 0.192, 0.6·0.6·0.9 = 0.324;
        // pairwise overlaps: AB 0.4·0.4·0.6 = 0.096, AC 0.6·0.4·0.6 = 0.144, BC 0.144;
        // triple 0.4·0.4·0.6 = 0.096. Union = 0.708 − 0.384 + 0.096 = 0.42.
        let v = hypervolume(
            &[
                vec![0.2, 0.6, 0.4],
                vec![0.6, 0.2, 0.4],
                vec![0.4, 0.4, 0.1],
            ],
            &r,
        );
        assert!((v - 0.42).abs() < 1e-12, "{v}");
        // Dominated and outside points add nothing.
        let v2 = hypervolume(
            &[
                vec![0.2, 0.6, 0.4],
                vec![0.6, 0.2, 0.4],
                vec![0.4, 0.4, 0.1],
                vec![0.7, 0.7, 0.7],
                vec![0.1, 0.1, 1.5],
            ],
            &r,
        );
        assert!((v2 - v).abs() < 1e-12);
        // Two objectives: a 2-D staircase.
        let v = hypervolume(&[vec![0.2, 0.6], vec![0.6, 0.2]], &[1.0, 1.0]);
        assert!(
            (v - (0.8 * 0.4 + 0.4 * 0.8 - 0.4 * 0.4)).abs() < 1e-12,
            "{v}"
        );
        assert_eq!(hypervolume(&[], &r), 0.0);
    }

    #[test]
    fn hypervolume_matches_a_monte_carlo_estimate() {
        // 12 pseudo-random points; 200,000 sample points of the unit cube.
        let mut s = 12345u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 1_000_000) as f64 / 1_000_000.0
        };
        let points: Vec<Vec<f64>> = (0..12).map(|_| vec![next(), next(), next()]).collect();
        let exact = hypervolume(&points, &[1.0, 1.0, 1.0]);
        let samples = 200_000;
        let hits = (0..samples)
            .filter(|_| {
                let q = [next(), next(), next()];
                points.iter().any(|p| (0..3).all(|k| p[k] <= q[k]))
            })
            .count();
        let estimate = hits as f64 / samples as f64;
        assert!(
            (exact - estimate).abs() < 0.005,
            "exact {exact}, estimate {estimate}"
        );
    }
}
