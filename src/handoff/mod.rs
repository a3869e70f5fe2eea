//! Handing a run's results on, after `process`: the review sheet and its corrections
//! (`review`) and the export to Decidim's proposal importer (`decidim`). Both work on an
//! output folder as `process` left it, read back as records by `output::folder`.

pub mod decidim;
pub mod review;
