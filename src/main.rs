//! The `meshlite` binary: parse the command line and hand it to the library.

use clap::Parser;

fn main() {
    let cli = meshlite::cli::Cli::parse();
    let quiet_default = if matches!(cli.command, meshlite::cli::Command::Up(_)) {
        "info"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MESHLITE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(quiet_default)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = match runtime.block_on(meshlite::cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            let msg = format!("{e:#}");
            if msg.starts_with("error:") || msg.starts_with("Error from server") {
                eprintln!("{msg}");
            } else {
                eprintln!("error: {msg}");
            }
            1
        }
    };
    std::process::exit(code);
}
