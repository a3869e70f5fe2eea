//! Writing scanner-style PDFs: one page per scanned image, the image stored as the scanner
//! stores it (JPEG bytes as they are, or Flate-compressed grey pixels), the page sized from
//! the scan's resolution and optionally carrying a /Rotate. For test sets; the reader never
//! writes PDF.

use std::io::Write;

use anyhow::Context;

/// The image of one page.
pub enum PdfImage {
    /// A JPEG file's bytes, embedded unchanged (DCTDecode). `components` is 1 or 3.
    Jpeg {
        bytes: Vec<u8>,
        width: u32,
        height: u32,
        components: u8,
    },
    /// 8-bit grey pixels, Flate-compressed.
    Gray(image::GrayImage),
    /// A bilevel page already compressed with CCITT Group 4 (as fax-mode scanners do), e.g.
    /// the single strip of a Group 4 TIFF; `black_is_1` as that TIFF's photometric says.
    Group4 {
        data: Vec<u8>,
        width: u32,
        height: u32,
        black_is_1: bool,
    },
    /// A bilevel page, rows packed 8 pixels a byte (1 = white, 0 = black), Flate-compressed
    /// (`PdfImage::flate_bilevel`): a halftone's periodic dot pattern costs Flate almost
    /// nothing where it costs Group 4 a code per dot.
    Bilevel {
        data: Vec<u8>,
        width: u32,
        height: u32,
    },
}

impl PdfImage {
    /// A bilevel page compressed with CCITT Group 4: pixels of `bilevel` under 128 are
    /// black, the others white. Group 4 is what fax machines and printers' own bilevel
    /// pages use; a printed form is a few hundred bytes of runs per line.
    pub fn group4(bilevel: &image::GrayImage) -> anyhow::Result<PdfImage> {
        let (width, height) = bilevel.dimensions();
        let columns = u16::try_from(width)
            .map_err(|_| anyhow::anyhow!("a page {width} pixels wide is too wide for Group 4"))?;
        let mut enc = fax::encoder::Encoder::new(fax::VecWriter::new());
        for row in bilevel.rows() {
            let pels = row.map(|p| {
                if p.0[0] < 128 {
                    fax::Color::Black
                } else {
                    fax::Color::White
                }
            });
            // VecWriter cannot fail (its error type is Infallible).
            let Ok(()) = enc.encode_line(pels, columns);
        }
        let Ok(writer) = enc.finish();
        Ok(PdfImage::Group4 {
            data: writer.finish(),
            width,
            height,
            black_is_1: false,
        })
    }
}

impl PdfImage {
    /// A bilevel page, Flate-compressed: pixels of `bilevel` under 128 are black.
    pub fn flate_bilevel(bilevel: &image::GrayImage) -> anyhow::Result<PdfImage> {
        let (width, height) = bilevel.dimensions();
        let row_bytes = width.div_ceil(8) as usize;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        let mut packed = vec![0u8; row_bytes];
        for row in bilevel.rows() {
            packed.fill(0);
            for (x, p) in row.enumerate() {
                if p.0[0] >= 128 {
                    packed[x / 8] |= 0x80 >> (x % 8);
                }
            }
            z.write_all(&packed).context("compressing a PDF page")?;
        }
        Ok(PdfImage::Bilevel {
            data: z.finish().context("compressing a PDF page")?,
            width,
            height,
        })
    }

    /// A bilevel page in whichever of Group 4 and Flate stores it in fewer bytes: Group 4
    /// for plain print (text, lines, QR code), Flate once halftoned greys are on the page.
    pub fn smallest_bilevel(bilevel: &image::GrayImage) -> anyhow::Result<PdfImage> {
        let (g4, flate) = (Self::group4(bilevel)?, Self::flate_bilevel(bilevel)?);
        Ok(if flate.stored_len() < g4.stored_len() {
            flate
        } else {
            g4
        })
    }

    /// Bytes of the image's stream.
    pub fn stored_len(&self) -> usize {
        match self {
            PdfImage::Jpeg { bytes, .. } => bytes.len(),
            PdfImage::Gray(g) => g.as_raw().len(),
            PdfImage::Group4 { data, .. } | PdfImage::Bilevel { data, .. } => data.len(),
        }
    }
}

pub struct PdfPage {
    pub image: PdfImage,
    pub dpi: f64,
    /// /Rotate: 0, 90, 180 or 270.
    pub rotate: u16,
}

/// A PDF file holding `pages`, one image each.
pub fn write_pdf(pages: &[PdfPage]) -> anyhow::Result<Vec<u8>> {
    let mut w = PdfWriter::new(Vec::new(), pages.len())?;
    for p in pages {
        w.add_page(p)?;
    }
    w.finish()
}

/// Writes a PDF page by page to `out`, so that a long print run never holds more than one
/// page in memory: the page count is known up front (the page tree lists the page objects
/// by number), and the page tree and cross-reference table are written by `finish`.
pub struct PdfWriter<W: Write> {
    out: W,
    /// Bytes written so far (the next object's offset).
    pos: usize,
    /// Byte offset of each object, by object number - 1.
    offsets: Vec<Option<usize>>,
    expected: usize,
    added: usize,
}

// Objects: 1 catalog, 2 page tree, then per page i: 3 + 3i page, 4 + 3i content, 5 + 3i image.
const CATALOG: usize = 1;
const PAGE_TREE: usize = 2;

impl<W: Write> PdfWriter<W> {
    /// Starts a PDF of exactly `pages` pages on `out`.
    pub fn new(out: W, pages: usize) -> anyhow::Result<Self> {
        let mut w = PdfWriter {
            out,
            pos: 0,
            offsets: vec![None; 2 + 3 * pages],
            expected: pages,
            added: 0,
        };
        w.raw(b"%PDF-1.5\n%\xE2\xE3\xCF\xD3\n")?;
        w.obj(CATALOG, b"<< /Type /Catalog /Pages 2 0 R >>")?;
        Ok(w)
    }

    fn raw(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.out.write_all(bytes).context("writing the PDF")?;
        self.pos += bytes.len();
        Ok(())
    }

    fn obj(&mut self, id: usize, body: &[u8]) -> anyhow::Result<()> {
        self.offsets[id - 1] = Some(self.pos);
        self.raw(format!("{id} 0 obj\n").as_bytes())?;
        self.raw(body)?;
        self.raw(b"\nendobj\n")
    }

    /// Appends the next page, sized from its image's pixels and resolution (a scan).
    pub fn add_page(&mut self, p: &PdfPage) -> anyhow::Result<()> {
        self.add_page_sized(p, None)
    }

    /// Appends the next page; `size_pt` (width, height in points) when the page has an exact
    /// size of its own (a printed form: its millimetres × 72 / 25.4), the image stretched to
    /// it, else the size its image's pixels make at its resolution.
    pub fn add_page_sized(
        &mut self,
        p: &PdfPage,
        size_pt: Option<(f64, f64)>,
    ) -> anyhow::Result<()> {
        if self.added == self.expected {
            anyhow::bail!(
                "PDF writer: more pages than the {} announced",
                self.expected
            );
        }
        let i = self.added;
        let (page_id, content_id, image_id) = (3 + 3 * i, 4 + 3 * i, 5 + 3 * i);
        let (w, h) = match &p.image {
            PdfImage::Jpeg { width, height, .. } => (*width, *height),
            PdfImage::Gray(g) => (g.width(), g.height()),
            PdfImage::Group4 { width, height, .. } => (*width, *height),
            PdfImage::Bilevel { width, height, .. } => (*width, *height),
        };
        // Page size in points from the scan's resolution (72 pt per inch).
        let (pw, ph) = size_pt.unwrap_or((w as f64 * 72.0 / p.dpi, h as f64 * 72.0 / p.dpi));
        self.obj(
            page_id,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {pw:.2} {ph:.2}] /Rotate {} /Resources << /XObject << /Im0 {image_id} 0 R >> >> /Contents {content_id} 0 R >>",
                p.rotate
            )
            .as_bytes(),
        )?;
        let content = format!("q {pw:.2} 0 0 {ph:.2} 0 0 cm /Im0 Do Q");
        self.obj(
            content_id,
            format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len()
            )
            .as_bytes(),
        )?;
        let compressed;
        let (dict, data): (String, &[u8]) = match &p.image {
            PdfImage::Jpeg { bytes, components, .. } => {
                let cs = if *components == 1 { "/DeviceGray" } else { "/DeviceRGB" };
                (format!("/ColorSpace {cs} /BitsPerComponent 8 /Filter /DCTDecode"), bytes)
            }
            PdfImage::Gray(g) => {
                let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                z.write_all(g.as_raw()).context("compressing a PDF page")?;
                compressed = z.finish().context("compressing a PDF page")?;
                ("/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode".to_string(), &compressed)
            }
            PdfImage::Group4 { data, width, height, black_is_1 } => (
                format!(
                    "/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns {width} /Rows {height} /BlackIs1 {black_is_1} >>"
                ),
                data,
            ),
            PdfImage::Bilevel { data, .. } => (
                "/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /FlateDecode".to_string(),
                data,
            ),
        };
        let mut body = format!(
            "<< /Type /XObject /Subtype /Image /Width {w} /Height {h} {dict} /Length {} >>\nstream\n",
            data.len()
        )
        .into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.obj(image_id, &body)?;
        self.added += 1;
        Ok(())
    }

    /// Writes the page tree and the cross-reference table; returns the writer.
    pub fn finish(mut self) -> anyhow::Result<W> {
        if self.added != self.expected {
            anyhow::bail!(
                "PDF writer: {} page(s) added, {} announced",
                self.added,
                self.expected
            );
        }
        let kids: Vec<String> = (0..self.added)
            .map(|i| format!("{} 0 R", 3 + 3 * i))
            .collect();
        self.obj(
            PAGE_TREE,
            format!(
                "<< /Type /Pages /Count {} /Kids [{}] >>",
                self.added,
                kids.join(" ")
            )
            .as_bytes(),
        )?;
        let xref = self.pos;
        let n = self.offsets.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", n + 1);
        for off in &self.offsets {
            // Every object was written: new() wrote the catalog, add_page three per page and
            // the page tree just above.
            table.push_str(&format!("{:010} 00000 n \n", off.unwrap_or(0)));
        }
        table.push_str(&format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            n + 1
        ));
        self.raw(table.as_bytes())?;
        self.out.flush().context("writing the PDF")?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bilevel test page: a black frame, a diagonal and a sparse dot pattern.
    fn bilevel_page() -> image::GrayImage {
        image::GrayImage::from_fn(203, 97, |x, y| {
            let black = x < 3 || y < 2 || x == y || (x % 5 == 0 && y % 4 == 1);
            image::Luma([if black { 0 } else { 255 }])
        })
    }

    /// Page 1 of `bytes` as urnscan's PDF reader extracts it.
    fn read_back(bytes: &[u8]) -> image::GrayImage {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.pdf");
        std::fs::write(&path, bytes).unwrap();
        let format = crate::input::sniff(&path).unwrap();
        crate::input::decode_page(&path, &crate::input::PageSource { page: 1, format }).unwrap()
    }

    #[test]
    fn group4_and_flate_bilevel_pages_read_back_pixel_for_pixel() {
        let page = bilevel_page();
        for image in [
            PdfImage::group4(&page).unwrap(),
            PdfImage::flate_bilevel(&page).unwrap(),
        ] {
            let bytes = write_pdf(&[PdfPage {
                image,
                dpi: 300.0,
                rotate: 0,
            }])
            .unwrap();
            assert_eq!(read_back(&bytes), page);
        }
    }

    #[test]
    fn the_writer_streams_what_write_pdf_writes_and_counts_its_pages() {
        let page = || PdfPage {
            image: PdfImage::flate_bilevel(&bilevel_page()).unwrap(),
            dpi: 300.0,
            rotate: 0,
        };
        let mut w = PdfWriter::new(Vec::new(), 2).unwrap();
        w.add_page(&page()).unwrap();
        w.add_page(&page()).unwrap();
        assert!(w.add_page(&page()).is_err(), "a third page of two");
        assert_eq!(w.finish().unwrap(), write_pdf(&[page(), page()]).unwrap());
        let mut short = PdfWriter::new(Vec::new(), 2).unwrap();
        short.add_page(&page()).unwrap();
        assert!(short.finish().is_err(), "one page of two");
        let mut sized = PdfWriter::new(Vec::new(), 1).unwrap();
        sized
            .add_page_sized(&page(), Some((419.527, 595.276)))
            .unwrap();
        let text = String::from_utf8_lossy(&sized.finish().unwrap()).into_owned();
        assert!(text.contains("/MediaBox [0 0 419.53 595.28]"), "{text}");
    }
}
