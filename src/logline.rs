//! Access-log lines to stdout, written in batches by one thread.

/// Queues one line for stdout. A writer thread drains the queue in batches, so a
/// busy proxy makes one `write` per batch rather than one per request, and a slow reader of
/// stdout never stalls a request.
pub fn emit(line: String) {
    static QUEUE: std::sync::OnceLock<std::sync::mpsc::Sender<String>> = std::sync::OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let spawned = std::thread::Builder::new()
            .name("stdout-lines".into())
            .spawn(move || {
                use std::io::Write as _;
                let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout());
                while let Ok(first) = rx.recv() {
                    // A closed stdout must not take the proxy down: errors are dropped.
                    let _ = writeln!(out, "{first}");
                    while let Ok(next) = rx.try_recv() {
                        let _ = writeln!(out, "{next}");
                    }
                    let _ = out.flush();
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot start the stdout line writer: {e}");
        }
        tx
    });
    let _ = queue.send(line);
}
