//! Multi-page TIFF: office scanners put a whole stack of slips in one file. Pages are
//! counted from the file's chain of image directories without decoding any, and each page is
//! decoded on its own when a worker takes it, so a 300-page TIFF is never held in memory.

use std::io::BufReader;
use std::path::Path;

use image::GrayImage;
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::ColorType;

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

fn luma(p: &[u8]) -> u8 {
    ((p[0] as u32 * 299 + p[1] as u32 * 587 + p[2] as u32 * 114) / 1000) as u8
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
            decode_page(&p, 4, 1000, 1 << 20).unwrap_err().reason(),
            "unreadable_file"
        );
        assert_eq!(
            decode_page(&p, 1, 25, 1 << 20).unwrap_err().reason(),
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
