//! Exports `deflateInit2_` from the urnscan binary (and the benchmarks, which time the same
//! hot functions), so that libtesseract's libpng binds to it: see src/read/tesseract_png.rs.
fn main() {
    for target in ["bins", "benches"] {
        println!("cargo:rustc-link-arg-{target}=-Wl,--export-dynamic-symbol=deflateInit2_");
    }
}
