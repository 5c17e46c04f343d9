//! IPv4 interface addresses (`struct in_ifaddr`).
//!
//! Only IPv4 addresses are configurable; the IPv6 link-local address is a
//! flag on the link ([`super::Link::ll6`]) derived from its MAC (EUI-64).

use std::net::Ipv4Addr;

/// Address scope (`RT_SCOPE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AddrScope {
    /// `global` (0).
    Global,
    /// `link` (253).
    Link,
    /// `host` (254).
    Host,
}

impl AddrScope {
    /// The name iproute2 prints.
    pub fn as_str(self) -> &'static str {
        match self {
            AddrScope::Global => "global",
            AddrScope::Link => "link",
            AddrScope::Host => "host",
        }
    }

    /// The numeric scope (`RT_SCOPE_*`); smaller is wider.
    pub fn value(self) -> u8 {
        match self {
            AddrScope::Global => 0,
            AddrScope::Link => 253,
            AddrScope::Host => 254,
        }
    }
}

/// One IPv4 address on a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfAddr {
    /// The local address.
    pub addr: Ipv4Addr,
    /// Prefix length.
    pub prefix_len: u8,
    /// Broadcast address, when one was configured (`brd`).
    pub broadcast: Option<Ipv4Addr>,
    /// Scope.
    pub scope: AddrScope,
    /// `IFA_F_SECONDARY`: another address of the same subnet came first.
    pub secondary: bool,
    /// Label (`ip addr add ... label`), normally the device name.
    pub label: Option<String>,
    /// `noprefixroute`.
    pub noprefixroute: bool,
}

impl IfAddr {
    /// The network (address with host bits cleared).
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & mask(self.prefix_len))
    }

    /// Whether `ip` is in this address's subnet.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let m = mask(self.prefix_len);
        u32::from(ip) & m == u32::from(self.addr) & m
    }
}

/// The netmask of a prefix length.
pub fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len.min(32)))
    }
}
