//! Outputs: the rows of pages.csv and contributions.csv (`rows`), how a CSV file is written
//! (`csvfile`: dialects, Excel safety, atomic replace) and the run's summary (`summary`).

pub mod csvfile;
pub mod ledger;
pub mod rows;
pub mod summary;
