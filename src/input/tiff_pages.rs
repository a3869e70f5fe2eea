//! Multi-page TIFF: office scanners put a whole stack of slips in one file. Pages are
//! counted from the file's chain of image directories without decoding any, and each page is
//! decoded on its own when a worker takes it, so a 300-page TIFF is never held in memory.

use std::io::BufReader;
use std::path::Path;

use image::GrayImage;
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;
use tiff::ColorType;

use super::luma;
use crate::outcome::Rejection;

fn open(path: &Path, max_alloc: usize) -> Result<Decoder<BufReader<std::fs::File>>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut limits = Limits::default();
    limits.decoding_buffer_size = max_alloc;
    limits.intermediate_buffer_size = max_alloc;
    Decoder::new(BufReader::new(file))
        .map(|d| d.with_limits(limits))
        .map_err(|e| e.to_string())
}

/// How many pages the file holds. When the chain of pages breaks after `n` good ones, the
/// error comes with `n`, so that the good pages are still read and the break reported.
pub fn count_pages(path: &Path) -> Result<u32, (u32, String)> {
    let mut dec = open(path, 1 << 20).map_err(|e| (0, e))?;
    let mut n = 1;
    while dec.more_images() {
        dec.next_image().map_err(|e| (n, e.to_string()))?;
        n += 1;
    }
    Ok(n)
}

/// Decodes page `page` (from 1) to 8-bit grey.
pub fn decode_page(
    path: &Path,
    page: u32,
    max_side: u32,
    max_alloc: usize,
) -> Result<GrayImage, Rejection> {
    let bad = |e: String| Rejection::UnreadableFile {
        error: format!("TIFF page {page}: {e}"),
    };
    let mut dec = open(path, max_alloc).map_err(bad)?;
    dec.seek_to_image(page.saturating_sub(1) as usize)
        .map_err(|e| bad(e.to_string()))?;
    let (w, h) = dec.dimensions().map_err(|e| bad(e.to_string()))?;
    if w == 0 || h == 0 || w > max_side || h > max_side {
        return Err(bad(format!(
            "{w} × {h} pixels is outside the accepted 1..{max_side}"
        )));
    }
    let compression: u32 = dec
        .find_tag_unsigned(Tag::Compression)
        .ok()
        .flatten()
        .unwrap_or(1);
    if compression == 2 || compression == 3 {
        let grey = decode_group3(&mut dec, path, w, h, compression).map_err(bad)?;
        return GrayImage::from_raw(w, h, grey).ok_or_else(|| bad("inconsistent page size".into()));
    }
    let colour = dec.colortype().map_err(|e| bad(e.to_string()))?;
    let data = dec.read_image().map_err(|e| bad(e.to_string()))?;
    let n = w as usize * h as usize;
    let grey: Vec<u8> = match (colour, data) {
        (ColorType::Gray(8), DecodingResult::U8(v)) => v,
        (ColorType::Gray(16), DecodingResult::U16(v)) => v.iter().map(|x| (x >> 8) as u8).collect(),
        (ColorType::GrayA(8), DecodingResult::U8(v)) => v.chunks_exact(2).map(|p| p[0]).collect(),
        (ColorType::RGB(8), DecodingResult::U8(v)) => v.chunks_exact(3).map(luma).collect(),
        (ColorType::RGBA(8), DecodingResult::U8(v)) => v.chunks_exact(4).map(luma).collect(),
        (ColorType::Gray(1), DecodingResult::U8(v)) => {
            // Bilevel (fax) pages: rows padded to whole bytes, 1 = white once the decoder has
            // applied the photometric interpretation.
            let stride = (w as usize).div_ceil(8);
            (0..n)
                .map(|i| {
                    let (x, y) = (i % w as usize, i / w as usize);
                    let byte = v.get(y * stride + x / 8).copied().unwrap_or(0xFF);
                    if byte & (0x80 >> (x % 8)) != 0 {
                        255
                    } else {
                        0
                    }
                })
                .collect()
        }
        (other, _) => {
            return Err(bad(format!(
                "{other:?} pixels are not supported; scan in greyscale or colour"
            )))
        }
    };
    if grey.len() != n {
        return Err(bad("the page holds fewer pixels than it declares".into()));
    }
    GrayImage::from_raw(w, h, grey).ok_or_else(|| bad("inconsistent page size".into()))
}

/// Group 3 fax pages (TIFF compression 2, CCITT modified Huffman, and 3, T.4), which the
/// `tiff` crate refuses: each strip is decoded with hayro-ccitt, white runs to 255 and black
/// runs to 0.
fn decode_group3(
    dec: &mut Decoder<BufReader<std::fs::File>>,
    path: &Path,
    w: u32,
    h: u32,
    compression: u32,
) -> Result<Vec<u8>, String> {
    use hayro_ccitt::{DecodeSettings, DecoderContext, EncodingMode};
    // T4Options (tag 292): bit 0 two-dimensional coding, bit 2 rows padded to whole bytes.
    let t4: u32 = dec
        .find_tag_unsigned(Tag::Unknown(292))
        .ok()
        .flatten()
        .unwrap_or(0);
    let offsets = dec
        .get_tag_u64_vec(Tag::StripOffsets)
        .map_err(|e| e.to_string())?;
    let counts = dec
        .get_tag_u64_vec(Tag::StripByteCounts)
        .map_err(|e| e.to_string())?;
    let rows_per_strip: u32 = dec
        .find_tag_unsigned(Tag::RowsPerStrip)
        .ok()
        .flatten()
        .unwrap_or(h)
        .max(1);
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;

    struct Rows {
        width: usize,
        out: Vec<u8>,
        limit: usize,
    }
    impl hayro_ccitt::Decoder for Rows {
        fn push_row(&mut self, changes: &[u32]) {
            if self.out.len() >= self.limit {
                return;
            }
            let mut row = vec![255u8; self.width];
            for pair in changes.chunks(2) {
                let start = (pair[0] as usize).min(self.width);
                let end = pair
                    .get(1)
                    .map_or(self.width, |e| (*e as usize).min(self.width));
                row[start..end.max(start)].fill(0);
            }
            self.out.extend_from_slice(&row);
        }
    }
    let limit = w as usize * h as usize;
    let mut rows = Rows {
        width: w as usize,
        out: Vec::with_capacity(limit),
        limit,
    };
    for (i, (&off, &len)) in offsets.iter().zip(&counts).enumerate() {
        let strip = bytes
            .get(off as usize..(off as usize).saturating_add(len as usize))
            .ok_or("a strip lies outside the file (truncated?)")?;
        let strip_rows = rows_per_strip.min(h.saturating_sub(i as u32 * rows_per_strip));
        let settings = DecodeSettings {
            columns: w,
            rows: strip_rows,
            end_of_block: false,
            end_of_line: compression == 3,
            rows_are_byte_aligned: compression == 2 || t4 & 4 != 0,
            encoding: if compression == 3 && t4 & 1 != 0 {
                EncodingMode::Group3_2D
            } else {
                EncodingMode::Group3_1D
            },
            strict: false,
        };
        let before = rows.out.len();
        // A damaged strip keeps the rows decoded before the damage; the rest stays white.
        let _ = hayro_ccitt::decode(strip, &mut rows, &mut DecoderContext::new(settings));
        let want = before + strip_rows as usize * w as usize;
        if rows.out.len() < want {
            rows.out.resize(want.min(limit), 255);
        }
    }
    rows.out.resize(limit, 255);
    Ok(rows.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiff::encoder::{colortype, TiffEncoder};

    fn write_tiff(path: &Path, pages: &[(u32, u32, u8)]) {
        let file = std::fs::File::create(path).unwrap();
        let mut enc = TiffEncoder::new(file).unwrap();
        for &(w, h, v) in pages {
            let data: Vec<u8> = (0..w * h).map(|i| v.wrapping_add((i % 7) as u8)).collect();
            enc.write_image::<colortype::Gray8>(w, h, &data).unwrap();
        }
    }

    #[test]
    fn counts_and_decodes_every_page() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("stack.tif");
        write_tiff(&p, &[(30, 20, 10), (40, 10, 100), (5, 5, 200)]);
        assert_eq!(count_pages(&p).unwrap(), 3);
        let second = decode_page(&p, 2, 1000, 1 << 20).unwrap();
        assert_eq!(second.dimensions(), (40, 10));
        assert_eq!(second.get_pixel(0, 0).0[0], 100);
        assert_eq!(
            decode_page(&p, 4, 1000, 1 << 20)
                .unwrap_err()
                .reason()
                .code(),
            "unreadable_file"
        );
        assert_eq!(
            decode_page(&p, 1, 25, 1 << 20).unwrap_err().reason().code(),
            "unreadable_file"
        );
    }

    #[test]
    fn a_cut_file_keeps_its_good_pages() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("stack.tif");
        write_tiff(&p, &[(30, 20, 10), (40, 10, 100)]);
        let bytes = std::fs::read(&p).unwrap();
        let cut = d.path().join("cut.tif");
        std::fs::write(&cut, &bytes[..bytes.len() - 40]).unwrap();
        match count_pages(&cut) {
            Ok(n) => assert!(n >= 1),
            Err((n, _)) => assert!(n >= 1),
        }
    }
}
