//! Tesseract's hidden PNG round trip, made free.
//!
//! For every line it recognises, libtesseract (5.3, `ImageData::SetPix`) encodes the line's
//! image as PNG in memory, and decodes it again a moment later to feed the LSTM. The image
//! never leaves the process, yet zlib's default compression made that round trip a fifth of
//! all Tesseract time (perf on 200 pages: libz 9 % and libpng 1.6 % of urnscan's CPU).
//!
//! urnscan's executable defines zlib's `deflateInit2_`, the call libpng makes to start
//! compressing, and forwards it to the real zlib with compression level 0 (stored blocks:
//! a copy). The PNG is still a valid PNG, decoded to the very same pixels, so what Tesseract
//! reads is unchanged; only the work goes. The symbol is exported from the binary
//! (`build.rs`; the linker also exports it by itself from any executable that links
//! libtesseract, since a shared library refers to it), so the dynamic linker binds libpng's
//! call here; nothing else in the process compresses with the system zlib (urnscan's own PNG
//! and deflate code is Rust).
//!
//! The override itself is foreign-function code and lives with the crate's other `unsafe`
//! code in `crate::sys::zlib_override`, built only on Linux with glibc; this module decides
//! the level and counts the PNGs it served, which summary.json reports
//! (`png_zlib_override`): a run that read lines with Tesseract while the count stayed 0 was
//! not bound to the override (right, but slower).

use std::ffi::c_int;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static STORED_PNG: AtomicBool = AtomicBool::new(true);

/// PNGs the override made uncompressed, all threads of this process together.
static STORED_COUNT: AtomicU64 = AtomicU64::new(0);

/// zlib's `Z_NO_COMPRESSION`.
const STORED: c_int = 0;

/// With `false`, zlib compresses Tesseract's internal PNGs at the level libpng asks for, as
/// it does without urnscan: the floor benchmark (examples/floor.rs) measures Tesseract as
/// Debian ships it that way.
pub fn set_stored_png(stored: bool) {
    STORED_PNG.store(stored, Ordering::Relaxed);
}

/// Whether this build has the override (Linux with glibc only; see `crate::sys`).
pub const BUILT: bool = cfg!(all(target_os = "linux", target_env = "gnu"));

/// The level the override passes on to zlib for a compression libpng starts at `asked`,
/// counting the PNGs it makes uncompressed.
pub fn level(asked: c_int) -> c_int {
    if STORED_PNG.load(Ordering::Relaxed) {
        STORED_COUNT.fetch_add(1, Ordering::Relaxed);
        STORED
    } else {
        asked
    }
}

/// How many of Tesseract's internal PNGs the override has made uncompressed in this
/// process so far (about one per line Tesseract read), or None when this build has no
/// override.
pub fn stored_pngs() -> Option<u64> {
    BUILT.then(|| STORED_COUNT.load(Ordering::Relaxed))
}
