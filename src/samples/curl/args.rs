//! Command-line parsing for the built-in curl, following curl's option syntax.

use std::time::Duration;

/// Everything the command line asked for.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Options {
    pub silent: bool,
    pub show_error: bool,
    pub include: bool,
    pub head: bool,
    pub verbose: bool,
    pub follow: bool,
    pub fail: bool,
    /// `--fail-with-body`: fail on >= 400 but still print the body.
    pub fail_with_body: bool,
    pub method: Option<String>,
    /// Raw `-H` arguments in order.
    pub headers: Vec<String>,
    /// Each `-d`-style argument, already resolved to bytes.
    pub data: Vec<DataArg>,
    pub output: Option<String>,
    pub write_out: Option<String>,
    pub max_time: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub user_agent: Option<String>,
    /// `-x`: overrides the proxy environment.
    pub proxy: Option<String>,
    /// `--noproxy`: overrides `NO_PROXY`.
    pub noproxy: Option<String>,
    pub urls: Vec<String>,
}

/// One `-d`/`--data-*` argument.
#[derive(Debug, Clone, PartialEq)]
pub enum DataArg {
    /// Literal data.
    Literal(String),
    /// `@file` for `-d`: read the file and drop CR/LF, as curl does.
    FileStripped(String),
    /// `@file` for `--data-binary`: read the file as is.
    FileRaw(String),
}

/// Why the command line was rejected; curl reports these with exit code 2.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ArgError {
    /// An option curl does not know (or this build does not support).
    #[error("option {0}: is unknown")]
    Unknown(String),
    /// An option that needs a value came last.
    #[error("option {0}: requires parameter")]
    MissingValue(String),
    /// A numeric option got something else.
    #[error("option {0}: expected a proper numerical parameter")]
    NotANumber(String),
    /// No URL anywhere on the line.
    #[error("no URL specified!")]
    NoUrl,
}

/// Whether a short option letter consumes a value.
fn short_takes_value(c: char) -> bool {
    matches!(c, 'X' | 'H' | 'd' | 'o' | 'w' | 'm' | 'x' | 'A')
}

/// Maps a short letter to its long name so both share one code path.
fn short_to_long(c: char) -> Option<&'static str> {
    Some(match c {
        's' => "--silent",
        'S' => "--show-error",
        'i' => "--include",
        'I' => "--head",
        'v' => "--verbose",
        'L' => "--location",
        'f' => "--fail",
        'k' => "--insecure",
        'X' => "--request",
        'H' => "--header",
        'd' => "--data",
        'o' => "--output",
        'w' => "--write-out",
        'm' => "--max-time",
        'x' => "--proxy",
        'A' => "--user-agent",
        _ => return None,
    })
}

fn long_takes_value(name: &str) -> bool {
    matches!(
        name,
        "--request"
            | "--header"
            | "--data"
            | "--data-raw"
            | "--data-binary"
            | "--data-ascii"
            | "--output"
            | "--write-out"
            | "--max-time"
            | "--connect-timeout"
            | "--proxy"
            | "--noproxy"
            | "--user-agent"
            | "--url"
    )
}

/// Parses the arguments that follow `curl`.
pub fn parse(args: &[String]) -> Result<Options, ArgError> {
    let mut opts = Options::default();
    let mut i = 0;
    let mut only_urls = false;
    while let Some(arg) = args.get(i) {
        i += 1;
        if only_urls || !arg.starts_with('-') || arg == "-" {
            opts.urls.push(arg.clone());
            continue;
        }
        if arg == "--" {
            only_urls = true;
            continue;
        }
        if arg.starts_with("--") {
            let value = if long_takes_value(arg) {
                let v = args
                    .get(i)
                    .ok_or_else(|| ArgError::MissingValue(arg.clone()))?;
                i += 1;
                Some(v.as_str())
            } else {
                None
            };
            apply(&mut opts, arg, value)?;
            continue;
        }
        // A cluster of short flags like `-sSL` or `-XPOST`; a letter that
        // takes a value swallows the rest of the cluster or the next word.
        let letters: Vec<char> = arg.chars().skip(1).collect();
        let mut j = 0;
        while let Some(&c) = letters.get(j) {
            j += 1;
            let long = short_to_long(c).ok_or_else(|| ArgError::Unknown(format!("-{c}")))?;
            if short_takes_value(c) {
                let rest: String = letters.iter().skip(j).collect();
                let value = if rest.is_empty() {
                    let v = args
                        .get(i)
                        .ok_or_else(|| ArgError::MissingValue(format!("-{c}")))?;
                    i += 1;
                    v.clone()
                } else {
                    rest
                };
                apply(&mut opts, long, Some(&value)).map_err(|e| rename(e, c))?;
                break;
            }
            apply(&mut opts, long, None)?;
        }
    }
    if opts.urls.is_empty() {
        return Err(ArgError::NoUrl);
    }
    Ok(opts)
}

/// Reports errors under the spelling the user typed.
fn rename(e: ArgError, c: char) -> ArgError {
    match e {
        ArgError::NotANumber(_) => ArgError::NotANumber(format!("-{c}")),
        other => other,
    }
}

fn seconds(name: &str, value: &str) -> Result<Duration, ArgError> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| ArgError::NotANumber(name.to_string()))
}

fn apply(opts: &mut Options, name: &str, value: Option<&str>) -> Result<(), ArgError> {
    let v = || value.unwrap_or_default().to_string();
    match name {
        "--silent" => opts.silent = true,
        "--show-error" => opts.show_error = true,
        "--include" => opts.include = true,
        "--head" => opts.head = true,
        "--verbose" => opts.verbose = true,
        "--location" => opts.follow = true,
        "--fail" => opts.fail = true,
        "--fail-with-body" => opts.fail_with_body = true,
        // TLS is not supported, so certificate checks have nothing to skip;
        // these are accepted so copied command lines keep working.
        "--insecure" | "--http1.1" | "--compressed" => {}
        "--request" => opts.method = Some(v()),
        "--header" => opts.headers.push(v()),
        "--data" | "--data-ascii" => opts.data.push(match v().strip_prefix('@') {
            Some(file) => DataArg::FileStripped(file.to_string()),
            None => DataArg::Literal(v()),
        }),
        "--data-binary" => opts.data.push(match v().strip_prefix('@') {
            Some(file) => DataArg::FileRaw(file.to_string()),
            None => DataArg::Literal(v()),
        }),
        "--data-raw" => opts.data.push(DataArg::Literal(v())),
        "--output" => opts.output = Some(v()),
        "--write-out" => opts.write_out = Some(v()),
        "--max-time" => opts.max_time = Some(seconds(name, &v())?),
        "--connect-timeout" => opts.connect_timeout = Some(seconds(name, &v())?),
        "--proxy" => opts.proxy = Some(v()),
        "--noproxy" => opts.noproxy = Some(v()),
        "--user-agent" => opts.user_agent = Some(v()),
        "--url" => opts.urls.push(v()),
        other => return Err(ArgError::Unknown(other.to_string())),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_flags() {
        let o = parse(&words(
            "-sSL -i -XPOST -H a:b --header c:d -d x=1 --data-raw @y u",
        ))
        .expect("ok");
        assert!(o.silent && o.show_error && o.follow && o.include);
        assert_eq!(o.method.as_deref(), Some("POST"));
        assert_eq!(o.headers, vec!["a:b", "c:d"]);
        assert_eq!(
            o.data,
            vec![
                DataArg::Literal("x=1".into()),
                DataArg::Literal("@y".into())
            ]
        );
        assert_eq!(o.urls, vec!["u"]);

        let o = parse(&words("-so /dev/null -w %{http_code} -m 1.5 -fI http://h")).expect("ok");
        assert_eq!(o.output.as_deref(), Some("/dev/null"));
        assert_eq!(o.write_out.as_deref(), Some("%{http_code}"));
        assert_eq!(o.max_time, Some(Duration::from_millis(1500)));
        assert!(o.fail && o.head);

        let o = parse(&words("-d @f --data-binary @g -- -notflag")).expect("ok");
        assert_eq!(
            o.data,
            vec![
                DataArg::FileStripped("f".into()),
                DataArg::FileRaw("g".into())
            ]
        );
        assert_eq!(o.urls, vec!["-notflag"]);
    }

    #[test]
    fn rejects_bad_lines() {
        let cases: &[(&str, ArgError)] = &[
            ("", ArgError::NoUrl),
            ("-s", ArgError::NoUrl),
            ("-Z u", ArgError::Unknown("-Z".into())),
            ("--bogus u", ArgError::Unknown("--bogus".into())),
            ("u -H", ArgError::MissingValue("-H".into())),
            ("u --max-time", ArgError::MissingValue("--max-time".into())),
            ("-m abc u", ArgError::NotANumber("-m".into())),
            ("--max-time -1 u", ArgError::NotANumber("--max-time".into())),
        ];
        for (line, want) in cases {
            assert_eq!(parse(&words(line)).as_ref().err(), Some(want), "{line}");
        }
    }
}
