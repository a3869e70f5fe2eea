//! Reading a registered slip zone by zone: crop each zone upright (`crop`), clean it and
//! measure its ink (`ink`), OCR text zones (`ocr`, one Tesseract engine per worker) and
//! score checkbox groups by ink (`checkbox`).

pub mod checkbox;
pub mod crop;
pub mod ink;
pub mod ocr;
