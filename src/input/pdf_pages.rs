//! Scanner PDFs, in pure Rust (hayro): each page of a scanned PDF is one embedded image
//! (JPEG, Flate, CCITT G3/G4, JBIG2 or JPEG 2000). The page's image is extracted at its native
//! resolution rather than rendering the page, whose declared size says nothing reliable
//! about the scan's resolution, and the page's /Rotate is applied to it.
//!
//! The file is memory-mapped, never read whole, and one page's image is decoded at a time.

use std::path::Path;
use std::sync::Arc;

use hayro_interpret::font::GlyphRun;
use hayro_interpret::hayro_syntax::page::Rotation;
use hayro_interpret::hayro_syntax::Pdf;
use hayro_interpret::kurbo::{Affine, BezPath, Rect};
use hayro_interpret::{
    BlendMode, ClipPath, Context, Device, DrawMode, DrawProps, Image, ImageData, ImageDrawProps,
    InterpreterCache, InterpreterSettings, SoftMask,
};
use image::GrayImage;

use crate::outcome::Rejection;

/// Opens the PDF without reading it: the file is mapped into memory, and only the parts
/// a page needs (the cross-reference table, the page's objects, its image) are ever read
/// from disk. Each page opens the file anew and unmaps it when done, so what stays resident
/// is one page's worth, whatever the size of the file.
fn open(path: &Path) -> Result<Pdf, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    // SAFETY: the map is read-only and dropped after one page. If another program truncated
    // the scan while it is being read, the process would get SIGBUS: scans are not edited
    // in place while urnscan reads them.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| e.to_string())?;
    Pdf::new(Arc::new(map)).map_err(|e| match e {
        hayro_interpret::hayro_syntax::LoadPdfError::Decryption(_) => {
            "the PDF is encrypted".to_string()
        }
        _ => "the PDF structure cannot be read (damaged or incomplete file)".to_string(),
    })
}

/// How many pages the PDF holds.
pub fn count_pages(path: &Path) -> Result<u32, String> {
    let n = open(path)?.pages().len() as u32;
    if n == 0 {
        return Err("the PDF has no pages".into());
    }
    Ok(n)
}

/// Collects the largest image drawn on a page (a scan is one full-page image; a logo or a
/// stamp beside it is smaller), as grey.
#[derive(Default)]
struct LargestImage {
    best: Option<GrayImage>,
    error: Option<String>,
    max_side: u32,
}

impl LargestImage {
    fn offer(&mut self, img: GrayImage) {
        let area = |i: &GrayImage| i.width() as u64 * i.height() as u64;
        if self.best.as_ref().is_none_or(|b| area(&img) > area(b)) {
            self.best = Some(img);
        }
    }
}

fn luma_of(data: ImageData) -> Option<GrayImage> {
    match data {
        ImageData::Luma(l) => GrayImage::from_raw(l.width, l.height, l.data),
        ImageData::Rgb(c) => {
            let grey = c.data.chunks_exact(3).map(super::luma).collect();
            GrayImage::from_raw(c.width, c.height, grey)
        }
    }
}

impl<'a> Device<'a> for LargestImage {
    fn draw_path(&mut self, _: &BezPath, _: DrawProps<'a>, _: &DrawMode) {}
    fn push_clip_path(&mut self, _: &ClipPath) {}
    fn push_transparency_group(&mut self, _: f32, _: Option<SoftMask<'a>>, _: BlendMode) {}
    fn draw_glyph_run(&mut self, _: &GlyphRun<'_, 'a>, _: DrawProps<'a>, _: &DrawMode) {}
    fn pop_clip(&mut self) {}
    fn pop_transparency_group(&mut self) {}

    fn draw_image(&mut self, image: Image<'a, '_>, _: ImageDrawProps<'a>) {
        let (w, h) = (image.width(), image.height());
        if w > self.max_side || h > self.max_side {
            self.error = Some(format!(
                "an image of {w} × {h} pixels is larger than the accepted {0} × {0}",
                self.max_side
            ));
            return;
        }
        match image {
            Image::Raster(r) => r.with_rgba(
                |data, _alpha| {
                    if let Some(g) = luma_of(data) {
                        self.offer(g);
                    }
                },
                None,
            ),
            // A 1-bit scan stored as an image mask: ink where the mask is set.
            Image::Stencil(s) => s.with_stencil(
                |mask, _paint| {
                    let inverted = mask.data.iter().map(|v| 255 - v).collect();
                    if let Some(g) = GrayImage::from_raw(mask.width, mask.height, inverted) {
                        self.offer(g);
                    }
                },
                None,
            ),
        }
    }
}

/// Extracts page `page` (from 1) as an upright grey image.
pub fn decode_page(path: &Path, page: u32, max_side: u32) -> Result<GrayImage, Rejection> {
    let bad = |e: String| Rejection::UnreadableFile {
        error: format!("PDF page {page}: {e}"),
    };
    let pdf = open(path).map_err(bad)?;
    let pages = pdf.pages();
    let p = pages
        .get(page.saturating_sub(1) as usize)
        .ok_or_else(|| bad("no such page".into()))?;
    let cache = InterpreterCache::new();
    let mut ctx = Context::new(
        Affine::IDENTITY,
        Rect::new(0.0, 0.0, 1.0, 1.0),
        &cache,
        pdf.xref(),
        InterpreterSettings::default(),
    );
    let mut device = LargestImage {
        max_side,
        ..Default::default()
    };
    hayro_interpret::interpret_page(p, &mut ctx, &mut device);
    if let Some(e) = device.error {
        return Err(bad(e));
    }
    let img = device.best.ok_or_else(|| Rejection::UnsupportedFile {
        what: format!("PDF page {page} holds no scanned image (a typed document?)"),
    })?;
    // /Rotate turns the page clockwise for display; the image inside is stored unturned.
    Ok(match p.rotation() {
        Rotation::None => img,
        Rotation::Horizontal => image::imageops::rotate90(&img),
        Rotation::Flipped => image::imageops::rotate180(&img),
        Rotation::FlippedHorizontal => image::imageops::rotate270(&img),
    })
}
