//! Locating a slip in a scan: find and decode its QR code (`qr`), then map form millimetres
//! to image pixels from the code's corners and the printed registration marks (`register`).

mod qr;
mod register;

pub use qr::{find_qr, QrFound};
pub use register::{register, Registration};
// For `urnscan explain`, which draws where each mark was looked for and found.
pub(crate) use register::find_mark;
