//! Outputs: the corrections people made (`corrections`), the rows of pages.csv and contributions.csv (`rows`), how a CSV file is written
//! (`csvfile`: dialects, Excel safety, atomic replace), the journal of finished pages that
//! makes a run resumable (`journal`), the ledger of serials (`ledger`) and the run's summary
//! (`summary`), reading a CSV back by column name, in either dialect (`table`), and the
//! review report made from an output folder's CSV files (`report`).

pub mod corrections;
pub mod csvfile;
pub mod journal;
pub mod ledger;
pub mod report;
pub mod rows;
pub mod summary;
pub mod table;
