//! switchboard: parse the command line, load settings, init telemetry, run the command.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use switchboard::config::Settings;
use switchboard::{demo, startup::Application, store, telemetry};

#[derive(Parser)]
#[command(name = "switchboard", version, about = "Routes telephony for companies that own many Telnyx numbers")]
struct Cli {
    /// A TOML file layered over config/default.toml (environment variables still win).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Clone, Copy)]
enum Command {
    /// Run the daemon (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Load the demo company "Stratos Demo" into the configured database.
    Demo,
    /// Validate the configuration and exit.
    CheckConfig,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            for line in &e.problems {
                eprintln!("switchboard: configuration error: {line}");
            }
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log);
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::CheckConfig = command {
        println!("configuration ok ({:?} database)", settings.database.backend);
        return ExitCode::SUCCESS;
    }
    let result = actix_web::rt::System::new().block_on(run(command, settings));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "switchboard failed");
            eprintln!("switchboard: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve => Application::build(settings).await?.run_until_stopped().await?,
        Command::Migrate => {
            let store = store::connect(&settings.database).await?;
            store.migrate().await?;
            println!("migrations applied ({:?})", settings.database.backend);
        }
        Command::Demo => {
            let store = store::connect(&settings.database).await?;
            store.migrate().await?;
            let summary = demo::load(store.as_ref()).await?;
            println!("{summary}");
            let routing = switchboard::demo_routing::load_demo_routing(store.as_ref(), demo::DEMO_COMPANY_ID).await?;
            println!("{routing}");
        }
        Command::CheckConfig => {}
    }
    Ok(())
}
