//! Tests of the CRI log format, the log query, rendering, pumping and following.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use super::record::{encode_lines, encode_rest};
use super::*;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

#[test]
fn format_time_is_fixed_width() {
    let cases = [
        (
            Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            "2026-01-02T03:04:05.000000000Z",
        ),
        (
            t("2026-01-02T03:04:05.123456789Z"),
            "2026-01-02T03:04:05.123456789Z",
        ),
        (
            t("2026-01-02T04:04:05.1+01:00"),
            "2026-01-02T03:04:05.100000000Z",
        ),
    ];
    for (time, want) in cases {
        assert_eq!(format_time(time), want);
    }
}

/// Time, stream, partial flag and content of an expected record.
type Expected = (&'static str, Stream, bool, &'static str);

#[test]
fn parse_records() {
    let cases: &[(&str, Option<Expected>)] = &[
        (
            "2026-01-02T03:04:05.123456789Z stdout F hello world",
            Some((
                "2026-01-02T03:04:05.123456789Z",
                Stream::Stdout,
                false,
                "hello world",
            )),
        ),
        (
            "2026-01-02T03:04:05Z stderr P part",
            Some(("2026-01-02T03:04:05Z", Stream::Stderr, true, "part")),
        ),
        (
            "2026-01-02T03:04:05Z stdout F ",
            Some(("2026-01-02T03:04:05Z", Stream::Stdout, false, "")),
        ),
        (
            "2026-01-02T03:04:05Z stdout F",
            Some(("2026-01-02T03:04:05Z", Stream::Stdout, false, "")),
        ),
        (
            "2026-01-02T03:04:05Z stdout F:x  two",
            Some(("2026-01-02T03:04:05Z", Stream::Stdout, false, " two")),
        ),
        ("2026-01-02T03:04:05Z stdin F x", None),
        ("2026-01-02T03:04:05Z stdout X x", None),
        ("yesterday stdout F x", None),
        ("plain text", None),
        ("", None),
    ];
    for (line, want) in cases {
        let got = parse(line.as_bytes()).map(|r| (r.time, r.stream, r.partial, r.content.to_vec()));
        let want = want.map(|(time, stream, partial, content)| {
            (t(time), stream, partial, content.as_bytes().to_vec())
        });
        assert_eq!(got, want, "{line:?}");
    }
}

#[test]
fn encode_lines_splits_and_keeps_rest() {
    let time = t("2026-01-02T03:04:05.5Z");
    let long = "x".repeat(MAX_RECORD_CONTENT + 3);
    let xs = "x".repeat(MAX_RECORD_CONTENT);
    let ys = "y".repeat(MAX_RECORD_CONTENT);
    let cases: Vec<(String, String, usize)> = vec![
        ("a\nb\n".into(), "S stdout F a\nS stdout F b\n".into(), 4),
        ("a\nbc".into(), "S stdout F a\n".into(), 2),
        ("\n".into(), "S stdout F \n".into(), 1),
        ("no newline".into(), String::new(), 0),
        (
            format!("{long}\n"),
            format!("S stdout P {xs}\nS stdout F xxx\n"),
            MAX_RECORD_CONTENT + 4,
        ),
        (
            format!("{xs}\n"),
            format!("S stdout F {xs}\n"),
            MAX_RECORD_CONTENT + 1,
        ),
        (ys.clone(), format!("S stdout P {ys}\n"), MAX_RECORD_CONTENT),
    ];
    for (input, want, consumed) in cases {
        let mut out = Vec::new();
        let got = encode_lines(input.as_bytes(), Stream::Stdout, time, &mut out);
        let want = want.replace('S', "2026-01-02T03:04:05.500000000Z");
        assert_eq!(String::from_utf8_lossy(&out), want, "{input:?}");
        assert_eq!(got, consumed, "{input:?}");
    }
    let mut out = Vec::new();
    encode_rest(b"tail", Stream::Stderr, time, &mut out);
    assert_eq!(out, b"2026-01-02T03:04:05.500000000Z stderr P tail\n");
    out.clear();
    encode_rest(b"", Stream::Stderr, time, &mut out);
    assert!(out.is_empty());
}

#[test]
fn from_query_cases() {
    let ok = |tail,
              timestamps,
              since_seconds,
              since_time,
              limit_bytes,
              follow,
              previous,
              container: Option<&str>| {
        Ok(LogOptions {
            tail,
            timestamps,
            since_seconds,
            since_time,
            limit_bytes,
            follow,
            previous,
            container: container.map(str::to_owned),
        })
    };
    let cases: Vec<(&str, Result<LogOptions, String>)> = vec![
        ("", ok(None, false, None, None, None, false, false, None)),
        (
            "tailLines=10&timestamps=true&container=app&follow=1&previous=false",
            ok(Some(10), true, None, None, None, true, false, Some("app")),
        ),
        (
            "sinceSeconds=60&limitBytes=5",
            ok(None, false, Some(60), None, Some(5), false, false, None),
        ),
        (
            "sinceTime=2026-01-02T03%3A04%3A05Z&timestamps=",
            ok(
                None,
                true,
                None,
                Some(t("2026-01-02T03:04:05Z")),
                None,
                false,
                false,
                None,
            ),
        ),
        (
            "follow=FALSE&timestamps=0&tailLines=0",
            ok(Some(0), false, None, None, None, false, false, None),
        ),
        (
            "tailLines=3&tailLines=x&other=1",
            ok(Some(3), false, None, None, None, false, false, None),
        ),
        (
            "tailLines=-1",
            Err("tailLines: Invalid value: -1: must be greater than or equal to 0".into()),
        ),
        (
            "tailLines=ten",
            Err("tailLines: Invalid value: \"ten\": must be an integer".into()),
        ),
        (
            "limitBytes=0",
            Err("limitBytes: Invalid value: 0: must be greater than 0".into()),
        ),
        (
            "sinceSeconds=0",
            Err("sinceSeconds: Invalid value: 0: must be greater than 0".into()),
        ),
        (
            "sinceTime=yesterday",
            Err("sinceTime: Invalid value: \"yesterday\": must be an RFC 3339 time".into()),
        ),
        (
            "sinceSeconds=5&sinceTime=2026-01-02T03:04:05Z",
            Err("at most one of `sinceTime` or `sinceSeconds` may be specified".into()),
        ),
    ];
    for (query, want) in cases {
        assert_eq!(LogOptions::from_query(query), want, "{query:?}");
    }
}

const LOG: &str = "\
2026-01-02T03:04:01.000000000Z stdout F one
2026-01-02T03:04:02.000000000Z stderr F two
2026-01-02T03:04:03.000000000Z stdout P thr
garbage line
2026-01-02T03:04:04.000000000Z stderr F four
2026-01-02T03:04:05.000000000Z stdout F ee
2026-01-02T03:04:06.000000000Z stdout P unfinished";

#[test]
fn render_cases() {
    let now = t("2026-01-02T03:04:10Z");
    let opts = |f: fn(&mut LogOptions)| {
        let mut o = LogOptions::default();
        f(&mut o);
        o
    };
    let cases: Vec<(LogOptions, &str)> = vec![
        (opts(|_| {}), "one\ntwo\nthree\ngarbage line\nfour\nunfinished"),
        (opts(|o| o.tail = Some(2)), "four\nunfinished"),
        (opts(|o| o.tail = Some(0)), ""),
        (opts(|o| o.tail = Some(100)), "one\ntwo\nthree\ngarbage line\nfour\nunfinished"),
        (
            opts(|o| o.timestamps = true),
            "2026-01-02T03:04:01.000000000Z one\n2026-01-02T03:04:02.000000000Z two\n\
             2026-01-02T03:04:03.000000000Z three\ngarbage line\n2026-01-02T03:04:04.000000000Z four\n\
             2026-01-02T03:04:06.000000000Z unfinished",
        ),
        (opts(|o| o.since_seconds = Some(7)), "three\ngarbage line\nfour\nunfinished"),
        (opts(|o| o.since_time = Some(t("2026-01-02T03:04:04Z"))), "garbage line\nfour\nunfinished"),
        // The tail is taken first, then the since bound, as the kubelet does.
        (
            opts(|o| {
                o.tail = Some(3);
                o.since_time = Some(t("2026-01-02T03:04:05Z"));
            }),
            "garbage line\nunfinished",
        ),
        (opts(|o| o.limit_bytes = Some(6)), "one\ntw"),
        (opts(|o| o.limit_bytes = Some(1000)), "one\ntwo\nthree\ngarbage line\nfour\nunfinished"),
    ];
    for (opts, want) in cases {
        let got = render(LOG.as_bytes(), &opts, now);
        assert_eq!(String::from_utf8_lossy(&got), want, "{opts:?}");
    }
    assert!(render(b"", &LogOptions::default(), now).is_empty());
    assert_eq!(render(b"\n", &LogOptions::default(), now), b"\n");
}

#[tokio::test]
async fn pump_writes_records_from_both_streams() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("0.log");
    let sink = Arc::new(tokio::sync::Mutex::new(
        tokio::fs::File::create(&path).await.unwrap(),
    ));
    let long = "z".repeat(MAX_RECORD_CONTENT + 10);
    let out_data = format!("hello\n{long}\nno newline");
    pump(out_data.as_bytes(), Stream::Stdout, sink.clone())
        .await
        .unwrap();
    pump(&b"oops\n"[..], Stream::Stderr, sink.clone())
        .await
        .unwrap();
    let contents = tokio::fs::read(&path).await.unwrap();
    let parsed: Vec<(Stream, bool, usize)> = record::split_lines(&contents)
        .map(|line| parse(line).map(|r| (r.stream, r.partial, r.content.len())))
        .collect::<Option<_>>()
        .unwrap();
    assert_eq!(
        parsed,
        vec![
            (Stream::Stdout, false, 5),
            (Stream::Stdout, true, MAX_RECORD_CONTENT),
            (Stream::Stdout, false, 10),
            (Stream::Stdout, true, 10),
            (Stream::Stderr, false, 4),
        ]
    );
    let shown = render(&contents, &LogOptions::default(), Utc::now());
    assert_eq!(
        String::from_utf8_lossy(&shown),
        format!("hello\n{long}\nno newlineoops\n")
    );
}

#[tokio::test]
async fn pump_from_a_real_child() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("0.log");
    let sink = Arc::new(tokio::sync::Mutex::new(
        tokio::fs::File::create(&path).await.unwrap(),
    ));
    let mut child = tokio::process::Command::new("sh")
        .args(["-c", "echo out; echo err >&2; printf tail"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let a = tokio::spawn(pump(
        child.stdout.take().unwrap(),
        Stream::Stdout,
        sink.clone(),
    ));
    let b = tokio::spawn(pump(
        child.stderr.take().unwrap(),
        Stream::Stderr,
        sink.clone(),
    ));
    child.wait().await.unwrap();
    a.await.unwrap().unwrap();
    b.await.unwrap().unwrap();
    let contents = tokio::fs::read(&path).await.unwrap();
    let mut lines: Vec<String> = record::split_lines(&contents)
        .filter_map(parse)
        .map(|r| {
            format!(
                "{} {} {}",
                r.stream.as_str(),
                if r.partial { "P" } else { "F" },
                String::from_utf8_lossy(r.content)
            )
        })
        .collect();
    lines.sort();
    assert_eq!(lines, ["stderr F err", "stdout F out", "stdout P tail"]);
}

async fn append(path: &std::path::Path, text: &str) {
    let mut file = tokio::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .await
        .unwrap();
    file.write_all(text.as_bytes()).await.unwrap();
    file.flush().await.unwrap();
}

fn rec(text: &str) -> String {
    let mut out = Vec::new();
    encode(
        t("2026-01-02T03:04:05Z"),
        Stream::Stdout,
        false,
        text.as_bytes(),
        &mut out,
    );
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn follow_streams_appends_restarts_and_ends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("0.log");
    append(&path, &(rec("one") + &rec("two"))).await;
    let alive = Arc::new(AtomicBool::new(true));
    let flag = alive.clone();
    let opts = LogOptions {
        tail: Some(1),
        ..LogOptions::default()
    };
    let stream = follow(path.clone(), opts, move || flag.load(Ordering::SeqCst));
    let mut stream = Box::pin(stream);
    let mut next =
        async || String::from_utf8_lossy(&stream.next().await.unwrap().unwrap()).into_owned();
    assert_eq!(next().await, "two\n");

    // A line written in two steps arrives once it is complete.
    let three = rec("three");
    let (a, b) = three.split_at(10);
    append(&path, a).await;
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    append(&path, b).await;
    assert_eq!(next().await, "three\n");

    // Partial records are joined.
    let mut partial = Vec::new();
    encode(
        t("2026-01-02T03:04:06Z"),
        Stream::Stdout,
        true,
        b"fo",
        &mut partial,
    );
    append(&path, &String::from_utf8_lossy(&partial)).await;
    append(&path, &rec("ur")).await;
    assert_eq!(next().await, "four\n");

    // A restart replaces the file: the new one is read from its start.
    let replacement = dir.path().join("new.log");
    append(&replacement, &rec("restarted")).await;
    tokio::fs::rename(&replacement, &path).await.unwrap();
    assert_eq!(next().await, "restarted\n");

    // Truncation in place starts over too.
    tokio::fs::write(&path, rec("x")).await.unwrap();
    assert_eq!(next().await, "x\n");

    // Written just before the end: drained, then the stream ends.
    append(&path, &rec("last")).await;
    alive.store(false, Ordering::SeqCst);
    let mut rest = String::new();
    while let Some(item) = stream.next().await {
        rest.push_str(&String::from_utf8_lossy(&item.unwrap()));
    }
    assert_eq!(rest, "last\n");
}

#[tokio::test]
async fn follow_respects_limit_and_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("0.log");
    append(&path, &(rec("hello") + &rec("world"))).await;
    let opts = LogOptions {
        limit_bytes: Some(8),
        timestamps: false,
        ..LogOptions::default()
    };
    let items: Vec<_> = follow(path.clone(), opts, || true).collect().await;
    let text: Vec<u8> = items
        .into_iter()
        .flat_map(|i| i.unwrap().to_vec())
        .collect();
    assert_eq!(text, b"hello\nwo");

    let missing: Vec<_> = follow(dir.path().join("none.log"), LogOptions::default(), || true)
        .collect()
        .await;
    assert_eq!(missing.len(), 1);
    assert!(missing.first().is_some_and(|r| r.is_err()));
}
