//! The frames of a multi-frame zstd file, decompressed in parallel, in order.
//!
//! A zstd frame decodes on its own, so a file of several frames (written by
//! `pzstd`, or by concatenating `.zst` files; `zstd -T0` writes one frame) is cut
//! at frame boundaries (`ZSTD_findFrameCompressedSize`), each frame decompressed by
//! a task on the pool, and the decoded frames handed in file order to the
//! [`Chunker`](super::parallel::Chunker), which joins the lines that span frames.
//! Single-frame files are read serially.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

use rayon::ThreadPool;
use zstd::zstd_safe;

use super::parallel::{max_in_flight, spawn_job, wait_for, BlockSource};
use crate::{Error, Result};

/// How much of a file is read to find the end of its first frame: a file whose
/// first frame is larger is read serially.
const PROBE_BYTES: usize = 64 << 20;

/// Compressed bytes read at a time.
const READ_BYTES: usize = 4 << 20;

/// Whether the zstd file `path` holds more than one frame (frames of up to
/// [`PROBE_BYTES`] compressed are looked for).
pub(super) fn has_several_frames(path: &Path) -> Result<bool> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let length = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut head = Vec::new();
    (&mut file)
        .take(PROBE_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    Ok(matches!(zstd_safe::find_frame_compressed_size(&head), Ok(n) if (n as u64) < length))
}

/// The decoded frames of a zstd file, decompressed on a pool.
pub(super) struct ZstdFrames {
    file: File,
    path: PathBuf,
    pool: Arc<ThreadPool>,
    /// Compressed bytes read, from `start` on not yet cut into frames.
    buf: Vec<u8>,
    start: usize,
    eof: bool,
    /// Decompressions in flight, in file order.
    pending: VecDeque<Receiver<Result<Vec<u8>>>>,
    max_in_flight: usize,
    /// Decoded bytes still to drop: those schema inference has read.
    skip: u64,
}

impl ZstdFrames {
    /// The frames of `path`, decoded, without their first `skip` bytes.
    pub(super) fn open(path: &Path, pool: Arc<ThreadPool>, skip: u64) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(ZstdFrames {
            file,
            path: path.to_path_buf(),
            max_in_flight: max_in_flight(&pool),
            pool,
            buf: Vec::new(),
            start: 0,
            eof: false,
            pending: VecDeque::new(),
            skip,
        })
    }

    fn corrupt(&self, message: impl Into<String>) -> Error {
        Error::Decompress {
            path: self.path.clone(),
            codec: "zstd",
            message: message.into(),
        }
    }

    /// The compressed bytes of the next frame, `None` at the end of the file.
    fn next_frame(&mut self) -> Result<Option<Vec<u8>>> {
        loop {
            let available = &self.buf[self.start..];
            if !available.is_empty() {
                if let Ok(n) = zstd_safe::find_frame_compressed_size(available) {
                    if n > 0 && n <= available.len() {
                        let frame = available[..n].to_vec();
                        self.start += n;
                        return Ok(Some(frame));
                    }
                }
                if self.eof {
                    let e = zstd_safe::find_frame_compressed_size(available).err();
                    let name = e.map_or("unknown error", zstd_safe::get_error_name);
                    let offset = self.file_offset();
                    return Err(self.corrupt(format!(
                        "truncated or corrupt frame at byte {offset}: {name}"
                    )));
                }
            } else if self.eof {
                return Ok(None);
            }
            // Keep the start of the frame, and read more of it.
            self.buf.drain(..self.start);
            self.start = 0;
            let want = READ_BYTES.max(self.buf.len());
            let before = self.buf.len();
            (&mut self.file)
                .take(want as u64)
                .read_to_end(&mut self.buf)
                .map_err(|e| Error::io(&self.path, e))?;
            self.eof = self.buf.len() == before;
        }
    }

    /// Offset in the file of the first byte not cut into a frame.
    fn file_offset(&mut self) -> u64 {
        use std::io::Seek;
        let end = self.file.stream_position().unwrap_or(0);
        end - (self.buf.len() - self.start) as u64
    }

    /// Starts decompressing frames until enough are in flight.
    fn top_up(&mut self) {
        while self.pending.len() < self.max_in_flight {
            match self.next_frame() {
                Ok(Some(frame)) => {
                    let path = self.path.clone();
                    self.pending
                        .push_back(spawn_job(&self.pool, move || decompress(&frame, &path)));
                }
                Ok(None) => return,
                Err(e) => {
                    // Reported after the frames before it; nothing is read after it.
                    let (sender, receiver) = sync_channel(1);
                    let _ = sender.send(Err(e));
                    self.pending.push_back(receiver);
                    self.eof = true;
                    self.start = self.buf.len();
                    return;
                }
            }
        }
    }
}

impl BlockSource for ZstdFrames {
    fn fill(&mut self, out: &mut Vec<u8>) -> Result<bool> {
        loop {
            self.top_up();
            let Some(job) = self.pending.pop_front() else {
                return Ok(false);
            };
            let mut frame = wait_for(&self.pool, &job)??;
            if self.skip > 0 {
                let k = frame.len().min(self.skip as usize);
                frame.drain(..k);
                self.skip -= k as u64;
            }
            if frame.is_empty() {
                // A skippable frame, or one read whole by schema inference.
                continue;
            }
            if out.is_empty() {
                *out = frame;
            } else {
                out.extend_from_slice(&frame);
            }
            return Ok(true);
        }
    }
}

/// Decompresses one frame (a skippable frame decodes to nothing).
fn decompress(frame: &[u8], path: &Path) -> Result<Vec<u8>> {
    let corrupt = |e: std::io::Error| Error::Decompress {
        path: path.to_path_buf(),
        codec: "zstd",
        message: e.to_string(),
    };
    let size = zstd_safe::get_frame_content_size(frame)
        .ok()
        .flatten()
        .unwrap_or(0);
    // A declared size is a hint only: never trust it for more than 1 GiB up front.
    let mut out = Vec::with_capacity(size.min(1 << 30) as usize);
    let mut decoder = zstd::stream::read::Decoder::with_buffer(frame).map_err(corrupt)?;
    decoder.window_log_max(31).map_err(corrupt)?;
    decoder.read_to_end(&mut out).map_err(corrupt)?;
    Ok(out)
}
