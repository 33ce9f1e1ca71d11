//! What every custom op's CPU kernel starts with: the slice of its storage that a contiguous
//! layout covers, and [`run`], which calls a kernel written once for any float type at the
//! storages' own (f32 or f64).

use candle_core::{CpuStorage, Layout, Result, WithDType, bail};

/// The elements of `data` that `layout` covers, if they are contiguous; else an error naming
/// `op`, the kernel that needs them so.
fn contiguous<'a, T: WithDType>(data: &'a [T], layout: &Layout, op: &str) -> Result<&'a [T]> {
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => bail!("{op} needs a contiguous tensor"),
    }
}

/// A kernel over contiguous slices of one dtype, run by [`run`] at f32 or f64.
pub(crate) trait Kernel {
    /// The result of `args`, one slice per argument, in order.
    fn apply<T: WithDType>(&self, args: &[&[T]]) -> Result<Vec<T>>;
}

/// Runs `kernel` on the storages' contiguous slices, at their dtype (f32 or f64, all alike).
pub(crate) fn run(
    op: &str,
    args: &[(&CpuStorage, &Layout)],
    kernel: &impl Kernel,
) -> Result<CpuStorage> {
    fn typed<T: WithDType>(
        op: &str,
        args: &[(&CpuStorage, &Layout)],
        kernel: &impl Kernel,
    ) -> Result<CpuStorage> {
        let slices = args
            .iter()
            .map(|&(s, l)| contiguous(T::cpu_storage_as_slice(s)?, l, op))
            .collect::<Result<Vec<_>>>()?;
        Ok(T::to_cpu_storage_owned(kernel.apply(&slices)?))
    }
    match args[0].0 {
        CpuStorage::F32(_) => typed::<f32>(op, args, kernel),
        CpuStorage::F64(_) => typed::<f64>(op, args, kernel),
        _ => bail!("{op} supports f32 and f64 only"),
    }
}
