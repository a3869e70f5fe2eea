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
}

pub struct PdfPage {
    pub image: PdfImage,
    pub dpi: f64,
    /// /Rotate: 0, 90, 180 or 270.
    pub rotate: u16,
}

/// A PDF file holding `pages`, one image each.
pub fn write_pdf(pages: &[PdfPage]) -> anyhow::Result<Vec<u8>> {
    let mut out: Vec<u8> = b"%PDF-1.5\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets: Vec<usize> = Vec::new();
    // Objects: 1 catalog, 2 page tree, then per page: page, content, image.
    let n = pages.len();
    let obj = |out: &mut Vec<u8>, offsets: &mut Vec<usize>, body: &[u8]| {
        offsets.push(out.len());
        let id = offsets.len();
        out.extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    obj(&mut out, &mut offsets, b"<< /Type /Catalog /Pages 2 0 R >>");
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 3 + 3 * i)).collect();
    obj(
        &mut out,
        &mut offsets,
        format!("<< /Type /Pages /Count {n} /Kids [{}] >>", kids.join(" ")).as_bytes(),
    );
    for (i, p) in pages.iter().enumerate() {
        // The page itself is object 3 + 3i (listed in the page tree above).
        let (content_id, image_id) = (4 + 3 * i, 5 + 3 * i);
        let (w, h) = match &p.image {
            PdfImage::Jpeg { width, height, .. } => (*width, *height),
            PdfImage::Gray(g) => (g.width(), g.height()),
            PdfImage::Group4 { width, height, .. } => (*width, *height),
        };
        // Page size in points from the scan's resolution (72 pt per inch).
        let (pw, ph) = (w as f64 * 72.0 / p.dpi, h as f64 * 72.0 / p.dpi);
        obj(
            &mut out,
            &mut offsets,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {pw:.2} {ph:.2}] /Rotate {} /Resources << /XObject << /Im0 {image_id} 0 R >> >> /Contents {content_id} 0 R >>",
                p.rotate
            )
            .as_bytes(),
        );
        let content = format!("q {pw:.2} 0 0 {ph:.2} 0 0 cm /Im0 Do Q");
        obj(
            &mut out,
            &mut offsets,
            format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len()
            )
            .as_bytes(),
        );
        let (dict, data) = match &p.image {
            PdfImage::Jpeg { bytes, components, .. } => {
                let cs = if *components == 1 { "/DeviceGray" } else { "/DeviceRGB" };
                (format!("/ColorSpace {cs} /BitsPerComponent 8 /Filter /DCTDecode"), bytes.clone())
            }
            PdfImage::Gray(g) => {
                let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                z.write_all(g.as_raw()).context("compressing a PDF page")?;
                let data = z.finish().context("compressing a PDF page")?;
                ("/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode".to_string(), data)
            }
            PdfImage::Group4 { data, width, height, black_is_1 } => (
                format!(
                    "/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns {width} /Rows {height} /BlackIs1 {black_is_1} >>"
                ),
                data.clone(),
            ),
        };
        let mut body = format!(
            "<< /Type /XObject /Subtype /Image /Width {w} /Height {h} {dict} /Length {} >>\nstream\n",
            data.len()
        )
        .into_bytes();
        body.extend_from_slice(&data);
        body.extend_from_slice(b"\nendstream");
        obj(&mut out, &mut offsets, &body);
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes(),
    );
    for off in &offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            offsets.len() + 1
        )
        .as_bytes(),
    );
    Ok(out)
}
