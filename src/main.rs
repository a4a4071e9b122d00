//! switchboard: parse the command line, load settings, init telemetry, run the command.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use switchboard::config::Settings;
use switchboard::replay::dead_letter_cli as dlc;
use switchboard::{demo, replay, startup::Application, store, telemetry};

// The hot path allocates and frees small buffers across threads (bodies, entries, messages):
// with mimalloc the daemon spends 8-14% less CPU per webhook than with glibc's allocator
// (docs/BENCHMARKS.md, "Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "switchboard", version, about = "Routes telephony for companies that own many Telnyx numbers")]
struct Cli {
    /// A TOML file layered over config/default.toml (environment variables still win).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Clone)]
enum Command {
    /// Run the daemon (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Load the demo company "Stratos Demo" into the configured database.
    Demo,
    /// Validate the configuration and exit.
    CheckConfig,
    /// Ask the running daemon to replay Telnyx's failed webhook deliveries of a window
    /// (POST /v1/webhook-replays with admin.operator_token) and print the summary.
    Replay {
        /// Start of the window, RFC 3339 (e.g. 2026-11-25T10:00:00Z).
        #[arg(long)]
        from: String,
        /// End of the window, RFC 3339; at most 7 days after --from.
        #[arg(long)]
        to: String,
        /// The daemon's base URL; default: http.bind of the configuration.
        #[arg(long, value_name = "URL")]
        url: Option<url::Url>,
    },
    /// Dead letters: events acknowledged but not routed (no company owned their numbers).
    #[command(subcommand)]
    DeadLetters(DeadLetters),
}

#[derive(Subcommand, Clone)]
enum DeadLetters {
    /// List dead letters of the configured database, newest first.
    List {
        #[arg(long)]
        event_type: Option<String>,
        #[arg(long)]
        reason: Option<String>,
        /// The number no company owned, E.164.
        #[arg(long, value_parser = dlc::parse_number)]
        number: Option<String>,
        /// Received at or after, RFC 3339.
        #[arg(long, value_parser = dlc::parse_time)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// Received before, RFC 3339.
        #[arg(long, value_parser = dlc::parse_time)]
        until: Option<chrono::DateTime<chrono::Utc>>,
        /// At most this many, 1 to 1000.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Print one dead letter with its payload (JSON).
    Show { id: i64 },
    /// Ask the running daemon to re-drive one through the normal ingest path (counted once).
    Redrive {
        id: i64,
        /// The daemon's base URL; default: http.bind of the configuration.
        #[arg(long, value_name = "URL")]
        url: Option<url::Url>,
    },
    /// Delete one from the configured database.
    Delete { id: i64 },
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
            let routing = switchboard::demo::load_demo_routing(store.as_ref(), demo::DEMO_COMPANY_ID).await?;
            println!("{routing}");
        }
        Command::Replay { from, to, url } => {
            let daemon = url.unwrap_or_else(|| replay::cli::default_url(settings.http.bind));
            let token = settings.admin.operator_token.as_ref();
            print!("{}", replay::cli::request_replay(&daemon, token, &from, &to).await?);
        }
        Command::DeadLetters(command) => print!("{}", dead_letters(command, &settings).await?),
        Command::CheckConfig => {}
    }
    Ok(())
}

async fn dead_letters(command: DeadLetters, settings: &Settings) -> anyhow::Result<String> {
    // Reads and deletes go to the database; it must be migrated (readiness says so).
    let connect = || async {
        let store = store::connect(&settings.database).await?;
        store.readiness().await?;
        anyhow::Ok(store)
    };
    match command {
        DeadLetters::List { event_type, reason, number, since, until, limit } => {
            let filter = store::DeadLetterFilter { event_type, reason, phone_number: number, since, until };
            dlc::list(&connect().await?, &filter, limit).await
        }
        DeadLetters::Show { id } => dlc::show(&connect().await?, id).await,
        DeadLetters::Delete { id } => dlc::delete(&connect().await?, id).await,
        DeadLetters::Redrive { id, url } => {
            let daemon = url.unwrap_or_else(|| replay::cli::default_url(settings.http.bind));
            dlc::redrive(&daemon, settings.admin.operator_token.as_ref(), id).await
        }
    }
}
