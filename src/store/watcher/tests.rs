//! The watcher against a real store on a temporary directory: listing, changes, relisting.

use super::{Event, Trigger, Watcher};
use crate::store::Store;
use serde_json::{json, Value};
use std::time::Duration;

const PREFIX: &str = "/registry/core/configmaps/default/";

fn open(history: usize) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), history).unwrap();
    (dir, store)
}

fn cm(name: &str, data: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": name, "namespace": "default"}, "data": {"v": data}})
}

async fn put(store: &Store, name: &str, data: &str) -> Value {
    let key = format!("{PREFIX}{name}");
    match store.get(&key).unwrap() {
        Some(_) => store.update(&key, cm(name, data)).await.unwrap(),
        None => store.create(&key, cm(name, data)).await.unwrap(),
    }
}

async fn next(w: &mut Watcher) -> Event {
    tokio::time::timeout(Duration::from_secs(10), w.next())
        .await
        .expect("an event within 10 s")
        .expect("the store is open")
}

async fn wait(t: &mut Trigger) -> bool {
    tokio::time::timeout(Duration::from_secs(10), t.changed())
        .await
        .expect("a wake-up within 10 s")
}

fn names(items: &[Value]) -> Vec<&str> {
    items.iter().map(crate::api::meta::name).collect()
}

fn data(obj: &Value) -> &str {
    obj["data"]["v"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn lists_first_then_follows_changes() {
    let (_dir, store) = open(100);
    put(&store, "a", "1").await;
    // Outside the prefix: never seen.
    store
        .create("/registry/core/configmaps/other/x", cm("x", "0"))
        .await
        .unwrap();
    let mut w = Watcher::new(store.clone(), PREFIX);
    let Event::Init(items) = next(&mut w).await else {
        panic!("the first event is the listing");
    };
    assert_eq!(names(&items), ["a"]);

    put(&store, "b", "1").await;
    put(&store, "a", "2").await;
    store.delete(&format!("{PREFIX}b"), None).await.unwrap();
    match next(&mut w).await {
        Event::Apply(o) => assert_eq!((crate::api::meta::name(&o), data(&o)), ("b", "1")),
        other => panic!("expected b's creation, got {other:?}"),
    }
    match next(&mut w).await {
        Event::Apply(o) => assert_eq!((crate::api::meta::name(&o), data(&o)), ("a", "2")),
        other => panic!("expected a's change, got {other:?}"),
    }
    match next(&mut w).await {
        Event::Delete(o) => {
            assert_eq!(crate::api::meta::name(&o), "b");
            // The last state, stamped with the deletion's revision.
            assert_eq!(
                crate::api::meta::resource_version(&o),
                Some(store.revision().to_string().as_str())
            );
        }
        other => panic!("expected b's deletion, got {other:?}"),
    }
}

#[tokio::test]
async fn a_change_between_listing_and_watching_is_not_lost() {
    let (_dir, store) = open(100);
    let mut w = Watcher::new(store.clone(), PREFIX);
    assert_eq!(next(&mut w).await, Event::Init(vec![]));
    // The watch starts only at the next call, from the listing's revision.
    let stored = put(&store, "a", "1").await;
    assert_eq!(next(&mut w).await, Event::Apply(stored));
}

#[tokio::test]
async fn relists_when_the_history_moved_past_the_listing() {
    // One event of history: two writes after the listing push its revision out of the window.
    let (_dir, store) = open(1);
    put(&store, "a", "1").await;
    let mut w = Watcher::new(store.clone(), PREFIX);
    let Event::Init(items) = next(&mut w).await else {
        panic!("the first event is the listing");
    };
    assert_eq!(names(&items), ["a"]);
    put(&store, "b", "1").await;
    put(&store, "a", "2").await;
    let Event::Init(items) = next(&mut w).await else {
        panic!("falling behind lists again");
    };
    assert_eq!(names(&items), ["a", "b"]);
    assert_eq!(data(&items[0]), "2");
    // And follows on from the new listing.
    let stored = put(&store, "c", "1").await;
    assert_eq!(next(&mut w).await, Event::Apply(stored));
}

#[tokio::test]
async fn relists_when_the_live_feed_lagged() {
    // The live feed holds 1024 events; a watcher that reads none of 1100 has lagged.
    let (_dir, store) = open(1);
    let mut w = Watcher::new(store.clone(), PREFIX);
    assert_eq!(next(&mut w).await, Event::Init(vec![]));
    let first = put(&store, "first", "1").await;
    assert_eq!(next(&mut w).await, Event::Apply(first));
    let writes = (0..1100).map(|i| {
        let store = store.clone();
        async move { put(&store, &format!("cm-{i:04}"), "1").await }
    });
    futures::future::join_all(writes).await;
    let Event::Init(items) = next(&mut w).await else {
        panic!("lagging lists again");
    };
    assert_eq!(items.len(), 1101);
}

#[tokio::test]
async fn trigger_fires_at_start_and_coalesces_bursts() {
    let (_dir, store) = open(100);
    let other = "/registry/core/secrets/default/";
    let mut t = Trigger::new(&store, [PREFIX.to_string(), other.to_string()]);
    assert!(wait(&mut t).await, "the first listing wakes");
    // Let both listings land, then drain what they left.
    tokio::time::sleep(Duration::from_millis(100)).await;
    while tokio::time::timeout(Duration::from_millis(50), t.changed())
        .await
        .is_ok()
    {}
    for i in 0..10 {
        put(&store, &format!("cm-{i}"), "1").await;
    }
    store
        .create(&format!("{other}s"), json!({"metadata": {"name": "s"}}))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(wait(&mut t).await, "changes wake");
    // Eleven changes while nobody waited: one wake-up.
    assert!(
        tokio::time::timeout(Duration::from_millis(200), t.changed())
            .await
            .is_err(),
        "a burst is one wake-up"
    );
    // Outside its prefixes: no wake-up.
    store
        .create(
            "/registry/core/pods/default/p",
            json!({"metadata": {"name": "p"}}),
        )
        .await
        .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(200), t.changed())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn the_stream_carries_the_same_events() {
    use futures::StreamExt;
    let (_dir, store) = open(100);
    let a = put(&store, "a", "1").await;
    let mut events = Box::pin(Watcher::new(store.clone(), PREFIX).into_stream());
    assert_eq!(events.next().await, Some(Event::Init(vec![a])));
    store.delete(&format!("{PREFIX}a"), None).await.unwrap();
    let Some(Event::Delete(gone)) = events.next().await else {
        panic!("expected a's deletion");
    };
    assert_eq!(crate::api::meta::name(&gone), "a");
}
