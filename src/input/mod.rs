//! Inputs: which files to read (folders expanded, sorted, hidden files skipped) and how to
//! turn a file into page images (formats sniffed from the bytes, not the name).

mod decode;
mod discover;
mod pdf_pages;
mod tiff_pages;

pub use decode::{decode_page, page_count, sniff, PageSource, Sniffed};
pub use discover::{discover, InputFile};

/// Luminance of an RGB pixel (ITU-R BT.601 weights, integer): how every colour page becomes
/// the grey the pipeline reads, blue ink staying dark.
pub fn luma(rgb: &[u8]) -> u8 {
    ((rgb[0] as u32 * 299 + rgb[1] as u32 * 587 + rgb[2] as u32 * 114) / 1000) as u8
}
