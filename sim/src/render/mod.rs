//! render placeholder
pub mod bridge;
pub mod iproute;
pub mod nettools;
pub mod ping;
pub mod tcpdump;
