//! Locating a slip in a scan: find and decode its QR code (`qr`), then map form millimetres
//! to image pixels from the code's corners and the printed registration marks (`register`).
//! A page whose code is unreadable may still be identified by its marks and printed text
//! (`printed`).

mod printed;
mod qr;
mod register;

pub use printed::{identify_from_print, PrintedIdentity};
pub use qr::{find_qr, QrFound};
pub use register::{register, register_by_marks, Registration};
// For `urnscan explain`, which draws where each mark was looked for and found.
pub(crate) use register::{find_mark, qr_pairs};
