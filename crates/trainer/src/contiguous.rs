//! The one helper every custom op's CPU kernel starts with: the slice of its storage that a
//! contiguous layout covers.

use candle_core::{Layout, Result, WithDType, bail};

/// The elements of `data` that `layout` covers, if they are contiguous; else an error naming
/// `op`, the kernel that needs them so.
pub(crate) fn contiguous<'a, T: WithDType>(
    data: &'a [T],
    layout: &Layout,
    op: &str,
) -> Result<&'a [T]> {
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => bail!("{op} needs a contiguous tensor"),
    }
}
