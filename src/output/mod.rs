//! Outputs: the typed rows of pages.csv and contributions.csv, their columns in one table
//! (`records`), how pages read become those rows and duplicates are decided (`rows`), how a
//! CSV file is written (`csvfile`: dialects, Excel safety, atomic replace) and read back by
//! column name in either dialect (`table`), an output folder read back as records for the
//! commands that work on a finished run (`folder`), the decisions people made
//! (`corrections`) and how they move answers (`decisions`), the journal of finished pages that makes a run resumable (`journal`),
//! the ledger of serials (`ledger`), the run's summary (`summary`), the review report
//! made from an output folder (`report`), and the output folder made private (`private`)
//! and locked while a run writes it (`lock`).

pub mod corrections;
pub mod csvfile;
pub mod decisions;
pub mod folder;
pub mod journal;
pub mod ledger;
pub mod lock;
pub mod private;
pub mod records;
pub mod report;
pub mod rows;
pub mod summary;
pub mod table;
