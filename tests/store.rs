//! The store through the API: optimistic concurrency, watch resumption and expiry, durability
//! across SIGKILL.

mod support;

use futures::StreamExt;
use reqwest::Method;
use serde_json::{json, Value};
use support::Meshlite;

fn cm(name: &str, data: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": data}})
}

const CMS: &str = "/api/v1/namespaces/default/configmaps";

#[tokio::test]
async fn stale_resource_version_gets_exactly_one_conflict() {
    let m = Meshlite::start();
    let (code, created) = m
        .send(Method::POST, CMS, "application/json", &cm("race", "0"))
        .await;
    assert_eq!(code, 201, "{created}");
    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let put = |v: &str| {
        let mut o = cm("race", v);
        o["metadata"]["resourceVersion"] = json!(rv);
        o
    };
    let (a, b) = (put("a"), put("b"));
    let path = format!("{CMS}/race");
    let (ra, rb) = tokio::join!(
        m.send(Method::PUT, &path, "application/json", &a),
        m.send(Method::PUT, &path, "application/json", &b)
    );
    let mut codes = [ra.0, rb.0];
    codes.sort();
    assert_eq!(codes, [200, 409], "{ra:?} {rb:?}");
    let conflict = if ra.0 == 409 { &ra.1 } else { &rb.1 };
    assert_eq!(conflict["reason"], "Conflict");
    assert!(
        conflict["message"]
            .as_str()
            .unwrap()
            .contains("the object has been modified"),
        "{conflict}"
    );
    // The winner's value is what is stored, with a newer resourceVersion.
    let (_, now) = m.get(&path).await;
    let winner = if ra.0 == 200 { "a" } else { "b" };
    assert_eq!(now["data"]["k"], winner);
    assert_ne!(now["metadata"]["resourceVersion"].as_str().unwrap(), rv);
}

/// Read newline-delimited watch events until `n` have arrived.
async fn read_events(m: &Meshlite, path: &str, n: usize) -> Vec<Value> {
    let resp = m
        .http()
        .get(m.url(path))
        .bearer_auth(&m.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut stream = resp.bytes_stream();
    let (mut buf, mut out) = (Vec::new(), Vec::new());
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while out.len() < n {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("watch events in time")
            .expect("stream open")
            .unwrap();
        buf.extend_from_slice(&chunk);
        while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            out.push(serde_json::from_slice(&line).unwrap());
        }
    }
    out
}

#[tokio::test]
async fn watch_from_a_revision_sees_every_later_change_in_order() {
    let m = Meshlite::start();
    let (_, list) = m.get(CMS).await;
    let r0: u64 = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    for i in 0..5 {
        assert_eq!(
            m.send(
                Method::POST,
                CMS,
                "application/json",
                &cm(&format!("w{i}"), "x")
            )
            .await
            .0,
            201
        );
    }
    let (code, _) = m
        .send(
            Method::PATCH,
            &format!("{CMS}/w1"),
            "application/merge-patch+json",
            &json!({"data": {"k": "y"}}),
        )
        .await;
    assert_eq!(code, 200);
    let (code, _) = m
        .send(
            Method::DELETE,
            &format!("{CMS}/w2"),
            "application/json",
            &json!({}),
        )
        .await;
    assert_eq!(code, 200);
    // Changes outside the watched namespace are not seen.
    let other = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "elsewhere"}});
    assert_eq!(
        m.send(
            Method::POST,
            "/api/v1/namespaces/kube-system/configmaps",
            "application/json",
            &other
        )
        .await
        .0,
        201
    );

    let events = read_events(&m, &format!("{CMS}?watch=true&resourceVersion={r0}"), 7).await;
    let seen: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_string(),
                e["object"]["metadata"]["name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("ADDED", "w0"),
        ("ADDED", "w1"),
        ("ADDED", "w2"),
        ("ADDED", "w3"),
        ("ADDED", "w4"),
        ("MODIFIED", "w1"),
        ("DELETED", "w2"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(seen, want);
    let revs: Vec<u64> = events
        .iter()
        .map(|e| {
            e["object"]["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        revs.windows(2).all(|w| w[0] < w[1]),
        "revisions increase: {revs:?}"
    );
    assert!(revs[0] > r0);

    // Resuming from the middle replays only what came after.
    let events = read_events(
        &m,
        &format!("{CMS}?watch=true&resourceVersion={}", revs[4]),
        2,
    )
    .await;
    assert_eq!(events[0]["type"], "MODIFIED");
    assert_eq!(events[1]["type"], "DELETED");

    // A live change reaches an open watch.
    let path = format!("{CMS}?watch=true&resourceVersion={}", revs[6] + 1);
    let live = tokio::spawn({
        let (http, url, token) = (m.http(), m.url(&path), m.token.clone());
        async move {
            let resp = http.get(url).bearer_auth(token).send().await.unwrap();
            let mut s = resp.bytes_stream();
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), s.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            serde_json::from_slice::<Value>(chunk.split(|b| *b == b'\n').next().unwrap()).unwrap()
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        m.send(Method::POST, CMS, "application/json", &cm("live", "x"))
            .await
            .0,
        201
    );
    let ev = live.await.unwrap();
    assert_eq!(
        (
            ev["type"].as_str(),
            ev["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("live"))
    );
}

#[tokio::test]
async fn watch_from_a_revision_older_than_history_gets_expired() {
    // A short history window so it is easy to fall out of it.
    let m = Meshlite::start_with(&["--watch-history", "20"]);
    for i in 0..40 {
        assert_eq!(
            m.send(
                Method::POST,
                CMS,
                "application/json",
                &cm(&format!("e{i}"), "x")
            )
            .await
            .0,
            201
        );
    }
    let events = read_events(&m, &format!("{CMS}?watch=true&resourceVersion=2"), 1).await;
    assert_eq!(events[0]["type"], "ERROR");
    assert_eq!(events[0]["object"]["code"], 410);
    assert_eq!(events[0]["object"]["reason"], "Expired");
    assert!(events[0]["object"]["message"]
        .as_str()
        .unwrap()
        .starts_with("too old resource version: 2"));
}

#[tokio::test]
async fn acknowledged_creates_survive_sigkill() {
    let mut m = Meshlite::start();
    let n = 300;
    let http = m.http();
    let results = futures::stream::iter(0..n)
        .map(|i| {
            let (http, url, token) = (http.clone(), m.url(CMS), m.token.clone());
            async move {
                let r = http
                    .post(url)
                    .bearer_auth(token)
                    .json(&cm(&format!("d{i}"), &i.to_string()))
                    .send()
                    .await
                    .unwrap();
                r.status().as_u16()
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<u16>>()
        .await;
    assert!(results.iter().all(|c| *c == 201), "{results:?}");
    // Updates and deletes are just as durable as creates.
    let (code, _) = m
        .send(
            Method::PATCH,
            &format!("{CMS}/d0"),
            "application/merge-patch+json",
            &json!({"data": {"k": "changed"}}),
        )
        .await;
    assert_eq!(code, 200);
    let (code, _) = m
        .send(
            Method::DELETE,
            &format!("{CMS}/d1"),
            "application/json",
            &json!({}),
        )
        .await;
    assert_eq!(code, 200);
    let (_, last) = m.get(CMS).await;
    let rev: u64 = last["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // Kill right after the last acknowledgement: no clean shutdown, no final flush.
    m.kill9();
    let dir = m.dir.clone();
    let m2 = Meshlite::start_in(&dir);
    let (_, list) = m2.get(CMS).await;
    let names: std::collections::HashSet<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    for i in 2..n {
        assert!(
            names.contains(&format!("d{i}")),
            "d{i} was acknowledged but lost"
        );
    }
    assert!(!names.contains("d1"), "an acknowledged delete came back");
    let (_, d0) = m2.get(&format!("{CMS}/d0")).await;
    assert_eq!(d0["data"]["k"], "changed");
    // Revisions carry on from where they were: nothing is handed out twice.
    let listed: u64 = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(listed >= rev, "{listed} < {rev}");
    let (code, fresh) = m2
        .send(Method::POST, CMS, "application/json", &cm("after", "x"))
        .await;
    assert_eq!(code, 201);
    let fresh_rev: u64 = fresh["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(fresh_rev > rev);
    drop(m);
}
