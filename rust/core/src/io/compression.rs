//! Transparent decompression of input files (none, gzip, zstd).
//!
//! The codec is detected from the file's magic bytes, so a mis-named file still
//! reads; the extension is only a fallback for files too short to hold a magic.
//! Read errors carry a crate [`Error`] inside the `std::io::Error`, so that a
//! truncated stream becomes [`Error::Decompress`] and a failing disk [`Error::Io`],
//! both naming the file: see [`into_error`].

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Read buffer of the decoded stream: large, so that line splitting and JSON
/// decoding work on long contiguous slices and the decoders are called rarely.
const DECODED_BUFFER: usize = 1 << 20;

/// Read buffer of the compressed file.
const FILE_BUFFER: usize = 256 << 10;

/// A compression codec of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Plain bytes.
    None,
    /// gzip (RFC 1952), possibly several concatenated members.
    Gzip,
    /// Zstandard, possibly several concatenated frames.
    Zstd,
}

impl Compression {
    /// The codec named by `path`'s extension: `.gz` is gzip, `.zst` and `.zstd`
    /// are zstd (case-insensitive), anything else is none.
    pub fn from_extension(path: &Path) -> Self {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("gz") => Compression::Gzip,
            Some("zst" | "zstd") => Compression::Zstd,
            _ => Compression::None,
        }
    }

    /// The codec whose magic number starts `head`, if any.
    pub fn from_magic(head: &[u8]) -> Option<Self> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else {
            None
        }
    }

    /// The codec of a file whose first bytes are `head`: the magic number when
    /// there is one, else the extension of `path`.
    pub fn detect(path: &Path, head: &[u8]) -> Self {
        Self::from_magic(head).unwrap_or_else(|| Self::from_extension(path))
    }

    /// The codec's name as used in messages: "none", "gzip" or "zstd".
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Opens `path` and returns its decompressed bytes, with a 1 MiB buffer.
///
/// Errors returned later by the reader wrap an [`Error`] naming the file; recover
/// it with [`into_error`].
pub fn open_decoded(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let source = SourceFile {
        file,
        path: path.to_path_buf(),
    };
    // Peek without consuming, so that pipes and other unseekable files work too.
    let mut raw = BufReader::with_capacity(FILE_BUFFER, source);
    let head = raw.fill_buf().map_err(|e| into_error(e, path))?;
    // An empty file is an empty stream whatever its name (zstd and gzip decoders
    // would reject it for lacking a header).
    let compression = if head.is_empty() {
        Compression::None
    } else {
        Compression::detect(path, head)
    };
    let decoder_error = |e: io::Error| Error::Decompress {
        path: path.to_path_buf(),
        codec: compression.name(),
        message: e.to_string(),
    };
    let decoded: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(raw),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(raw)),
        Compression::Zstd => {
            let mut decoder = zstd::Decoder::with_buffer(raw).map_err(decoder_error)?;
            // Accept frames written with `--long` (windows up to 2 GiB): the file,
            // not this reader, decides how much memory decoding takes.
            decoder.window_log_max(31).map_err(decoder_error)?;
            Box::new(decoder)
        }
    };
    let checked = Checked {
        inner: decoded,
        path: path.to_path_buf(),
        codec: compression.name(),
    };
    Ok(Box::new(BufReader::with_capacity(DECODED_BUFFER, checked)))
}

/// Converts an error of a reader returned by [`open_decoded`] back into the crate
/// [`Error`] it carries; any other `io::Error` becomes [`Error::Io`] on `path`.
pub fn into_error(e: io::Error, path: &Path) -> Error {
    if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        if let Some(inner) = e.into_inner() {
            if let Ok(error) = inner.downcast::<Error>() {
                return *error;
            }
        }
        unreachable!("checked above that the io::Error wraps a crate Error");
    }
    Error::io(path, e)
}

/// The file being read; tags its own errors as [`Error::Io`] so that they are not
/// mistaken for corrupt data once they have passed through a decoder.
struct SourceFile {
    file: File,
    path: PathBuf,
}

impl Read for SourceFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf).map_err(|e| {
            // Keep the kind: `Interrupted` must still be retried by callers.
            io::Error::new(e.kind(), Error::io(self.path.clone(), e))
        })
    }
}

/// A decoder whose own errors (bad header, corrupt block, truncated frame) are
/// turned into [`Error::Decompress`].
struct Checked {
    inner: Box<dyn Read + Send>,
    path: PathBuf,
    codec: &'static str,
}

impl Read for Checked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::Interrupted
                || e.get_ref().is_some_and(|inner| inner.is::<Error>())
            {
                return e;
            }
            let message = e.to_string();
            io::Error::new(
                e.kind(),
                Error::Decompress {
                    path: self.path.clone(),
                    codec: self.codec,
                    message,
                },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(path: &Path) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        open_decoded(path)?
            .read_to_end(&mut out)
            .map_err(|e| into_error(e, path))?;
        Ok(out)
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    const DATA: &[u8] = b"{\"text\": \"hello\"}\n{\"text\": \"world\"}\n";

    #[test]
    fn extension_and_magic() {
        assert_eq!(
            Compression::from_extension(Path::new("a.jsonl.gz")),
            Compression::Gzip
        );
        assert_eq!(
            Compression::from_extension(Path::new("a.ZST")),
            Compression::Zstd
        );
        assert_eq!(
            Compression::from_extension(Path::new("a.zstd")),
            Compression::Zstd
        );
        assert_eq!(
            Compression::from_extension(Path::new("a.jsonl")),
            Compression::None
        );
        assert_eq!(
            Compression::from_extension(Path::new("gz")),
            Compression::None
        );
        assert_eq!(
            Compression::from_magic(&[0x1f, 0x8b, 8]),
            Some(Compression::Gzip)
        );
        assert_eq!(
            Compression::from_magic(&[0x28, 0xb5, 0x2f, 0xfd]),
            Some(Compression::Zstd)
        );
        assert_eq!(Compression::from_magic(b"{\"a\""), None);
        assert_eq!(Compression::from_magic(&[0x28]), None);
    }

    #[test]
    fn magic_wins_over_extension() {
        let dir = tempfile::tempdir().unwrap();
        // zstd data behind a misleading name, gzip data behind no extension
        let zst = dir.path().join("data.jsonl");
        std::fs::write(&zst, zstd::encode_all(DATA, 1).unwrap()).unwrap();
        assert_eq!(read_all(&zst).unwrap(), DATA);
        let gz = dir.path().join("data.zst");
        std::fs::write(&gz, gzip(DATA)).unwrap();
        assert_eq!(read_all(&gz).unwrap(), DATA);
        let plain = dir.path().join("plain.txt");
        std::fs::write(&plain, DATA).unwrap();
        assert_eq!(read_all(&plain).unwrap(), DATA);
    }

    #[test]
    fn concatenated_members_and_frames() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("multi.gz");
        let mut bytes = gzip(b"one\n");
        bytes.extend(gzip(b"two\n"));
        std::fs::write(&gz, bytes).unwrap();
        assert_eq!(read_all(&gz).unwrap(), b"one\ntwo\n");
        let zst = dir.path().join("multi.zst");
        let mut bytes = zstd::encode_all(&b"one\n"[..], 1).unwrap();
        bytes.extend(zstd::encode_all(&b"two\n"[..], 1).unwrap());
        std::fs::write(&zst, bytes).unwrap();
        assert_eq!(read_all(&zst).unwrap(), b"one\ntwo\n");
    }

    #[test]
    fn empty_files() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["empty.jsonl", "empty.jsonl.gz", "empty.jsonl.zst"] {
            let path = dir.path().join(name);
            std::fs::write(&path, b"").unwrap();
            assert_eq!(read_all(&path).unwrap(), b"");
        }
    }

    #[test]
    fn truncated_streams_are_decompress_errors() {
        let dir = tempfile::tempdir().unwrap();
        let big: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{i}\n").into_bytes())
            .collect();
        let zst = zstd::encode_all(&big[..], 3).unwrap();
        let gz = gzip(&big);
        for (name, bytes, codec) in [("t.jsonl.zst", zst, "zstd"), ("t.jsonl.gz", gz, "gzip")] {
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
            match read_all(&path) {
                Err(Error::Decompress {
                    path: p, codec: c, ..
                }) => {
                    assert_eq!(p, path);
                    assert_eq!(c, codec);
                }
                other => panic!("{name}: expected Decompress, got {other:?}"),
            }
            let message = read_all(&path).unwrap_err().to_string();
            assert!(message.contains(name), "{message}");
        }
    }

    #[test]
    fn corrupt_gzip_body_is_decompress_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = gzip(DATA);
        let n = bytes.len();
        for b in &mut bytes[12..n - 8] {
            *b ^= 0x5a;
        }
        let path = dir.path().join("bad.gz");
        std::fs::write(&path, bytes).unwrap();
        assert!(matches!(
            read_all(&path),
            Err(Error::Decompress { codec: "gzip", .. })
        ));
    }

    #[test]
    fn missing_file_names_path() {
        let path = Path::new("/nonexistent/dir/corpus.jsonl.zst");
        let err = open_decoded(path).err().expect("must fail");
        assert!(matches!(&err, Error::Io { path: p, .. } if p == path));
        assert!(
            err.to_string()
                .contains("/nonexistent/dir/corpus.jsonl.zst"),
            "{err}"
        );
    }

    #[test]
    fn directory_is_io_error() {
        let dir = tempfile::tempdir().unwrap();
        match read_all(dir.path()) {
            Err(Error::Io { path, .. }) => assert_eq!(path, dir.path()),
            other => panic!("expected Io, got {other:?}"),
        }
    }
}
