//! Inputs: which files to read (folders expanded, sorted, hidden files skipped) and how to
//! turn a file into page images (formats sniffed from the bytes, not the name).

mod decode;
mod discover;
mod pdf_pages;
mod tiff_pages;

pub use decode::{decode_page, page_count, sniff, PageSource, Sniffed};
pub use discover::{discover, InputFile};
