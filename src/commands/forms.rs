//! `urnscan forms print`: a print-ready PDF of blank forms of the campaign.

use urnscan::config::load_campaign;
use urnscan::error::ExitCode;
use urnscan::render::print::{self, PrintRequest};

use crate::cli::{FormsCommand, FormsPrintArgs};

pub fn run(command: FormsCommand) -> anyhow::Result<ExitCode> {
    match command {
        FormsCommand::Print(args) => print_forms(args),
    }
}

fn print_forms(args: FormsPrintArgs) -> anyhow::Result<ExitCode> {
    let campaign = load_campaign(args.layout.as_deref())?;
    let request = PrintRequest {
        form: args.form,
        urn: args.urn,
        question: args.question,
        serials: args.serials,
        out: args.out,
        dpi: args.dpi,
    };
    let job = print::plan(&campaign, &request)?;
    let r = print::print(&campaign, &job)?;
    println!(
        "urnscan forms print: {} form(s) {} (urn {}, question {}, serials {}) in {}: {}, {:.1} s",
        r.pages,
        job.form.id,
        job.urn_id,
        job.qr_question,
        job.serials,
        job.out.display(),
        r.size(),
        r.elapsed.as_secs_f64()
    );
    Ok(ExitCode::Success)
}
