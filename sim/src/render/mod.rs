//! render (placeholder until the capture helper's module lands)
pub mod ping;
pub mod tcpdump;
