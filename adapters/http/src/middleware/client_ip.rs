//! The client's IP address: the connection's peer, unless that peer is a
//! trusted reverse proxy, in which case the nearest untrusted address in
//! `X-Forwarded-For`. A client cannot choose its own address by sending the
//! header: entries are only believed as far as trusted proxies vouch for them.

use std::{net::IpAddr, sync::Arc};

use poem::{Endpoint, IntoResponse, Request, Response, Result};

use crate::AppState;

/// An IP network: an address and a prefix length (`10.0.0.0/8`, `::1/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNetwork {
    address: IpAddr,
    prefix: u8,
}

/// A string that is not an IP address or network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address or network (like 10.0.0.1 or 10.0.0.0/8)")]
pub struct InvalidNetwork(pub String);

impl IpNetwork {
    /// Parses `ADDRESS` or `ADDRESS/PREFIX`.
    pub fn parse(text: &str) -> Result<Self, InvalidNetwork> {
        let invalid = || InvalidNetwork(text.to_owned());
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let address: IpAddr = address.parse().map_err(|_| invalid())?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.parse::<u8>().map_err(|_| invalid())?,
            None => bits,
        };
        if prefix > bits {
            return Err(invalid());
        }
        Ok(Self { address, prefix })
    }

    /// Whether `ip` is in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => same_prefix(
                u128::from(network.to_bits()) << 96,
                u128::from(ip.to_bits()) << 96,
                self.prefix,
            ),
            (IpAddr::V6(network), IpAddr::V6(ip)) => {
                same_prefix(network.to_bits(), ip.to_bits(), self.prefix)
            }
            _ => false,
        }
    }
}

fn same_prefix(a: u128, b: u128, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    a & mask == b & mask
}

/// Which peers may tell Latch the client's address.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNetwork>);

impl TrustedProxies {
    /// Trusts the given networks.
    pub fn new(networks: Vec<IpNetwork>) -> Self {
        Self(networks)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(ip))
    }

    /// Whether the request's connection comes from a trusted proxy itself.
    pub fn is_trusted_peer(&self, req: &Request) -> bool {
        req.remote_addr()
            .as_socket_addr()
            .is_some_and(|peer| self.trusts(canonical(peer.ip())))
    }

    /// The client address of a request: walks `X-Forwarded-For` from the
    /// right for as long as each hop is a trusted proxy.
    pub fn client_ip(&self, req: &Request) -> Option<IpAddr> {
        let peer = req.remote_addr().as_socket_addr()?.ip();
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect::<Vec<_>>();
        Some(self.client_behind(peer, &forwarded))
    }

    /// The client address behind a connection from `peer` that carried these
    /// `X-Forwarded-For` header values.
    fn client_behind(&self, peer: IpAddr, forwarded: &[&str]) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded
            .iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Ok(hop) = hop.parse::<IpAddr>().map(canonical) else {
                break;
            };
            client = hop;
            if !self.trusts(hop) {
                break;
            }
        }
        client
    }
}

/// IPv4 peers on a dual-stack socket appear as `::ffff:a.b.c.d`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Names the client's address (as the trusted proxies report it) on the
/// request's span, so every log line and audit event of the request says
/// where it came from.
pub(crate) async fn record_on_span<E: Endpoint>(inner: Arc<E>, req: Request) -> Result<Response> {
    let client_ip = req
        .data::<Arc<AppState>>()
        .and_then(|state| state.proxies.client_ip(&req));
    if let Some(ip) = client_ip {
        tracing::Span::current().record("client_ip", tracing::field::display(ip));
    }
    Ok(inner.call(req).await?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(networks: &[&str]) -> TrustedProxies {
        TrustedProxies::new(
            networks
                .iter()
                .map(|text| IpNetwork::parse(text).unwrap())
                .collect(),
        )
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_match() {
        let private = IpNetwork::parse("10.0.0.0/8").unwrap();
        assert!(private.contains(ip("10.20.30.40")));
        assert!(!private.contains(ip("11.0.0.1")));
        assert!(IpNetwork::parse("::1").unwrap().contains(ip("::1")));
        assert!(
            IpNetwork::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
        assert!(!IpNetwork::parse("0.0.0.0/0").unwrap().contains(ip("::1")));
        for bad in ["", "10.0.0.0/33", "nowhere", "10.0.0.0/x", "::/129"] {
            assert!(IpNetwork::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let client = TrustedProxies::default().client_behind(ip("203.0.113.9"), &["198.51.100.1"]);
        assert_eq!(client, ip("203.0.113.9"));
    }

    #[test]
    fn a_trusted_proxy_is_believed_about_the_hop_before_it() {
        let client = proxies(&["10.0.0.0/8"]).client_behind(ip("10.0.0.2"), &["198.51.100.1"]);
        assert_eq!(client, ip("198.51.100.1"));
    }

    #[test]
    fn a_client_cannot_forge_its_address_through_the_proxy() {
        // The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended
        // the address it saw.
        let client =
            proxies(&["10.0.0.0/8"]).client_behind(ip("10.0.0.2"), &["1.2.3.4, 198.51.100.1"]);
        assert_eq!(client, ip("198.51.100.1"));
    }

    #[test]
    fn chains_of_trusted_proxies_are_walked() {
        let client =
            proxies(&["10.0.0.0/8"]).client_behind(ip("10.0.0.2"), &["198.51.100.1", "10.0.0.3"]);
        assert_eq!(client, ip("198.51.100.1"));
    }

    #[test]
    fn ipv4_mapped_peers_are_plain_ipv4() {
        let client = TrustedProxies::default().client_behind(ip("::ffff:192.0.2.7"), &[]);
        assert_eq!(client, ip("192.0.2.7"));
    }
}
