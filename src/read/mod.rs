//! Reading a registered slip zone by zone (a black-and-white scan's halftone dots removed
//! first: `bilevel`): crop each zone upright (`crop`), clean it and
//! measure its ink (`ink`), split text zones into lines of writing (`lines`), level each
//! line and stand it upright (`straighten`), the two together being `prepare`, which hands
//! each line to a recognizer (`crate::recognize`; `tesseract_png` takes the cost out of
//! Tesseract's internal PNG round trip), and score checkbox groups by ink (`checkbox`).

pub mod bilevel;
pub mod checkbox;
pub mod crop;
pub mod ink;
pub mod lines;
pub mod prepare;
pub mod straighten;
pub mod tesseract_png;
