//! Streams of record batches: the one input shape of every streaming kernel.

use std::sync::mpsc::sync_channel;

use arrow_array::RecordBatch;

use crate::text::TextColumn;
use crate::{Error, Result};

/// A one-shot stream of record batches, as produced by the readers or by an Arrow
/// C stream from Python. Kernels pull from it batch by batch and never hold it whole.
pub type BatchStream = Box<dyn Iterator<Item = Result<RecordBatch>> + Send>;

/// Progress reporting and cancellation for long work.
///
/// `advance` is called after each batch; returning an error (for example
/// [`crate::Error::Interrupted`] when the user pressed Ctrl-C) stops the work.
pub trait Progress: Sync {
    /// `rows` more rows holding `bytes` bytes of text are done.
    fn advance(&self, rows: u64, bytes: u64) -> Result<()>;
}

/// Progress that reports nothing and never cancels.
pub struct NoProgress;

impl Progress for NoProgress {
    fn advance(&self, _rows: u64, _bytes: u64) -> Result<()> {
        Ok(())
    }
}

/// Read `stream` on its own thread, `depth` batches ahead, so that decoding input
/// overlaps with the kernel's work on the previous batches.
pub fn prefetch(stream: BatchStream, depth: usize) -> BatchStream {
    let (sender, receiver) = sync_channel(depth.max(1));
    std::thread::Builder::new()
        .name("thresher-prefetch".into())
        .spawn(move || {
            // A panic while reading must reach the consumer as an error: a silently
            // closed channel would look like the end of the corpus.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                for item in stream {
                    let failed = item.is_err();
                    if sender.send(item).is_err() || failed {
                        return;
                    }
                }
            }));
            if let Err(panic) = outcome {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic while reading input".into());
                let _ = sender.send(Err(Error::Internal(message)));
            }
        })
        .expect("spawning the prefetch thread");
    Box::new(receiver.into_iter())
}

/// Run `visit(batch, first_row)` on every non-empty batch of `stream`, where
/// `first_row` is the global index of the batch's first row; `visit` returns whether
/// to go on and the bytes to report as done. Returns the rows seen.
fn drive(
    stream: BatchStream,
    progress: &dyn Progress,
    mut visit: impl FnMut(&RecordBatch, u64) -> Result<(bool, u64)>,
) -> Result<u64> {
    let mut first_row = 0u64;
    for batch in prefetch(stream, 4) {
        let batch = batch?;
        if batch.num_rows() == 0 {
            continue;
        }
        let rows = batch.num_rows() as u64;
        let (keep_going, bytes) = visit(&batch, first_row)?;
        first_row += rows;
        progress.advance(rows, bytes)?;
        if !keep_going {
            break;
        }
    }
    Ok(first_row)
}

/// Run `visit(batch, first_row)` on every non-empty batch of `stream`, where
/// `first_row` is the global index of the batch's first row. Returns the rows seen.
pub fn for_each_batch(
    stream: BatchStream,
    progress: &dyn Progress,
    mut visit: impl FnMut(&RecordBatch, u64) -> Result<bool>,
) -> Result<u64> {
    drive(stream, progress, |batch, first_row| {
        Ok((
            visit(batch, first_row)?,
            batch.get_array_memory_size() as u64,
        ))
    })
}

/// Run `visit(batch, text, first_row)` on every batch of `stream`, where `text` is the
/// batch's column `column` and `first_row` the global index of its first row. Empty
/// batches are skipped. Returns the number of rows seen.
pub fn for_each_text_batch(
    stream: BatchStream,
    column: &str,
    progress: &dyn Progress,
    mut visit: impl FnMut(&RecordBatch, TextColumn<'_>, u64) -> Result<bool>,
) -> Result<u64> {
    drive(stream, progress, |batch, first_row| {
        let text = TextColumn::from_batch(batch, column, first_row)?;
        Ok((visit(batch, text, first_row)?, text.total_bytes() as u64))
    })
}
