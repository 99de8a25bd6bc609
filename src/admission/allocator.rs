//! Service address allocation: ClusterIPs from 10.96.0.0/12 and NodePorts from 30000–32767.

use rand::Rng;
use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::ops::RangeInclusive;

/// The service CIDR: 10.96.0.0/12, as kubeadm's default.
const CIDR_BASE: u32 = u32::from_be_bytes([10, 96, 0, 0]);
const CIDR_SIZE: u32 = 1 << 20;
/// The kube-apiserver's own Service (`kubernetes`) takes the first address.
pub const API_SERVICE_IP: Ipv4Addr = Ipv4Addr::new(10, 96, 0, 1);
pub const NODE_PORT_MIN: u16 = 30000;
pub const NODE_PORT_MAX: u16 = 32767;

/// Why an address could not be had.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("provided IP is already allocated")]
    IpTaken,
    #[error("provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/12")]
    IpOutOfRange,
    #[error("provided port is already allocated")]
    PortTaken,
    #[error("provided port is not in the valid range. The range of valid ports is {0}-{1}")]
    PortOutOfRange(u16, u16),
    #[error("range is full")]
    Full,
}

/// Which addresses are in use.
#[derive(Debug)]
pub struct Allocator {
    ips: HashSet<u32>,
    ports: HashSet<u16>,
    /// The NodePort range (kube-apiserver's `--service-node-port-range`).
    port_range: RangeInclusive<u16>,
}

impl Default for Allocator {
    fn default() -> Self {
        Allocator::new(NODE_PORT_MIN..=NODE_PORT_MAX)
    }
}

// === impl Allocator ===

impl Allocator {
    /// An allocator handing out NodePorts from `port_range`.
    pub fn new(port_range: RangeInclusive<u16>) -> Allocator {
        Allocator {
            ips: HashSet::new(),
            ports: HashSet::new(),
            port_range,
        }
    }

    /// Take a specific ClusterIP.
    pub fn take_ip(&mut self, ip: &str) -> Result<(), Error> {
        let addr: Ipv4Addr = ip.parse().map_err(|_| Error::IpOutOfRange)?;
        let n = u32::from(addr);
        if !(CIDR_BASE..CIDR_BASE + CIDR_SIZE).contains(&n) {
            return Err(Error::IpOutOfRange);
        }
        if !self.ips.insert(n) {
            return Err(Error::IpTaken);
        }
        Ok(())
    }

    /// Take a random free ClusterIP (network and broadcast addresses excluded).
    pub fn any_ip(&mut self) -> Result<String, Error> {
        let mut rng = rand::thread_rng();
        for _ in 0..10_000 {
            let n = CIDR_BASE + rng.gen_range(2..CIDR_SIZE - 1);
            if self.ips.insert(n) {
                return Ok(Ipv4Addr::from(n).to_string());
            }
        }
        Err(Error::Full)
    }

    pub fn release_ip(&mut self, ip: &str) {
        if let Ok(addr) = ip.parse::<Ipv4Addr>() {
            self.ips.remove(&u32::from(addr));
        }
    }

    /// Take a specific NodePort.
    pub fn take_port(&mut self, port: u16) -> Result<(), Error> {
        if !self.port_range.contains(&port) {
            return Err(Error::PortOutOfRange(
                *self.port_range.start(),
                *self.port_range.end(),
            ));
        }
        if !self.ports.insert(port) {
            return Err(Error::PortTaken);
        }
        Ok(())
    }

    /// Take a random free NodePort.
    pub fn any_port(&mut self) -> Result<u16, Error> {
        let mut rng = rand::thread_rng();
        for _ in 0..10_000 {
            let p = rng.gen_range(self.port_range.clone());
            if self.ports.insert(p) {
                return Ok(p);
            }
        }
        self.port_range
            .clone()
            .find(|p| self.ports.insert(*p))
            .ok_or(Error::Full)
    }

    pub fn release_port(&mut self, port: u16) {
        self.ports.remove(&port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips_and_ports() {
        let mut a = Allocator::default();
        a.take_ip("10.96.0.10").unwrap();
        assert_eq!(a.take_ip("10.96.0.10"), Err(Error::IpTaken));
        assert_eq!(a.take_ip("192.168.0.1"), Err(Error::IpOutOfRange));
        let ip: Ipv4Addr = a.any_ip().unwrap().parse().unwrap();
        assert!((CIDR_BASE..CIDR_BASE + CIDR_SIZE).contains(&u32::from(ip)));
        a.release_ip("10.96.0.10");
        a.take_ip("10.96.0.10").unwrap();
        a.take_port(30187).unwrap();
        assert_eq!(a.take_port(30187), Err(Error::PortTaken));
        let p = a.any_port().unwrap();
        assert!((NODE_PORT_MIN..=NODE_PORT_MAX).contains(&p) && p != 30187);
        assert_eq!(a.take_port(80), Err(Error::PortOutOfRange(30000, 32767)));
        let mut small = Allocator::new(31000..=31001);
        let (x, y) = (small.any_port().unwrap(), small.any_port().unwrap());
        assert!(x != y && (31000..=31001).contains(&x) && (31000..=31001).contains(&y));
        assert_eq!(small.any_port(), Err(Error::Full));
    }
}
