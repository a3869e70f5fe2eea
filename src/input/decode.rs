//! Turning a file into page images. The format is recognised from the file's first bytes;
//! the extension is never trusted. Decoding is bounded by limits so that an image declaring
//! absurd dimensions is refused before anything is allocated.

use std::io::{BufReader, Read};
use std::path::Path;

use image::{ImageFormat, ImageReader, Limits};

use crate::outcome::Rejection;

/// Largest side accepted: an A3 page at 600 dpi is 7016 × 9921 pixels.
const MAX_SIDE: u32 = 16_000;
/// Most memory one decode may allocate: an A3 page at 600 dpi in RGB is 210 MiB.
const MAX_ALLOC: u64 = 400 << 20;

/// What a file holds, as far as its first bytes tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Raster(ImageFormat),
    Pdf,
}

/// A page waiting to be decoded by a worker.
#[derive(Debug, Clone)]
pub struct PageSource {
    pub page: u32,
    pub format: Sniffed,
}

fn describe_unknown(head: &[u8]) -> String {
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        "an HEIC/MP4-style file (a phone photo?)".into()
    } else if let Ok(fmt) = image::guess_format(head) {
        format!("a {fmt:?} image")
    } else if head
        .iter()
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        "a text file".into()
    } else {
        "not an image".into()
    }
}

/// Recognises a file's format from its first bytes.
pub fn sniff(path: &Path) -> Result<Sniffed, Rejection> {
    let mut head = [0u8; 32];
    let mut file = std::fs::File::open(path).map_err(|e| Rejection::UnreadableFile {
        error: e.to_string(),
    })?;
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => {
                return Err(Rejection::UnreadableFile {
                    error: e.to_string(),
                })
            }
        }
    }
    let head = &head[..n];
    if head.is_empty() {
        return Err(Rejection::UnreadableFile {
            error: "the file is empty (0 bytes)".into(),
        });
    }
    // A PDF may carry a few bytes of junk before its header (the format allows 1 KiB).
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Ok(Sniffed::Pdf);
    }
    match image::guess_format(head) {
        Ok(f @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Tiff)) => {
            Ok(Sniffed::Raster(f))
        }
        _ => Err(Rejection::UnsupportedFile {
            what: describe_unknown(head),
        }),
    }
}

/// A JPEG decoder fills a truncated file's missing rows with grey and carries on; a scan cut
/// short (an interrupted copy, a full disk) must not pass for a slip with half an answer.
/// Every complete JPEG ends with the end-of-image marker FF D9 (some writers pad after it).
fn check_jpeg_complete(path: &Path) -> Result<(), Rejection> {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::File::open(path).map_err(|e| Rejection::UnreadableFile {
        error: e.to_string(),
    })?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    // Some writers append metadata after the image; 64 KiB covers what scanners add.
    let tail_len = len.min(64 * 1024);
    let mut tail = vec![0u8; tail_len as usize];
    file.seek(SeekFrom::Start(len - tail_len))
        .and_then(|_| file.read_exact(&mut tail))
        .map_err(|e| Rejection::UnreadableFile {
            error: e.to_string(),
        })?;
    if tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
        Ok(())
    } else {
        Err(Rejection::UnreadableFile {
            error:
                "the JPEG file is truncated (it has no end-of-image marker): copy or scan it again"
                    .into(),
        })
    }
}

/// How many pages a file holds: TIFF files may hold many, other images one. When a TIFF's
/// chain of pages breaks, the error comes with the number of good pages before the break.
pub fn page_count(path: &Path, format: Sniffed) -> Result<u32, (u32, String)> {
    match format {
        Sniffed::Raster(ImageFormat::Tiff) => super::tiff_pages::count_pages(path),
        Sniffed::Pdf => super::pdf_pages::count_pages(path).map_err(|e| (0, e)),
        Sniffed::Raster(_) => Ok(1),
    }
}

/// Decodes one page to 8-bit grey (what every later stage works on: a third of an RGB page's
/// memory, and luminance keeps blue ink dark).
pub fn decode_page(path: &Path, source: &PageSource) -> Result<image::GrayImage, Rejection> {
    let format = match source.format {
        Sniffed::Raster(format) => format,
        Sniffed::Pdf => return super::pdf_pages::decode_page(path, source.page, MAX_SIDE),
    };
    if format == ImageFormat::Tiff {
        return super::tiff_pages::decode_page(path, source.page, MAX_SIDE, MAX_ALLOC as usize);
    }
    if format == ImageFormat::Jpeg {
        check_jpeg_complete(path)?;
        // Anything the direct decoder refuses (CMYK, an odd header) goes the general way,
        // which also words the errors.
        if let Some(img) = decode_jpeg_grey(path) {
            return Ok(img);
        }
    }
    let open = || {
        std::fs::File::open(path).map_err(|e| Rejection::UnreadableFile {
            error: e.to_string(),
        })
    };
    // The header alone says how big the image would be: refuse it before any allocation,
    // naming the size it claims.
    let declared = ImageReader::with_format(BufReader::new(open()?), format)
        .into_dimensions()
        .ok();
    if let Some((w, h)) = declared {
        if w > MAX_SIDE || h > MAX_SIDE || w as u64 * h as u64 > MAX_ALLOC {
            return Err(Rejection::UnreadableFile {
                error: format!(
                    "the image declares {w} × {h} pixels, over the limit of {MAX_SIDE} × {MAX_SIDE} pixels and {} MiB (an A3 page at 600 dpi is 7016 × 9921): not decoded",
                    MAX_ALLOC >> 20
                ),
            });
        }
    }
    let mut reader = ImageReader::with_format(BufReader::new(open()?), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| Rejection::UnreadableFile {
        error: match e {
            image::ImageError::Limits(_) => format!(
                "image larger than {MAX_SIDE} × {MAX_SIDE} pixels or {} MiB",
                MAX_ALLOC >> 20
            ),
            other => other.to_string(),
        },
    })?;
    Ok(img.into_luma8())
}

/// A JPEG decoded straight to its luma channel, within the size limits; None when the
/// direct decoder cannot (then the general decoder tries and says why).
fn decode_jpeg_grey(path: &Path) -> Option<image::GrayImage> {
    use zune_jpeg::zune_core::bytestream::ZCursor;
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;
    let bytes = std::fs::read(path).ok()?;
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_max_width(MAX_SIDE as usize)
        .set_max_height(MAX_SIDE as usize);
    let mut dec = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(&bytes[..]), options);
    dec.decode_headers().ok()?;
    let (w, h) = dec.dimensions()?;
    if w as u64 * h as u64 > MAX_ALLOC {
        return None;
    }
    let pixels = dec.decode().ok()?;
    image::GrayImage::from_raw(w as u32, h as u32, pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn sniffs_content_not_extension() {
        let d = tempfile::tempdir().unwrap();
        let mut png = Vec::new();
        image::GrayImage::new(3, 3)
            .write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let p = write(d.path(), "scan.jpg", &png);
        assert_eq!(sniff(&p).unwrap(), Sniffed::Raster(ImageFormat::Png));
        let t = write(d.path(), "notes.png", b"hello, these are notes\n");
        assert_eq!(sniff(&t).unwrap_err().reason().code(), "unsupported_file");
        let z = write(d.path(), "empty.jpg", b"");
        assert_eq!(sniff(&z).unwrap_err().reason().code(), "unreadable_file");
        let pdf = write(d.path(), "x.jpg", b"%PDF-1.7\n...");
        assert_eq!(sniff(&pdf).unwrap(), Sniffed::Pdf);
    }

    #[test]
    fn truncated_jpeg_is_unreadable_not_half_a_page() {
        let d = tempfile::tempdir().unwrap();
        let mut jpg = Vec::new();
        image::GrayImage::from_fn(64, 64, |x, y| image::Luma([(x * y) as u8]))
            .write_to(&mut std::io::Cursor::new(&mut jpg), ImageFormat::Jpeg)
            .unwrap();
        let whole = write(d.path(), "whole.jpg", &jpg);
        let src = PageSource {
            page: 1,
            format: sniff(&whole).unwrap(),
        };
        assert!(decode_page(&whole, &src).is_ok());
        let cut = write(d.path(), "cut.jpg", &jpg[..jpg.len() * 2 / 3]);
        let err = decode_page(&cut, &src).unwrap_err();
        assert_eq!(err.reason().code(), "unreadable_file");
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[test]
    fn truncated_and_oversized_images_are_unreadable_not_panics() {
        let d = tempfile::tempdir().unwrap();
        let mut png = Vec::new();
        image::GrayImage::new(64, 64)
            .write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let p = write(d.path(), "cut.png", &png[..png.len() / 2]);
        let src = PageSource {
            page: 1,
            format: sniff(&p).unwrap(),
        };
        assert_eq!(
            decode_page(&p, &src).unwrap_err().reason().code(),
            "unreadable_file"
        );

        // A PNG header declaring 60000 × 60000 pixels: refused by the limits, not allocated.
        let mut huge = png.clone();
        huge[16..20].copy_from_slice(&60000u32.to_be_bytes());
        huge[20..24].copy_from_slice(&60000u32.to_be_bytes());
        let h = write(d.path(), "huge.png", &huge);
        let err = decode_page(&h, &src).unwrap_err();
        assert_eq!(err.reason().code(), "unreadable_file");
    }
}
