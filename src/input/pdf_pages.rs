//! Scanner PDFs, in pure Rust (hayro): each page of a scanned PDF is one embedded image
//! (JPEG, Flate, CCITT G3/G4, JBIG2 or JPEG 2000). The page's image is extracted at its native
//! resolution rather than rendering the page, whose declared size says nothing reliable
//! about the scan's resolution, and the page's /Rotate is applied to it.
//!
//! The file is memory-mapped, never read whole, and one page's image is decoded at a time;
//! what a page touched is unmapped after it (see `open` for why that matters).

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::{Advice, Mmap};

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

/// An open PDF: the parsed structure and the memory map it reads from.
struct OpenPdf {
    path: PathBuf,
    map: Arc<Mmap>,
    pdf: Pdf,
}

/// Opens the PDF without reading it: the file is mapped into memory, and only the parts
/// a page needs (the cross-reference table, the page tree, the page's image) are ever
/// touched.
///
/// Memory: the kernel counts mapped file pages in the process's resident size, and it maps
/// whole large folios of the page cache at once (up to 2 MB: ext4 makes them when a file
/// is written in big writes, as scanners and copies do). Opening a 68 MB PDF so touched
/// about 60 small objects but made 52 MB resident. Hence `forget_cached_pages` once per
/// file and random-access advice on the map: pages are then read and mapped 4 kB at a
/// time, and opening the same PDF costs 3 MB (measured with /proc/self/status).
fn open(path: &Path) -> Result<OpenPdf, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let map = Arc::new(crate::sys::map_read_only(&file).map_err(|e| e.to_string())?);
    // Advice only: reading works the same if the kernel ignores it.
    let _ = map.advise(Advice::Random);
    let pdf = Pdf::new(map.clone()).map_err(|e| match e {
        hayro_interpret::hayro_syntax::LoadPdfError::Decryption(_) => {
            "the PDF is encrypted".to_string()
        }
        _ => "the PDF structure cannot be read (damaged or incomplete file)".to_string(),
    })?;
    Ok(OpenPdf {
        path: path.to_path_buf(),
        map,
        pdf,
    })
}

/// Asks the kernel to drop this file's clean pages from its cache, so that they come back
/// as small pages when read (see `open`). Like `dd iflag=nocache`: nothing changes but
/// where the bytes are read from; a page mapped elsewhere stays.
fn forget_cached_pages(path: &Path) {
    if let Ok(file) = std::fs::File::open(path) {
        crate::sys::forget_cached_pages(&file);
    }
}

thread_local! {
    /// The PDF this worker read its last page from: pages of one file usually come to a
    /// worker in a row, and opening a 300-page PDF walks its whole page tree.
    static CURRENT: RefCell<Option<OpenPdf>> = const { RefCell::new(None) };
}

/// Runs `f` on the open PDF at `path` (opened now unless this worker has it open), then
/// unmaps what the page touched: the worker's resident memory goes back to nothing
/// between pages, whatever the file's size.
fn with_pdf<R>(path: &Path, f: impl FnOnce(&Pdf) -> R) -> Result<R, String> {
    CURRENT.with(|cell| {
        let mut current = cell.borrow_mut();
        if current.as_ref().is_none_or(|o| o.path != path) {
            *current = None;
            *current = Some(open(path)?);
        }
        let open = current.as_ref().ok_or("the PDF was just opened")?;
        let r = f(&open.pdf);
        // Advice only, as above: dropped pages come back from the file when touched.
        let _ = crate::sys::forget_mapped_pages(&open.map);
        Ok(r)
    })
}

/// How many pages the PDF holds.
pub fn count_pages(path: &Path) -> Result<u32, String> {
    forget_cached_pages(path);
    let n = with_pdf(path, |pdf| pdf.pages().len() as u32)?;
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
    let extracted = with_pdf(path, |pdf| {
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
        Ok((img, p.rotation()))
    });
    let (img, rotation) = extracted.map_err(bad)??;
    // /Rotate turns the page clockwise for display; the image inside is stored unturned.
    Ok(match rotation {
        Rotation::None => img,
        Rotation::Horizontal => image::imageops::rotate90(&img),
        Rotation::Flipped => image::imageops::rotate180(&img),
        Rotation::FlippedHorizontal => image::imageops::rotate270(&img),
    })
}
