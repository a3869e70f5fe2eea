//! Every `unsafe` block of urnscan, each with the reason it is sound (`SAFETY:`).
//!
//! The rest of the crate denies `unsafe_code` (the `[lints]` table of Cargo.toml), so that a
//! reader auditing what could break memory safety reads this file and nothing else. Each
//! function here is a safe wrapper: its callers cannot misuse it.

use std::fs::File;
use std::io;
use std::path::Path;

use memmap2::{Mmap, UncheckedAdvice};

/// Maps a whole file read-only.
///
/// Scans are not edited in place while urnscan reads them: were another program to
/// truncate the file meanwhile, touching the lost part would stop the process with SIGBUS
/// (the one risk of reading a file through a map rather than `read`).
pub fn map_read_only(file: &File) -> io::Result<Mmap> {
    // SAFETY: memmap2's contract is that the file is not changed while it is mapped (the
    // bytes behind a slice into the map would change under it): scans are not edited in
    // place while urnscan reads them, as said above. The map itself is read-only.
    unsafe { Mmap::map(file) }
}

/// Tells the kernel that the pages of `map` will not be needed soon: it may drop them, and
/// reading them again maps them back from the file.
pub fn forget_mapped_pages(map: &Mmap) -> io::Result<()> {
    // SAFETY: `DontNeed` on a shared, read-only file mapping only drops clean pages, which
    // are read again from the file when touched: every slice into the map stays valid and
    // sees the same bytes. (It would zero the pages of a private, written mapping, which
    // `map_read_only` never makes.)
    unsafe { map.unchecked_advise(UncheckedAdvice::DontNeed) }
}

/// Asks the kernel to drop the clean cached pages of the file open as `file` (like
/// `dd iflag=nocache`): nothing changes but where its bytes are next read from.
pub fn forget_cached_pages(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: a plain system call on a file descriptor that `file` keeps open for the
    // duration of the call; it reads no memory of ours.
    unsafe {
        libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
    }
}

/// Restores the default action of SIGPIPE (end the process quietly), which Rust's runtime
/// sets to "ignore": `urnscan evaluate OUT | head` then ends as other Unix tools do when
/// `head` stops reading, instead of panicking in `println!`.
///
/// To be called at the start of `main`, before any other thread exists.
pub fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: `signal` with SIG_DFL installs no handler of ours; called before any thread
    // starts, so nothing races with the change of disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Whether a process with this pid exists on this host (owned by us or not).
pub fn process_exists(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        if pid <= 0 {
            return false;
        }
        // SAFETY: signal 0 sends nothing: kill only checks that the process exists and may
        // be signalled; it reads no memory of ours.
        let r = unsafe { libc::kill(pid, 0) };
        // EPERM: it exists, owned by someone else.
        r == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(unix)]
mod fatal_signal {
    use std::ffi::CString;
    use std::sync::atomic::{AtomicPtr, Ordering};

    /// The file to remove when SIGINT, SIGTERM or SIGHUP ends the process: a CString leaked
    /// by `set`, or null.
    pub static PATH: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());
    pub const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    pub extern "C" fn on_signal(sig: libc::c_int) {
        let p = PATH.swap(std::ptr::null_mut(), Ordering::SeqCst);
        // SAFETY: `p` is null or a CString leaked by `remove_on_fatal_signal`, swapped out
        // so that nothing frees it meanwhile; unlink, signal and raise are
        // async-signal-safe. The default action is restored and the signal raised again:
        // the process ends as it would have without the handler, and its parent sees the
        // signal.
        unsafe {
            if !p.is_null() {
                libc::unlink(p);
            }
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }

    /// Frees a CString leaked by `remove_on_fatal_signal`.
    pub fn free(p: *mut libc::c_char) {
        if !p.is_null() {
            // SAFETY: `p` came from CString::into_raw and was swapped out of PATH, so the
            // handler can no longer reach it.
            drop(unsafe { CString::from_raw(p) });
        }
    }
}

/// Removes `path` if SIGINT (Ctrl-C), SIGTERM or SIGHUP ends the process, which then ends
/// as the signal's default action would: a signal ends the process without running
/// destructors, and a lock file must not outlive its run. One path at a time.
pub fn remove_on_fatal_signal(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        use std::sync::atomic::Ordering;
        let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
            return;
        };
        fatal_signal::free(fatal_signal::PATH.swap(c.into_raw(), Ordering::SeqCst));
        let handler = fatal_signal::on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        for sig in fatal_signal::SIGNALS {
            // SAFETY: installs a handler that only calls async-signal-safe functions on
            // memory it owns (see `on_signal`).
            unsafe {
                libc::signal(sig, handler);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The file is being removed normally: the handler must not remove a file that another
/// run may create under the same name afterwards. The handler stays installed and, with no
/// path, only ends the process as the default action would.
pub fn forget_fatal_signal_path() {
    #[cfg(unix)]
    fatal_signal::free(
        fatal_signal::PATH.swap(std::ptr::null_mut(), std::sync::atomic::Ordering::SeqCst),
    );
}

/// Set when SIGINT (Ctrl-C) or SIGTERM asked the process to stop.
static STOP_REQUESTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn request_stop(_sig: libc::c_int) {
    STOP_REQUESTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Makes SIGINT and SIGTERM set a flag instead of ending the process, for a loop that
/// finishes what it is doing and then stops (`stop_requested`).
pub fn stop_on_interrupt() {
    #[cfg(unix)]
    for sig in [libc::SIGINT, libc::SIGTERM] {
        let handler = request_stop as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(sig, handler);
        }
    }
}

/// Whether SIGINT or SIGTERM arrived since `stop_on_interrupt`.
pub fn stop_requested() -> bool {
    STOP_REQUESTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// The binary's own `deflateInit2_`, which makes Tesseract's internal PNG round trip cheap:
/// see src/read/tesseract_png.rs for why and for what decides the level. Built only on
/// Linux with glibc, where `dlsym(RTLD_NEXT, ..)` finds zlib's own definition and the
/// dynamic linker binds libpng's call to the executable's export (build.rs): elsewhere
/// (macOS's two-level namespaces, musl's static builds) the override would not be reached,
/// or not find zlib.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub mod zlib_override {
    use std::ffi::{c_char, c_int, c_void};
    use std::sync::OnceLock;

    use crate::read::tesseract_png;

    /// zlib's `Z_STREAM_ERROR`: libpng then fails to write the PNG, and Tesseract falls back
    /// to an uncompressed PNM of the line.
    const Z_STREAM_ERROR: c_int = -2;

    /// zlib's `deflateInit2_`, as its C header declares it.
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

    /// zlib's own `deflateInit2_`: the next definition after this executable's in load
    /// order.
    fn real_deflate_init2() -> Option<DeflateInit2> {
        static REAL: OnceLock<Option<DeflateInit2>> = OnceLock::new();
        *REAL.get_or_init(|| {
            // SAFETY: dlsym with a valid NUL-terminated name; RTLD_NEXT looks only in the
            // objects loaded after this one.
            let p = unsafe { libc::dlsym(libc::RTLD_NEXT, c"deflateInit2_".as_ptr()) };
            // SAFETY: the symbol found is zlib's `deflateInit2_` (the only library that
            // defines that name), whose C signature `DeflateInit2` is.
            (!p.is_null()).then(|| unsafe { std::mem::transmute::<*mut c_void, DeflateInit2>(p) })
        })
    }

    /// zlib's `deflateInit2_`, at the level `tesseract_png::level` chooses.
    ///
    /// # Safety
    /// Called by C code with zlib's contract for `deflateInit2_`: the arguments are passed
    /// on unchanged but for the level, which is a valid level (0, or the caller's own).
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
        let level = tesseract_png::level(level);
        match real_deflate_init2() {
            // SAFETY: zlib's own function, with the caller's arguments (valid by this
            // function's contract) and a valid level.
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
}
