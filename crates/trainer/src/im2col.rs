//! One image's k×k windows laid out as the columns of a matrix (im2col), and the columns
//! summed back into an image (col2im): the data movement that turns a convolution into matrix
//! products (`conv.rs`).

use candle_core::{Result, Shape, WithDType, bail};

/// Sizes of a convolution over an already padded `[n, c, h, w]` input by `co` filters
/// `[c, k, k]`, windows `stride` apart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Geometry {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub co: usize,
    pub k: usize,
    pub stride: usize,
    pub oh: usize,
    pub ow: usize,
}

impl Geometry {
    /// The geometry of `input` (`[n, c, h, w]`) convolved by `weight` (`[co, c, k, k]`).
    pub(crate) fn new(input: &[usize], weight: &[usize], stride: usize) -> Result<Self> {
        let &[n, c, h, w] = input else {
            bail!("conv expects an input [n, c, h, w], got {input:?}")
        };
        let &[co, ci, k, kw] = weight else {
            bail!("conv expects filters [co, c, k, k], got {weight:?}")
        };
        if ci != c || k != kw || k == 0 || stride == 0 || h < k || w < k {
            bail!("conv: filters {weight:?}, stride {stride}, do not fit {input:?}")
        }
        Ok(Self {
            n,
            c,
            h,
            w,
            co,
            k,
            stride,
            oh: (h - k) / stride + 1,
            ow: (w - k) / stride + 1,
        })
    }

    /// Rows of an image's window matrix: one per input channel and filter tap.
    pub(crate) fn rows(&self) -> usize {
        self.c * self.k * self.k
    }

    /// Output positions of one image: the window matrix's columns.
    pub(crate) fn positions(&self) -> usize {
        self.oh * self.ow
    }

    /// Elements of one input image.
    pub(crate) fn image(&self) -> usize {
        self.c * self.h * self.w
    }

    /// A 1×1 convolution with stride 1, whose window matrix is the image itself.
    pub(crate) fn is_pointwise(&self) -> bool {
        self.k == 1 && self.stride == 1
    }

    /// Elements of one image's window matrix where it has to be built: none for a pointwise
    /// convolution.
    pub(crate) fn columns_built(&self) -> usize {
        if self.is_pointwise() {
            0
        } else {
            self.rows() * self.positions()
        }
    }

    pub(crate) fn input_shape(&self) -> Shape {
        Shape::from((self.n, self.c, self.h, self.w))
    }

    pub(crate) fn weight_shape(&self) -> Shape {
        Shape::from((self.co, self.c, self.k, self.k))
    }

    pub(crate) fn output_shape(&self) -> Shape {
        Shape::from((self.n, self.co, self.oh, self.ow))
    }

    /// Calls `f(image offset, column offset)` for every output row of every window row: the
    /// `ow` elements from the image offset, `stride` apart, are the `ow` columns from the
    /// column offset.
    fn for_each_row(&self, mut f: impl FnMut(usize, usize)) {
        let (k, s, positions) = (self.k, self.stride, self.positions());
        for ci in 0..self.c {
            for ky in 0..k {
                for kx in 0..k {
                    let row = (ci * k + ky) * k + kx;
                    for oy in 0..self.oh {
                        let from = (ci * self.h + oy * s + ky) * self.w + kx;
                        f(from, row * positions + oy * self.ow);
                    }
                }
            }
        }
    }
}

/// Writes one image (`[c, h, w]`) as its window matrix, `rows × positions`, into `cols`.
pub(crate) fn image_to_columns<T: WithDType>(image: &[T], g: &Geometry, cols: &mut [T]) {
    let (ow, s) = (g.ow, g.stride);
    g.for_each_row(|from, to| {
        let out = &mut cols[to..to + ow];
        if s == 1 {
            out.copy_from_slice(&image[from..from + ow]);
        } else {
            for (ox, v) in out.iter_mut().enumerate() {
                *v = image[from + ox * s];
            }
        }
    });
}

/// Adds a window matrix (`rows × positions`) back into one image (`[c, h, w]`): the transpose
/// of [`image_to_columns`].
pub(crate) fn add_columns_to_image<T: WithDType>(cols: &[T], g: &Geometry, image: &mut [T]) {
    let (ow, s) = (g.ow, g.stride);
    g.for_each_row(|to, from| {
        let row = &cols[from..from + ow];
        if s == 1 {
            for (out, v) in image[to..to + ow].iter_mut().zip(row) {
                *out += *v;
            }
        } else {
            for (ox, v) in row.iter().enumerate() {
                image[to + ox * s] += *v;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_hold_each_window_and_sum_back_by_overlap() {
        // One 2-channel 4×4 image, 3×3 windows, stride 1: 2·9 rows, 2·2 positions.
        let g = Geometry::new(&[1, 2, 4, 4], &[1, 2, 3, 3], 1).unwrap();
        let image: Vec<f64> = (0..32).map(f64::from).collect();
        let mut cols = vec![0.0; g.rows() * g.positions()];
        image_to_columns(&image, &g, &mut cols);
        // Row (channel 1, tap (2, 1)), position (1, 0): pixel (1, 3, 1) = 16 + 12 + 1.
        assert_eq!(cols[(9 + 7) * 4 + 2], 29.0);
        // Summed back, each pixel counts once per window that covers it.
        let mut back = vec![0.0; 32];
        add_columns_to_image(&vec![1.0; cols.len()], &g, &mut back);
        assert_eq!(&back[..4], &[1.0, 2.0, 2.0, 1.0]);
        assert_eq!(&back[4..8], &[2.0, 4.0, 4.0, 2.0]);
        // Stride 2 over a 5×5 image: windows at columns 0 and 2.
        let g = Geometry::new(&[1, 1, 5, 5], &[1, 1, 3, 3], 2).unwrap();
        let image: Vec<f64> = (0..25).map(f64::from).collect();
        let mut cols = vec![0.0; g.rows() * g.positions()];
        image_to_columns(&image, &g, &mut cols);
        assert_eq!(&cols[..4], &[0.0, 2.0, 10.0, 12.0]);
    }
}
