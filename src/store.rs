//! The durable object store: raw JSON objects in sled, one global revision, optimistic concurrency.
//!
//! Every write takes the single write lock just long enough to read the current value, stamp the
//! next revision into `metadata.resourceVersion` and hand the object to sled; it is acknowledged
//! only after [`commit`] has flushed it to disk. Writers that arrive while a flush runs share the
//! next one (group commit), which is what makes many concurrent durable writes cheap.

pub mod commit;
pub mod wal;
pub mod watch;
pub mod watcher;

use serde_json::Value;
use std::path::Path;
use std::sync::{Arc, Mutex};

pub use watch::{Event, EventType, Watch};

/// The store's page cache, in bytes.
const SLED_CACHE: u64 = 16 << 20;

/// The key under which the revision of the last checkpoint is kept, outside the `/registry/`
/// key space.
pub(crate) const REV_KEY: &[u8] = b"\0rev";

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No object under that key.
    #[error("not found")]
    NotFound,
    /// Create found an object already there.
    #[error("already exists")]
    AlreadyExists,
    /// The caller's resourceVersion is not the stored one.
    #[error("the object has been modified; please apply your changes to the latest version and try again")]
    Conflict,
    /// A watch asked for a revision older than the kept history.
    #[error("too old resource version: {requested} ({oldest})")]
    Expired { requested: u64, oldest: u64 },
    /// A stored value is not valid JSON (the database was edited by something else).
    #[error("stored object at {key} is corrupt: {source}")]
    Corrupt {
        key: String,
        source: serde_json::Error,
    },
    /// sled failed: the disk is full, gone, or the data dir is unreadable.
    #[error("storage error: {0}")]
    Storage(#[from] sled::Error),
    /// The write-ahead log could not be read or written.
    #[error("cannot use the store's log {path}: {source}")]
    Log {
        path: String,
        source: std::io::Error,
    },
    /// The operation was refused by the caller's own check (validation, admission).
    #[error("{0}")]
    Rejected(Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a read-modify-write decides to do with the object under a key.
pub enum Change {
    /// Store this value (created or replaced).
    Put(Value),
    /// Remove the object.
    Delete,
    /// Leave things as they are (no revision is spent).
    Keep,
}

/// A cheap, cloneable handle to the store.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: sled::Db,
    tree: sled::Tree,
    /// Serialises revision assignment; held only while sled applies one write.
    write: Mutex<u64>,
    commit: commit::GroupCommit,
    hub: watch::Hub,
}

// === impl Store ===

impl Store {
    /// Open (or create) the store in `dir` (sled in `dir/sled`, the log in `dir/wal`), replaying
    /// the log, and keeping `history` events for watch resumption.
    pub fn open(dir: &Path, history: usize) -> Result<Store> {
        // sled's page cache would grow toward 1 GiB by default; a laptop's objects fit in a
        // small fraction of this, and the rest of the memory is the user's.
        let db = sled::Config::new()
            .path(dir.join("sled"))
            .cache_capacity(SLED_CACHE)
            .open()?;
        let tree = db.open_tree("objects")?;
        let wal_path = dir.join("wal");
        let log_err = |source| Error::Log {
            path: wal_path.display().to_string(),
            source,
        };
        let (mut wal, records) = wal::Wal::open(&wal_path).map_err(log_err)?;
        let mut rev = highest_revision(&tree)?;
        if !records.is_empty() {
            // Replay in order: each record is a whole value, so the last one for a key wins, and
            // anything sled already had is simply written again.
            let mut batch = sled::Batch::default();
            for r in &records {
                match &r.value {
                    Some(v) => batch.insert(r.key.as_slice(), v.as_slice()),
                    None => batch.remove(r.key.as_slice()),
                }
                rev = rev.max(r.rev);
            }
            batch.insert(REV_KEY, rev.to_string().as_bytes());
            tree.apply_batch(batch)?;
            db.flush()?;
            wal.truncate().map_err(log_err)?;
        }
        let commit = commit::GroupCommit::start(db.clone(), tree.clone(), wal, rev);
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                tree,
                write: Mutex::new(rev),
                commit,
                hub: watch::Hub::new(history, rev),
            }),
        })
    }

    /// The latest assigned revision.
    pub fn revision(&self) -> u64 {
        *self.lock()
    }

    /// One object.
    pub fn get(&self, key: &str) -> Result<Option<Value>> {
        match self.inner.tree.get(key.as_bytes())? {
            Some(bytes) => Ok(Some(decode(key, &bytes)?)),
            None => Ok(None),
        }
    }

    /// Whether an object exists under `key` (without decoding it).
    pub fn contains(&self, key: &str) -> Result<bool> {
        Ok(self.inner.tree.contains_key(key.as_bytes())?)
    }

    /// Every object whose key starts with `prefix`, with the revision the listing is consistent at.
    pub fn list(&self, prefix: &str) -> Result<(Vec<Value>, u64)> {
        // Holding the write lock makes the scan and the revision one consistent snapshot, so a
        // client that watches from the returned revision misses nothing and sees nothing twice.
        let guard = self.lock();
        let mut out = Vec::new();
        for item in self.inner.tree.scan_prefix(prefix.as_bytes()) {
            let (k, v) = item?;
            out.push(decode(&String::from_utf8_lossy(&k), &v)?);
        }
        Ok((out, *guard))
    }

    /// Atomically read the object under `key`, decide what to do with it, and apply that.
    ///
    /// `decide` sees the current value (or `None`) and returns the [`Change`]. The new revision is
    /// stamped into the stored object's `metadata.resourceVersion`. The returned value is what
    /// was stored (or, for a delete, the last value with the deletion's revision); it is returned
    /// only once durable.
    pub async fn mutate<F>(&self, key: &str, decide: F) -> Result<Option<Value>>
    where
        F: FnOnce(Option<&Value>) -> Result<Change>,
    {
        let (result, durable) = self.mutate_now(key, decide)?;
        if let Some(durable) = durable {
            durable.wait().await;
        }
        Ok(result)
    }

    /// The synchronous part of [`mutate`]: everything but waiting for the flush.
    fn mutate_now<F>(
        &self,
        key: &str,
        decide: F,
    ) -> Result<(Option<Value>, Option<commit::Durable>)>
    where
        F: FnOnce(Option<&Value>) -> Result<Change>,
    {
        let mut rev_guard = self.lock();
        let current = match self.inner.tree.get(key.as_bytes())? {
            Some(b) => Some(decode(key, &b)?),
            None => None,
        };
        let change = decide(current.as_ref())?;
        let rev = *rev_guard + 1;
        let (event, stored, value) = match change {
            Change::Keep => return Ok((current, None)),
            Change::Put(mut obj) => {
                set_resource_version(&mut obj, rev);
                let bytes = serde_json::to_vec(&obj).map_err(|e| Error::Corrupt {
                    key: key.into(),
                    source: e,
                })?;
                // One plain insert: sled's multi-key batches force its log out to disk, which
                // the write-ahead log already takes care of far more cheaply.
                self.inner.tree.insert(key.as_bytes(), bytes.as_slice())?;
                let kind = if current.is_some() {
                    EventType::Modified
                } else {
                    EventType::Added
                };
                (kind, obj, Some(bytes))
            }
            Change::Delete => {
                let Some(mut last) = current else {
                    return Err(Error::NotFound);
                };
                self.inner.tree.remove(key.as_bytes())?;
                set_resource_version(&mut last, rev);
                (EventType::Deleted, last, None)
            }
        };
        *rev_guard = rev;
        let record = wal::Record {
            rev,
            key: key.as_bytes().to_vec(),
            value,
        };
        let durable = self.inner.commit.written(&record);
        self.inner.hub.publish(Event {
            kind: event,
            key: key.to_string(),
            rev,
            object: stored.clone(),
        });
        Ok((Some(stored), Some(durable)))
    }

    /// Create: fails with [`Error::AlreadyExists`] when the key is taken.
    pub async fn create(&self, key: &str, obj: Value) -> Result<Value> {
        let stored = self
            .mutate(key, |cur| match cur {
                Some(_) => Err(Error::AlreadyExists),
                None => Ok(Change::Put(obj)),
            })
            .await?;
        stored.ok_or(Error::NotFound)
    }

    /// Replace: fails with [`Error::Conflict`] when `obj` carries a resourceVersion that is not
    /// the stored one, and [`Error::NotFound`] when there is nothing to replace.
    pub async fn update(&self, key: &str, obj: Value) -> Result<Value> {
        let stored = self
            .mutate(key, |cur| {
                let cur = cur.ok_or(Error::NotFound)?;
                check_precondition(cur, crate::api::meta::resource_version(&obj))?;
                Ok(Change::Put(obj))
            })
            .await?;
        stored.ok_or(Error::NotFound)
    }

    /// Delete, optionally only if the stored resourceVersion is `precondition`.
    pub async fn delete(&self, key: &str, precondition: Option<&str>) -> Result<Value> {
        let stored = self
            .mutate(key, |cur| {
                let cur = cur.ok_or(Error::NotFound)?;
                check_precondition(cur, precondition)?;
                Ok(Change::Delete)
            })
            .await?;
        stored.ok_or(Error::NotFound)
    }

    /// Follow changes under `prefix` after revision `from` (`None`: from now on).
    pub fn watch(&self, prefix: &str, from: Option<u64>) -> Result<Watch> {
        // Subscribing under the write lock closes the gap between the history snapshot and the
        // live feed: no event can be published in between.
        let guard = self.lock();
        self.inner.hub.subscribe(prefix, from.unwrap_or(*guard))
    }

    /// Flush everything now (used at shutdown).
    pub fn flush(&self) -> Result<()> {
        self.inner.db.flush()?;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, u64> {
        // A panic while holding the lock cannot leave sled half-written (each write is one key), so
        // a poisoned lock is still safe to use.
        self.inner.write.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Compare a client's resourceVersion with the stored one.
pub fn check_precondition(current: &Value, wanted: Option<&str>) -> Result<()> {
    match wanted {
        Some(rv) if Some(rv) != crate::api::meta::resource_version(current) => Err(Error::Conflict),
        _ => Ok(()),
    }
}

/// The highest revision the tree knows: the one recorded at the last checkpoint, or a newer
/// one carried by an object that sled wrote out after it (so no revision is ever handed out twice).
fn highest_revision(tree: &sled::Tree) -> Result<u64> {
    let mut rev = match tree.get(REV_KEY)? {
        Some(b) => std::str::from_utf8(&b)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        None => 0,
    };
    for item in tree.scan_prefix(b"/") {
        let (k, v) = item?;
        let obj = decode(&String::from_utf8_lossy(&k), &v)?;
        if let Some(r) =
            crate::api::meta::resource_version(&obj).and_then(|r| r.parse::<u64>().ok())
        {
            rev = rev.max(r);
        }
    }
    Ok(rev)
}

fn set_resource_version(obj: &mut Value, rev: u64) {
    crate::api::meta::metadata_mut(obj)
        .insert("resourceVersion".into(), Value::String(rev.to_string()));
}

fn decode(key: &str, bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice(bytes).map_err(|e| Error::Corrupt {
        key: key.to_string(),
        source: e,
    })
}
