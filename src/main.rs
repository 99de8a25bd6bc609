//! The `meshlite` binary: parse the command line and hand it to the library.

use clap::Parser;

fn main() {
    // `meshlite launch -- PROGRAM ARGS…` is how every pod process starts: it ties itself to its
    // parent and then becomes PROGRAM. It runs before anything else (no runtime, no logging).
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("launch") {
        let rest: Vec<String> = args
            .iter()
            .skip(2)
            .skip_while(|a| *a == "--")
            .cloned()
            .collect();
        let Some((program, program_args)) = rest.split_first() else {
            eprintln!("usage: meshlite launch -- PROGRAM [ARGS…]");
            std::process::exit(2);
        };
        let e = meshlite::kubelet::process::launch(program, program_args);
        eprintln!("meshlite launch: {e}");
        std::process::exit(e.exit_code());
    }
    // Pods of the curl image find `curl` on their PATH: a link to this binary, which then acts
    // as the built-in curl.
    let invoked_as = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    // …and `ps` in a container lists that container's processes only.
    if invoked_as == "ps" {
        std::process::exit(meshlite::kubelet::ps::run(&args[1..]));
    }
    let cli = if invoked_as == "curl" {
        let mut argv = vec!["meshlite".to_string(), "sample".into(), "curl".into()];
        argv.extend(args.iter().skip(1).cloned());
        meshlite::cli::Cli::parse_from(argv)
    } else {
        meshlite::cli::Cli::parse()
    };
    exit_quietly_on_closed_stdout();
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
    // A proxy's data path has worker threads of its own (`proxy::workers`); its config client
    // and admin endpoints need no more than one thread.
    let mut builder = if matches!(cli.command, meshlite::cli::Command::PilotAgent(_)) {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = match builder.enable_all().build() {
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

/// `meshlite get … | head -1` closes stdout early. Rust ignores SIGPIPE, so the next `println!`
/// panics; end the way other command-line tools do instead: silently, with 128 + SIGPIPE.
fn exit_quietly_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if text.starts_with("failed printing to stdout") && text.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}
