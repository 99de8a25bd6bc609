//! Host port pool: hands out free 127.0.0.1 ports for containers' `containerPort`s.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, TcpListener};
use std::ops::RangeInclusive;

#[cfg(test)]
mod tests;

/// Every port of the pool is handed out or bound by another program.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no free port left in {range}: every port is either in use by a pod or bound by another \
     program; widen the host port range or stop the programs holding these ports"
)]
pub struct Exhausted {
    /// The pool's range, written `first-last`.
    pub range: String,
}

/// The pool of host ports that containers' ports are mapped to.
#[derive(Debug, Clone)]
pub struct PortPool {
    first: u16,
    last: u16,
    /// Ports handed out (or reserved) and not yet released.
    taken: BTreeSet<u16>,
    /// Where the next search starts; rotating through the range avoids handing a just
    /// released port straight to another pod while old clients may still connect to it.
    cursor: u16,
}

// === impl PortPool ===

impl PortPool {
    /// A pool over `range` (e.g. `20000..=29999`). An empty range gives a pool that is
    /// always exhausted.
    pub fn new(range: RangeInclusive<u16>) -> PortPool {
        let (first, last) = (*range.start(), *range.end());
        PortPool {
            first,
            last,
            taken: BTreeSet::new(),
            cursor: first,
        }
    }

    /// Exactly `port` (a container's `hostPort`), wherever it lies; `None` when it is handed
    /// out already or another program holds it.
    pub fn allocate_exact(&mut self, port: u16) -> Option<u16> {
        if self.taken.contains(&port) || !self.is_free(port) {
            return None;
        }
        self.taken.insert(port);
        Some(port)
    }

    /// A free port: `preferred` if free (used to keep a pod's ports across restarts), else
    /// the next free one. Free = not handed out AND bindable on 127.0.0.1 right now.
    ///
    /// `preferred` is honoured only inside the pool's range, so a pool shrunk by a
    /// configuration change never hands out ports outside it.
    pub fn allocate(&mut self, preferred: Option<u16>) -> Result<u16, Exhausted> {
        if let Some(port) = preferred.filter(|p| self.contains(*p) && self.is_free(*p)) {
            self.taken.insert(port);
            return Ok(port);
        }
        if self.first <= self.last {
            let size = u32::from(self.last) - u32::from(self.first) + 1;
            let start = u32::from(self.cursor.clamp(self.first, self.last)) - u32::from(self.first);
            for step in 0..size {
                let offset = (start + step) % size;
                let Ok(port) = u16::try_from(u32::from(self.first) + offset) else {
                    continue;
                };
                if self.is_free(port) {
                    self.taken.insert(port);
                    self.cursor = if port == self.last {
                        self.first
                    } else {
                        port + 1
                    };
                    return Ok(port);
                }
            }
        }
        Err(Exhausted {
            range: format!("{}-{}", self.first, self.last),
        })
    }

    /// Give `port` back to the pool. Unknown ports are ignored.
    pub fn release(&mut self, port: u16) {
        self.taken.remove(&port);
    }

    /// Mark `port` in use without checking that it is bindable: at start-up the pods that
    /// keep their ports may already be listening on them. Returns false if the port was
    /// already taken in the pool. Ports outside the range are recorded too, so they are
    /// never handed out twice should the range grow.
    pub fn reserve(&mut self, port: u16) -> bool {
        self.taken.insert(port)
    }

    /// Whether `port` is currently handed out or reserved.
    pub fn is_taken(&self, port: u16) -> bool {
        self.taken.contains(&port)
    }

    fn contains(&self, port: u16) -> bool {
        (self.first..=self.last).contains(&port)
    }

    fn is_free(&self, port: u16) -> bool {
        !self.taken.contains(&port) && bindable(port)
    }
}

/// Whether nothing else holds `port` on the loopback address right now.
fn bindable(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}
