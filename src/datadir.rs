//! Where meshlite keeps its state: the data dir and the files in it.

use std::path::{Path, PathBuf};

/// The data dir (`--data-dir`, `MESHLITE_HOME`, default `~/.meshlite`) and its layout.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

// === impl DataDir ===

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }

    /// `~/.meshlite`, or `./.meshlite` when there is no home.
    pub fn default_root() -> PathBuf {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".meshlite")
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The sled database.
    pub fn db(&self) -> PathBuf {
        self.root.join("db")
    }

    pub fn pki(&self) -> PathBuf {
        self.root.join("pki")
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.root.join("kubeconfig")
    }

    pub fn token(&self) -> PathBuf {
        self.root.join("token")
    }

    /// Held (flock) by the running `up`.
    pub fn lock(&self) -> PathBuf {
        self.root.join("up.lock")
    }

    /// `{"pid":…, "apiPort":…}` of the running `up`, for messages and tests.
    pub fn state(&self) -> PathBuf {
        self.root.join("up.json")
    }
}
