//! Exports `deflateInit2_` from the urnscan binary (and the benchmarks, which time the same
//! hot functions), so that libtesseract's libpng binds to it: see src/read/tesseract_png.rs.
//! Only where the override is built (src/sys.rs: Linux with glibc); elsewhere the symbol
//! does not exist and the linker flag would name nothing, or not be understood.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os != "linux" || env != "gnu" {
        return;
    }
    for target in ["bins", "benches"] {
        println!("cargo:rustc-link-arg-{target}=-Wl,--export-dynamic-symbol=deflateInit2_");
    }
}
