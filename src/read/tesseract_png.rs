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

use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

static STORED_PNG: AtomicBool = AtomicBool::new(true);

/// With `false`, zlib compresses Tesseract's internal PNGs at the level libpng asks for, as
/// it does without urnscan: the floor benchmark (examples/floor.rs) measures Tesseract as
/// Debian ships it that way.
pub fn set_stored_png(stored: bool) {
    STORED_PNG.store(stored, Ordering::Relaxed);
}

/// zlib's `Z_NO_COMPRESSION`.
const STORED: c_int = 0;
/// zlib's `Z_STREAM_ERROR`: libpng then fails to write the PNG, and Tesseract falls back to
/// an uncompressed PNM of the line.
const Z_STREAM_ERROR: c_int = -2;

type DeflateInit2 = unsafe extern "C" fn(
    *mut c_void,
    c_int,
    c_int,
    c_int,
    c_int,
    c_int,
    *const c_char,
    c_int,
) -> c_int;

fn real_deflate_init2() -> Option<DeflateInit2> {
    static REAL: OnceLock<Option<DeflateInit2>> = OnceLock::new();
    *REAL.get_or_init(|| {
        // SAFETY: dlsym with a valid NUL-terminated name; RTLD_NEXT finds the definition
        // after this executable in load order, zlib's own, whose C signature DeflateInit2 is.
        let p = unsafe { libc::dlsym(libc::RTLD_NEXT, c"deflateInit2_".as_ptr()) };
        (!p.is_null()).then(|| unsafe { std::mem::transmute::<*mut c_void, DeflateInit2>(p) })
    })
}

/// zlib's `deflateInit2_`, at compression level 0. See the module comment.
///
/// # Safety
/// Called by C code with zlib's contract: the arguments are passed on unchanged but for the
/// level.
#[no_mangle]
pub unsafe extern "C" fn deflateInit2_(
    strm: *mut c_void,
    level: c_int,
    method: c_int,
    window_bits: c_int,
    mem_level: c_int,
    strategy: c_int,
    version: *const c_char,
    stream_size: c_int,
) -> c_int {
    let level = if STORED_PNG.load(Ordering::Relaxed) {
        STORED
    } else {
        level
    };
    match real_deflate_init2() {
        // SAFETY: zlib's own function, with the caller's arguments.
        Some(real) => unsafe {
            real(
                strm,
                level,
                method,
                window_bits,
                mem_level,
                strategy,
                version,
                stream_size,
            )
        },
        None => Z_STREAM_ERROR,
    }
}
