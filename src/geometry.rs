//! Page geometry: the map from form millimetres to image pixels (affine or projective,
//! fitted by least squares to matched points), and resampling an image through such a map.
//! Used by registration (locate), zone cropping (read) and the drawing of test scans (render).

use image::{ImageBuffer, Pixel};

/// A projective map of the plane, `(x, y) -> ((a x + b y + c) / w, (d x + e y + f) / w)` with
/// `w = g x + h y + 1`. An affine map is the special case `g = h = 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Homography {
    pub m: [f64; 9],
}

/// A point and where it should go: (from, to).
pub type PointPair = ((f64, f64), (f64, f64));

/// How many degrees of freedom a fit may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// 6 parameters: rotation, scale, shear, translation (3 points or more).
    Affine,
    /// 8 parameters: also perspective (4 points or more).
    Projective,
}

impl Homography {
    pub const IDENTITY: Homography = Homography {
        m: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
    };

    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let m = &self.m;
        let w = m[6] * x + m[7] * y + m[8];
        (
            (m[0] * x + m[1] * y + m[2]) / w,
            (m[3] * x + m[4] * y + m[5]) / w,
        )
    }

    /// Scale and rotation at a point: the image of a unit step along x from (x, y).
    pub fn x_axis_at(&self, x: f64, y: f64) -> (f64, f64) {
        let (x0, y0) = self.apply(x, y);
        let (x1, y1) = self.apply(x + 1.0, y);
        (x1 - x0, y1 - y0)
    }

    /// Similarity map: scale `s`, rotation `angle` (radians, clockwise on screen), then translation.
    pub fn similarity(s: f64, angle: f64, tx: f64, ty: f64) -> Homography {
        let (sin, cos) = angle.sin_cos();
        Homography {
            m: [s * cos, -s * sin, tx, s * sin, s * cos, ty, 0.0, 0.0, 1.0],
        }
    }

    /// `self` after `first`: the map x -> self(first(x)).
    pub fn compose(&self, first: &Homography) -> Homography {
        let a = &self.m;
        let b = &first.m;
        let mut m = [0.0; 9];
        for r in 0..3 {
            for c in 0..3 {
                m[r * 3 + c] = (0..3).map(|k| a[r * 3 + k] * b[k * 3 + c]).sum();
            }
        }
        let s = m[8];
        Homography {
            m: m.map(|v| v / s),
        }
    }

    pub fn inverse(&self) -> Option<Homography> {
        let m = &self.m;
        let c = [
            m[4] * m[8] - m[5] * m[7],
            m[2] * m[7] - m[1] * m[8],
            m[1] * m[5] - m[2] * m[4],
            m[5] * m[6] - m[3] * m[8],
            m[0] * m[8] - m[2] * m[6],
            m[2] * m[3] - m[0] * m[5],
            m[3] * m[7] - m[4] * m[6],
            m[1] * m[6] - m[0] * m[7],
            m[0] * m[4] - m[1] * m[3],
        ];
        let det = m[0] * c[0] + m[1] * c[3] + m[2] * c[6];
        if det.abs() < 1e-12 || c[8].abs() < 1e-12 {
            return None;
        }
        let s = c[8];
        Some(Homography {
            m: c.map(|v| v / s),
        })
    }

    /// Least-squares fit of the map sending each `from` point to its `to` point. The points
    /// are normalised first (Hartley) so that millimetres and thousands of pixels do not
    /// make the normal equations ill-conditioned. Returns None for too few or degenerate
    /// points.
    pub fn fit(pairs: &[PointPair], model: Model) -> Option<Homography> {
        let need = match model {
            Model::Affine => 3,
            Model::Projective => 4,
        };
        if pairs.len() < need {
            return None;
        }
        let from: Vec<(f64, f64)> = pairs.iter().map(|p| p.0).collect();
        let to: Vec<(f64, f64)> = pairs.iter().map(|p| p.1).collect();
        let nf = normaliser(&from)?;
        let nt = normaliser(&to)?;
        let n = match model {
            Model::Affine => 6,
            Model::Projective => 8,
        };
        // Normal equations A^T A p = A^T b, two rows per pair.
        let mut ata = vec![0.0; n * n];
        let mut atb = vec![0.0; n];
        for (&f, &t) in from.iter().zip(&to) {
            let (x, y) = nf.apply(f.0, f.1);
            let (u, v) = nt.apply(t.0, t.1);
            let rows: [(Vec<f64>, f64); 2] = match model {
                Model::Affine => [
                    (vec![x, y, 1.0, 0.0, 0.0, 0.0], u),
                    (vec![0.0, 0.0, 0.0, x, y, 1.0], v),
                ],
                Model::Projective => [
                    (vec![x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y], u),
                    (vec![0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y], v),
                ],
            };
            for (row, rhs) in rows.iter() {
                for i in 0..n {
                    atb[i] += row[i] * rhs;
                    for j in 0..n {
                        ata[i * n + j] += row[i] * row[j];
                    }
                }
            }
        }
        let p = solve(&mut ata, &mut atb, n)?;
        let h = match model {
            Model::Affine => Homography {
                m: [p[0], p[1], p[2], p[3], p[4], p[5], 0.0, 0.0, 1.0],
            },
            Model::Projective => Homography {
                m: [p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], 1.0],
            },
        };
        // Undo the normalisations: H = Nt^-1 * Hn * Nf.
        Some(nt.inverse()?.compose(&h.compose(&nf)))
    }
}

/// Similarity that moves the centroid of `pts` to the origin and their mean distance to √2.
fn normaliser(pts: &[(f64, f64)]) -> Option<Homography> {
    let n = pts.len() as f64;
    let cx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let cy = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let d = pts
        .iter()
        .map(|p| ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt())
        .sum::<f64>()
        / n;
    if !(d.is_finite() && d > 1e-9) {
        return None;
    }
    let s = std::f64::consts::SQRT_2 / d;
    Some(Homography {
        m: [s, 0.0, -s * cx, 0.0, s, -s * cy, 0.0, 0.0, 1.0],
    })
}

/// Gaussian elimination with partial pivoting on an n×n system (row-major `a`).
pub(crate) fn solve(a: &mut [f64], b: &mut [f64], n: usize) -> Option<Vec<f64>> {
    for col in 0..n {
        let piv =
            (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))?;
        if a[piv * n + col].abs() < 1e-12 {
            return None;
        }
        if piv != col {
            for k in 0..n {
                a.swap(piv * n + k, col * n + k);
            }
            b.swap(piv, col);
        }
        for r in col + 1..n {
            let f = a[r * n + col] / a[col * n + col];
            for k in col..n {
                a[r * n + k] -= f * a[col * n + k];
            }
            b[r] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r * n + k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r * n + r];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Resamples `src` into a `w × h` image: output pixel centre (x + 0.5, y + 0.5) is taken from
/// source position `at(x + 0.5, y + 0.5)` (pixel-centre coordinates, bilinear). Positions
/// outside the source read as `fill` (white paper, for scans).
pub fn resample<P, F>(
    src: &ImageBuffer<P, Vec<u8>>,
    w: u32,
    h: u32,
    fill: P,
    at: F,
) -> ImageBuffer<P, Vec<u8>>
where
    P: Pixel<Subpixel = u8>,
    F: Fn(f64, f64) -> (f64, f64),
{
    let (sw, sh) = (src.width() as i64, src.height() as i64);
    let nc = P::CHANNEL_COUNT as usize;
    let raw = src.as_raw();
    let fill = fill.channels().to_vec();
    let mut out = ImageBuffer::<P, Vec<u8>>::new(w, h);
    let stride = sw as usize * nc;
    // This loop runs for every pixel of every zone crop (2 million for an A5 answer box):
    // no libm calls (floor and round by truncation of non-negative values) and no bounds
    // tests for the four neighbours of an interior position.
    let blend = |a: f64, b: f64, c: f64, d: f64, ax: f64, ay: f64| -> u8 {
        let top = a + (b - a) * ax;
        let bot = c + (d - c) * ax;
        (top + (bot - top) * ay + 0.5).clamp(0.0, 255.0) as u8
    };
    for (y, row) in out.as_mut().chunks_exact_mut(w as usize * nc).enumerate() {
        for x in 0..w as usize {
            let (sx, sy) = at(x as f64 + 0.5, y as f64 + 0.5);
            let (fx, fy) = (sx - 0.5, sy - 0.5);
            let dst = &mut row[x * nc..x * nc + nc];
            if !(fx.is_finite() && fy.is_finite())
                || fx < -1.0
                || fy < -1.0
                || fx > sw as f64
                || fy > sh as f64
            {
                dst.copy_from_slice(&fill);
                continue;
            }
            // fx, fy >= -1 here: shifting by one makes truncation a floor.
            let x0 = (fx + 1.0) as i64 - 1;
            let y0 = (fy + 1.0) as i64 - 1;
            let ax = fx - x0 as f64;
            let ay = fy - y0 as f64;
            if x0 >= 0 && y0 >= 0 && x0 + 1 < sw && y0 + 1 < sh {
                let i = y0 as usize * stride + x0 as usize * nc;
                for (c, d) in dst.iter_mut().enumerate() {
                    let p = |o: usize| raw[i + o + c] as f64;
                    *d = blend(p(0), p(nc), p(stride), p(stride + nc), ax, ay);
                }
                continue;
            }
            for (c, d) in dst.iter_mut().enumerate() {
                let px = |xx: i64, yy: i64| -> f64 {
                    if xx < 0 || yy < 0 || xx >= sw || yy >= sh {
                        fill[c] as f64
                    } else {
                        raw[yy as usize * stride + xx as usize * nc + c] as f64
                    }
                };
                *d = blend(
                    px(x0, y0),
                    px(x0 + 1, y0),
                    px(x0, y0 + 1),
                    px(x0 + 1, y0 + 1),
                    ax,
                    ay,
                );
            }
        }
    }
    out
}

/// `resample` for the reader's crops: a grey image through the projective map `g` (output
/// pixel centre (x + 0.5, y + 0.5) comes from source `g · (x + 0.5, y + 0.5, 1)`), outside
/// reading as white. Crops were the largest cost after OCR (9.7 of 46 CPU seconds on 200
/// pages), so: the map is evaluated exactly every `SPAN` pixels of a row and linearly in
/// between (a scan's map is affine to within a thousandth of a pixel over 16 pixels), and
/// positions and the bilinear blend are in fixed point, with no division per pixel.
pub fn resample_gray_projective(
    src: &image::GrayImage,
    w: u32,
    h: u32,
    g: &[f64; 9],
) -> image::GrayImage {
    const SPAN: usize = 16;
    const ONE: f64 = 65536.0;
    let (sw, sh) = (src.width() as i64, src.height() as i64);
    let raw = src.as_raw();
    let stride = sw as usize;
    let mut out = image::GrayImage::new(w, h);
    let at = |x: f64, y: f64| -> (f64, f64) {
        let d = g[6] * x + g[7] * y + g[8];
        (
            (g[0] * x + g[1] * y + g[2]) / d - 0.5,
            (g[3] * x + g[4] * y + g[5]) / d - 0.5,
        )
    };
    // One output pixel from a fixed-point source position (16.16, pixel-corner based).
    let sample = |fx: i64, fy: i64| -> u8 {
        let (x0, y0) = (fx >> 16, fy >> 16);
        let ax = ((fx >> 8) & 255) as u32;
        let ay = ((fy >> 8) & 255) as u32;
        let (p00, p01, p10, p11) = if x0 >= 0 && y0 >= 0 && x0 + 1 < sw && y0 + 1 < sh {
            let i = y0 as usize * stride + x0 as usize;
            (
                raw[i] as u32,
                raw[i + 1] as u32,
                raw[i + stride] as u32,
                raw[i + stride + 1] as u32,
            )
        } else if x0 < -1 || y0 < -1 || x0 >= sw || y0 >= sh {
            return 255;
        } else {
            let px = |xx: i64, yy: i64| -> u32 {
                if xx < 0 || yy < 0 || xx >= sw || yy >= sh {
                    255
                } else {
                    raw[yy as usize * stride + xx as usize] as u32
                }
            };
            (
                px(x0, y0),
                px(x0 + 1, y0),
                px(x0, y0 + 1),
                px(x0 + 1, y0 + 1),
            )
        };
        let top = p00 * (256 - ax) + p01 * ax;
        let bot = p10 * (256 - ax) + p11 * ax;
        ((top * (256 - ay) + bot * ay + 32768) >> 16).min(255) as u8
    };
    // Positions far outside any page (a degenerate map) read as paper without overflowing.
    // Rounded half away from zero, as f64::round, without its library call (4 per span).
    let fixed = |v: f64| -> Option<i64> {
        (v.is_finite() && v.abs() < 1e9).then(|| {
            let f = v * ONE;
            let t = f as i64;
            let frac = f - t as f64;
            t + i64::from(frac >= 0.5) - i64::from(frac <= -0.5)
        })
    };
    // Column blocks, each filled top to bottom: when the page was scanned turned by a
    // quarter, an output row runs down a source column, and a whole row at a time would
    // touch a new cache line per pixel; a block's source rows stay in cache down the block.
    const BLOCK: usize = 4 * SPAN;
    for bx in (0..w as usize).step_by(BLOCK) {
        for (y, row) in out.as_mut().chunks_exact_mut(w as usize).enumerate() {
            let yc = y as f64 + 0.5;
            let block = &mut row[bx..(bx + BLOCK).min(w as usize)];
            for (k, seg) in block.chunks_mut(SPAN).enumerate() {
                let x_start = (bx + k * SPAN) as f64 + 0.5;
                let (ax, ay) = at(x_start, yc);
                let (bx, by) = at(x_start + SPAN as f64, yc);
                let (Some(mut fx), Some(mut fy), Some(ex), Some(ey)) =
                    (fixed(ax), fixed(ay), fixed(bx), fixed(by))
                else {
                    seg.fill(255);
                    continue;
                };
                let (dx, dy) = ((ex - fx) / SPAN as i64, (ey - fy) / SPAN as i64);
                let (lx, ly) = (fx + dx * seg.len() as i64, fy + dy * seg.len() as i64);
                let inside =
                    |x: i64, y: i64| x >= 0 && y >= 0 && (x >> 16) + 1 < sw && (y >> 16) + 1 < sh;
                if inside(fx, fy) && inside(lx, ly) {
                    // The whole run reads inside the page (the usual case: a zone is well
                    // within it): one bilinear blend per pixel, no edge tests.
                    for d in seg.iter_mut() {
                        let i = (fy >> 16) as usize * stride + (fx >> 16) as usize;
                        let (ax, ay) = (((fx >> 8) & 255) as u32, ((fy >> 8) & 255) as u32);
                        let (top, bot) = (&raw[i..i + 2], &raw[i + stride..i + stride + 2]);
                        let t = top[0] as u32 * (256 - ax) + top[1] as u32 * ax;
                        let b = bot[0] as u32 * (256 - ax) + bot[1] as u32 * ax;
                        *d = ((t * (256 - ay) + b * ay + 32768) >> 16).min(255) as u8;
                        fx += dx;
                        fy += dy;
                    }
                    continue;
                }
                for d in seg.iter_mut() {
                    *d = sample(fx, fy);
                    fx += dx;
                    fy += dy;
                }
            }
        }
    }
    out
}

/// Halves an image by averaging 2×2 blocks (cheap, and enough for a QR search).
pub fn downscale2(src: &image::GrayImage) -> image::GrayImage {
    let (w, h) = (src.width() / 2, src.height() / 2);
    let mut out = image::GrayImage::new(w.max(1), h.max(1));
    if w == 0 || h == 0 {
        return out;
    }
    // Row pairs and pixel pairs as slices, so that the loop has no index arithmetic or bounds
    // checks and vectorises: this runs on every whole page (QR search) and every crop.
    let sw = src.width() as usize;
    let pairs = src.as_raw().chunks_exact(2 * sw);
    for (o, pair) in out.as_mut().chunks_exact_mut(w as usize).zip(pairs) {
        let (a, b) = pair.split_at(sw);
        for ((d, a), b) in o.iter_mut().zip(a.chunks_exact(2)).zip(b.chunks_exact(2)) {
            let s = a[0] as u16 + a[1] as u16 + b[0] as u16 + b[1] as u16;
            *d = ((s + 2) / 4) as u8;
        }
    }
    out
}

/// `image::imageops::resize(src, nw, nh, FilterType::Triangle)`, pixel for pixel, for grey
/// images: the same weights and the same f32 sums in the same order, but one channel
/// instead of four and rows walked in memory order (the crate's horizontal pass walks each
/// column of a four-channel f32 image). Every line of writing is scaled by it before OCR;
/// the crate's version took 4 % of a run's CPU time. A test checks the equality.
pub fn resize_gray_triangle(src: &image::GrayImage, nw: u32, nh: u32) -> image::GrayImage {
    let (w, h) = src.dimensions();
    if w == 0 || h == 0 {
        return image::GrayImage::new(nw, nh);
    }
    if (nw, nh) == (w, h) {
        return src.clone();
    }
    let (w, h, nw_, nh_) = (w as usize, h as usize, nw as usize, nh as usize);
    // Vertically first, into f32, as the crate does.
    let mut tmp = vec![0f32; w * nh_];
    for (outy, row) in tmp.chunks_exact_mut(w.max(1)).enumerate() {
        let (left, ws) = triangle_weights(outy, h, nh_);
        for (x, t) in row.iter_mut().enumerate() {
            let mut sum = 0.0f32;
            for (i, wt) in ws.iter().enumerate() {
                sum += src.as_raw()[(left + i) * w + x] as f32 * wt;
            }
            *t = sum;
        }
    }
    let mut out = image::GrayImage::new(nw, nh);
    let columns: Vec<(usize, Vec<f32>)> = (0..nw_)
        .map(|outx| triangle_weights(outx, w, nw_))
        .collect();
    for (orow, trow) in out
        .as_mut()
        .chunks_exact_mut(nw_.max(1))
        .zip(tmp.chunks_exact(w))
    {
        for (o, (left, ws)) in orow.iter_mut().zip(&columns) {
            let mut sum = 0.0f32;
            for (i, wt) in ws.iter().enumerate() {
                sum += trow[left + i] * wt;
            }
            *o = sum.clamp(0.0, 255.0).round() as u8;
        }
    }
    out
}

/// The first source index and the normalised triangle-filter weights for output pixel `out`
/// when `len` pixels become `new_len` (image's `horizontal_sample` / `vertical_sample`).
fn triangle_weights(out: usize, len: usize, new_len: usize) -> (usize, Vec<f32>) {
    let ratio = len as f32 / new_len as f32;
    let sratio = if ratio < 1.0 { 1.0 } else { ratio };
    let support = sratio;
    let input = (out as f32 + 0.5) * ratio;
    let left = ((input - support).floor() as i64).clamp(0, len as i64 - 1);
    let right = ((input + support).ceil() as i64).clamp(left + 1, len as i64);
    let input = input - 0.5;
    let mut ws: Vec<f32> = (left..right)
        .map(|i| {
            let x = (i as f32 - input) / sratio;
            if x.abs() < 1.0 {
                1.0 - x.abs()
            } else {
                0.0
            }
        })
        .collect();
    let sum: f32 = ws.iter().fold(0.0, |a, &b| a + b);
    for wt in &mut ws {
        *wt /= sum;
    }
    (left as usize, ws)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: (f64, f64), b: (f64, f64), tol: f64) -> bool {
        (a.0 - b.0).abs() < tol && (a.1 - b.1).abs() < tol
    }

    #[test]
    fn affine_fit_recovers_a_known_similarity() {
        // A5 slip at 300 dpi, tilted 7°, shifted.
        let truth = Homography::similarity(300.0 / 25.4, 7f64.to_radians(), 120.0, -35.0);
        let mm = [(10.0, 10.0), (34.0, 10.0), (10.0, 34.0), (34.0, 34.0)];
        let pairs: Vec<_> = mm.iter().map(|&p| (p, truth.apply(p.0, p.1))).collect();
        let fit = Homography::fit(&pairs, Model::Affine).unwrap();
        for p in [(0.0, 0.0), (148.0, 210.0), (74.0, 100.0)] {
            assert!(close(fit.apply(p.0, p.1), truth.apply(p.0, p.1), 1e-6));
        }
    }

    #[test]
    fn projective_fit_recovers_perspective_from_seven_points() {
        let truth = Homography {
            m: [11.8, 0.3, 50.0, -0.2, 11.9, 80.0, 1e-5, -2e-5, 1.0],
        };
        let mm = [
            (10.0, 10.0),
            (34.0, 10.0),
            (10.0, 34.0),
            (34.0, 34.0),
            (135.5, 12.5),
            (12.5, 197.5),
            (135.5, 197.5),
        ];
        let pairs: Vec<_> = mm.iter().map(|&p| (p, truth.apply(p.0, p.1))).collect();
        let fit = Homography::fit(&pairs, Model::Projective).unwrap();
        assert!(close(
            fit.apply(80.0, 150.0),
            truth.apply(80.0, 150.0),
            1e-6
        ));
        let inv = fit.inverse().unwrap();
        let p = truth.apply(100.0, 50.0);
        assert!(close(inv.apply(p.0, p.1), (100.0, 50.0), 1e-6));
    }

    #[test]
    fn least_squares_averages_noisy_corners() {
        let truth = Homography::similarity(10.0, 0.0, 0.0, 0.0);
        let mm = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0), (10.0, 10.0)];
        let noise = [(0.5, 0.0), (-0.5, 0.0), (0.0, 0.5), (0.0, -0.5)];
        let pairs: Vec<_> = mm
            .iter()
            .zip(noise)
            .map(|(&p, n)| {
                let q = truth.apply(p.0, p.1);
                (p, (q.0 + n.0, q.1 + n.1))
            })
            .collect();
        let fit = Homography::fit(&pairs, Model::Affine).unwrap();
        assert!(close(fit.apply(5.0, 5.0), (50.0, 50.0), 0.3));
    }

    #[test]
    fn degenerate_points_give_none() {
        let pairs = vec![((1.0, 1.0), (1.0, 1.0)); 5];
        assert!(Homography::fit(&pairs, Model::Affine).is_none());
        assert!(Homography::fit(&pairs[..2], Model::Affine).is_none());
    }

    #[test]
    fn resample_identity_keeps_pixels_and_fills_outside() {
        let src = image::GrayImage::from_fn(4, 3, |x, y| image::Luma([(x * 10 + y * 50) as u8]));
        let same = resample(&src, 4, 3, image::Luma([255]), |x, y| (x, y));
        assert_eq!(same, src);
        let shifted = resample(&src, 4, 3, image::Luma([255]), |x, y| (x + 10.0, y));
        assert!(shifted.pixels().all(|p| p.0[0] == 255));
    }

    #[test]
    fn downscale2_averages_blocks() {
        let src = image::GrayImage::from_raw(2, 2, vec![0, 100, 200, 100]).unwrap();
        assert_eq!(downscale2(&src).as_raw(), &vec![100]);
    }

    proptest::proptest! {
        #[test]
        fn resize_gray_triangle_is_image_resize(
            w in 1u32..90, h in 1u32..90, nw in 1u32..90, nh in 1u32..90, seed in proptest::prelude::any::<u64>()
        ) {
            let mut state = seed | 1;
            let src = image::GrayImage::from_fn(w, h, |_, _| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                image::Luma([(state % 256) as u8])
            });
            let ours = resize_gray_triangle(&src, nw, nh);
            let theirs = image::imageops::resize(&src, nw, nh, image::imageops::FilterType::Triangle);
            proptest::prop_assert_eq!(ours, theirs);
        }
    }
}
