//! Cutting a decoded byte stream into numbered lines, in a background thread.
//!
//! Decompression is about as costly as JSON decoding, so a reader thread
//! decompresses and splits the next batch of lines while the caller decodes the
//! current one. Line buffers go back and forth between the two threads, so the
//! steady state allocates nothing.

use std::io::{BufRead, ErrorKind};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

use super::compression::into_error;
use crate::Result;

/// A batch is cut early when its lines reach this many bytes: this bounds memory
/// (three batches are alive at once) and keeps arrow's 32-bit string offsets far
/// from overflowing, whatever the size of the documents.
pub(super) const MAX_BATCH_BYTES: usize = 64 << 20;

/// Lines held in one buffer, with their 1-based line numbers in the file.
#[derive(Default)]
pub(super) struct Lines {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    numbers: Vec<u64>,
}

impl Lines {
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Line `i`, without its `\n`.
    pub(super) fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    /// The 1-based line number in the file of line `i`.
    pub(super) fn number(&self, i: usize) -> u64 {
        self.numbers[i]
    }

    /// Bytes held by the lines.
    pub(super) fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    pub(super) fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
        self.numbers.clear();
    }

    pub(super) fn push(&mut self, line: &[u8], number: u64) {
        self.bytes.extend_from_slice(line);
        self.ends.push(self.bytes.len());
        self.numbers.push(number);
    }
}

/// Whether a line holds only JSON whitespace (`\r` covers CRLF files).
/// The UTF-8 byte-order mark that files written on Windows often start with; skipped
/// at the start of a file (line and column numbers are those of the text after it).
pub(super) const BOM: &[u8] = b"\xEF\xBB\xBF";

pub(super) fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// The non-blank lines of a decoded stream, preceded by lines handed back with
/// [`LineInput::replay`] (those read for schema inference).
pub(super) struct LineInput {
    stream: Box<dyn BufRead + Send>,
    pub(super) path: PathBuf,
    /// Number of the next line to read from `stream`.
    next_line: u64,
    /// Bytes of `stream` consumed so far: where its next line starts.
    consumed: u64,
    eof: bool,
    replay: Lines,
    replay_pos: usize,
}

impl LineInput {
    pub(super) fn new(stream: Box<dyn BufRead + Send>, path: &Path) -> Self {
        LineInput {
            stream,
            path: path.to_path_buf(),
            next_line: 1,
            consumed: 0,
            eof: false,
            replay: Lines::default(),
            replay_pos: 0,
        }
    }

    /// Makes `lines`, already read, come out again before the rest of the stream.
    pub(super) fn replay(&mut self, lines: Lines) {
        self.replay = lines;
        self.replay_pos = 0;
    }

    /// Where the rest of the stream starts: its byte offset and its line number,
    /// with the lines still to replay (all of them until batches are read).
    pub(super) fn split_off(&mut self) -> (u64, u64, Lines) {
        let mut rest = Lines::default();
        for i in self.replay_pos..self.replay.len() {
            rest.push(self.replay.get(i), self.replay.number(i));
        }
        self.replay(Lines::default());
        (self.consumed, self.next_line, rest)
    }

    /// Appends the next non-blank line to `out`; false at the end of the file.
    pub(super) fn next_into(&mut self, out: &mut Lines) -> Result<bool> {
        if self.replay_pos < self.replay.len() {
            out.push(
                self.replay.get(self.replay_pos),
                self.replay.number(self.replay_pos),
            );
            self.replay_pos += 1;
            if self.replay_pos == self.replay.len() {
                self.replay(Lines::default());
            }
            return Ok(true);
        }
        loop {
            let start = out.bytes.len();
            if !self.read_line(&mut out.bytes)? {
                return Ok(false);
            }
            let number = self.next_line;
            self.next_line += 1;
            if is_blank(&out.bytes[start..]) {
                out.bytes.truncate(start);
                continue;
            }
            out.ends.push(out.bytes.len());
            out.numbers.push(number);
            return Ok(true);
        }
    }

    /// Clears `out` and fills it with up to `max_lines` lines (fewer at the end of
    /// the file or past [`MAX_BATCH_BYTES`]).
    fn fill(&mut self, out: &mut Lines, max_lines: usize) -> Result<()> {
        out.clear();
        while out.len() < max_lines && out.bytes.len() < MAX_BATCH_BYTES {
            if !self.next_into(out)? {
                break;
            }
        }
        Ok(())
    }

    /// Consumes a byte-order mark at the start of the stream (it may arrive in pieces).
    fn skip_bom(&mut self) -> Result<()> {
        let mut seen = 0;
        while seen < BOM.len() {
            let buf = match self.stream.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(into_error(e, &self.path)),
            };
            let take = buf.len().min(BOM.len() - seen);
            if take == 0 || buf[..take] != BOM[seen..seen + take] {
                // Not a BOM: only a partial match already consumed can be lost, and
                // a partial BOM followed by other bytes is not valid UTF-8 anyway.
                return Ok(());
            }
            self.stream.consume(take);
            self.consumed += take as u64;
            seen += take;
        }
        Ok(())
    }

    /// Appends the next line, without its `\n`, to `out`; false at the end of the
    /// file (a last line without `\n` still counts).
    fn read_line(&mut self, out: &mut Vec<u8>) -> Result<bool> {
        let mut read_any = false;
        if self.consumed == 0 && !self.eof {
            self.skip_bom()?;
        }
        while !self.eof {
            let buf = match self.stream.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(into_error(e, &self.path)),
            };
            if buf.is_empty() {
                self.eof = true;
                break;
            }
            read_any = true;
            match memchr::memchr(b'\n', buf) {
                Some(i) => {
                    out.extend_from_slice(&buf[..i]);
                    self.stream.consume(i + 1);
                    self.consumed += i as u64 + 1;
                    return Ok(true);
                }
                None => {
                    let n = buf.len();
                    out.extend_from_slice(buf);
                    self.stream.consume(n);
                    self.consumed += n as u64;
                }
            }
        }
        Ok(read_any)
    }
}

/// Batches of lines read ahead by a background thread.
pub(super) struct Prefetch {
    /// `None` once dropped, which tells the thread to stop.
    batches: Option<Receiver<Result<Lines>>>,
    recycle: Sender<Lines>,
    thread: Option<JoinHandle<()>>,
}

impl Prefetch {
    /// Starts reading batches of up to `max_lines` lines from `input`.
    pub(super) fn spawn(mut input: LineInput, max_lines: usize) -> Result<Self> {
        // One batch queued while one is being filled and one decoded: enough to
        // keep both threads busy.
        let (sender, batches) = sync_channel(1);
        let (recycle, recycled) = channel();
        let path = input.path.clone();
        let thread = std::thread::Builder::new()
            .name("thresher-jsonl".into())
            .spawn(move || read_ahead(&mut input, max_lines, &sender, &recycled))
            .map_err(|e| crate::Error::io(path, e))?;
        Ok(Prefetch {
            batches: Some(batches),
            recycle,
            thread: Some(thread),
        })
    }

    /// The next batch of lines, or `None` at the end of the file.
    pub(super) fn next(&mut self) -> Result<Option<Lines>> {
        let Some(batches) = &self.batches else {
            return Ok(None);
        };
        match batches.recv() {
            Ok(batch) => batch.map(Some),
            Err(_) => {
                // The thread is done: at the end of the file, or by a panic,
                // which is passed on rather than mistaken for the end of the file.
                self.batches = None;
                if let Some(thread) = self.thread.take() {
                    if let Err(panic) = thread.join() {
                        std::panic::resume_unwind(panic);
                    }
                }
                Ok(None)
            }
        }
    }

    /// Hands a used batch back to the thread, to be refilled.
    pub(super) fn recycle(&self, lines: Lines) {
        // If the thread is gone the buffer is simply freed.
        let _ = self.recycle.send(lines);
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        // Closing the channel makes the thread's next send fail, so it stops after
        // at most one batch; join it so that the file is closed on return.
        self.batches = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn read_ahead(
    input: &mut LineInput,
    max_lines: usize,
    sender: &SyncSender<Result<Lines>>,
    recycled: &Receiver<Lines>,
) {
    loop {
        let mut lines = recycled.try_recv().unwrap_or_default();
        match input.fill(&mut lines, max_lines) {
            Ok(()) if lines.is_empty() => return,
            Ok(()) => {
                if sender.send(Ok(lines)).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = sender.send(Err(e));
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(bytes: &'static [u8]) -> LineInput {
        LineInput::new(Box::new(bytes), Path::new("mem.jsonl"))
    }

    fn all_lines(mut prefetch: Prefetch) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        while let Some(lines) = prefetch.next().unwrap() {
            for i in 0..lines.len() {
                out.push((
                    lines.number(i),
                    String::from_utf8_lossy(lines.get(i)).into_owned(),
                ));
            }
            prefetch.recycle(lines);
        }
        assert!(prefetch.next().unwrap().is_none(), "stays at the end");
        out
    }

    #[test]
    fn a_byte_order_mark_is_skipped_at_the_start_only() {
        let lines = all_lines(
            Prefetch::spawn(input(b"\xEF\xBB\xBF{\"a\":1}\n\xEF\xBB\xBFx\n"), 8).unwrap(),
        );
        assert_eq!(lines[0], (1, "{\"a\":1}".to_string()));
        assert_eq!(lines[1].1.as_bytes(), b"\xEF\xBB\xBFx");
        let plain = all_lines(Prefetch::spawn(input(b"{}\n"), 8).unwrap());
        assert_eq!(plain, vec![(1, "{}".to_string())]);
    }

    #[test]
    fn numbers_skip_blank_lines() {
        let got = all_lines(Prefetch::spawn(input(b"\na\n \t\r\nb\r\n\n\nc"), 2).unwrap());
        let expected = [(2, "a"), (4, "b\r"), (7, "c")];
        let expected: Vec<_> = expected.iter().map(|&(n, s)| (n, s.to_string())).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn batches_have_at_most_max_lines() {
        let mut prefetch = Prefetch::spawn(input(b"1\n2\n3\n4\n5\n"), 2).unwrap();
        let mut sizes = Vec::new();
        while let Some(lines) = prefetch.next().unwrap() {
            sizes.push(lines.len());
            prefetch.recycle(lines);
        }
        assert_eq!(sizes, [2, 2, 1]);
    }

    #[test]
    fn replayed_lines_come_first() {
        let mut source = input(b"x\n\ny\nz\n");
        let mut head = Lines::default();
        assert!(source.next_into(&mut head).unwrap());
        assert!(source.next_into(&mut head).unwrap());
        source.replay(head);
        let got = all_lines(Prefetch::spawn(source, 10).unwrap());
        let expected: Vec<_> = [(1, "x"), (3, "y"), (4, "z")]
            .iter()
            .map(|&(n, s)| (n, s.to_string()))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn dropping_early_stops_the_thread() {
        let big: &'static [u8] = "line\n".repeat(100_000).leak().as_bytes();
        let mut prefetch = Prefetch::spawn(input(big), 10).unwrap();
        assert_eq!(prefetch.next().unwrap().unwrap().len(), 10);
        drop(prefetch); // must return: the thread sees the closed channel
    }
}
