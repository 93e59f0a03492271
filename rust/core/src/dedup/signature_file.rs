//! Signatures on disk: one row of `num_perm` little-endian `u32` per document, in
//! document order, so that the row of document `d` is read by offset
//! (`d * num_perm * 4`) from any thread.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use crate::external_sort::SpillDir;
use crate::{Error, Result};

/// Appends signature rows to a file of a [`SpillDir`].
pub struct SignatureWriter {
    path: PathBuf,
    out: BufWriter<File>,
    num_perm: usize,
    rows: u64,
    bytes: Vec<u8>,
}

impl SignatureWriter {
    /// A new, empty file in `dir`.
    pub fn create(dir: &SpillDir, num_perm: usize) -> Result<Self> {
        let (path, file) = dir.create("signatures")?;
        Ok(SignatureWriter {
            path,
            out: BufWriter::with_capacity(1 << 20, file),
            num_perm,
            rows: 0,
            bytes: Vec::new(),
        })
    }

    /// Append the rows of `signatures` (a multiple of `num_perm` slots).
    pub fn append(&mut self, signatures: &[u32]) -> Result<()> {
        debug_assert_eq!(signatures.len() % self.num_perm, 0);
        self.bytes.clear();
        self.bytes
            .extend(signatures.iter().flat_map(|v| v.to_le_bytes()));
        self.out
            .write_all(&self.bytes)
            .map_err(|e| Error::io(&self.path, e))?;
        self.rows += (signatures.len() / self.num_perm) as u64;
        Ok(())
    }

    /// Rows written.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flush and reopen for reading by offset.
    pub fn finish(self) -> Result<SignatureFile> {
        let path = self.path;
        let file = self
            .out
            .into_inner()
            .map_err(|e| Error::io(&path, e.into_error()))?;
        Ok(SignatureFile {
            path,
            file,
            num_perm: self.num_perm,
            rows: self.rows,
        })
    }
}

/// Signature rows read by offset (`pread`: no shared cursor, so threads read at once).
pub struct SignatureFile {
    path: PathBuf,
    file: File,
    num_perm: usize,
    rows: u64,
}

impl SignatureFile {
    /// Rows in the file.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Bytes of the file.
    pub fn bytes(&self) -> u64 {
        self.rows * self.num_perm as u64 * 4
    }

    /// Slots `start..start + out.len()` of row `row` into `out`; `scratch` holds the
    /// bytes read (reused between calls).
    pub fn read_slots(
        &self,
        row: u32,
        start: usize,
        out: &mut [u32],
        scratch: &mut Vec<u8>,
    ) -> Result<()> {
        debug_assert!(start + out.len() <= self.num_perm && (row as u64) < self.rows);
        scratch.resize(out.len() * 4, 0);
        let offset = (row as u64 * self.num_perm as u64 + start as u64) * 4;
        read_exact_at(&self.file, scratch, offset).map_err(|e| Error::io(&self.path, e))?;
        for (slot, bytes) in out.iter_mut().zip(scratch.chunks_exact(4)) {
            *slot = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        Ok(())
    }

    /// The whole row `row` into `out` (`num_perm` slots).
    pub fn read_row(&self, row: u32, out: &mut [u32], scratch: &mut Vec<u8>) -> Result<()> {
        self.read_slots(row, 0, out, scratch)
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_back_by_offset() {
        let parent = tempfile::tempdir().unwrap();
        let dir = SpillDir::new(Some(parent.path()));
        let mut w = SignatureWriter::create(&dir, 3).unwrap();
        w.append(&[1, 2, 3, 4, 5, 6]).unwrap();
        w.append(&[u32::MAX, 0, 7]).unwrap();
        let f = w.finish().unwrap();
        assert_eq!((f.rows(), f.bytes()), (3, 36));
        let (mut row, mut scratch) = ([0u32; 3], Vec::new());
        f.read_row(2, &mut row, &mut scratch).unwrap();
        assert_eq!(row, [u32::MAX, 0, 7]);
        let mut two = [0u32; 2];
        f.read_slots(1, 1, &mut two, &mut scratch).unwrap();
        assert_eq!(two, [5, 6]);
    }
}
