//! placeholder
use crate::model::{LinkId, NsId, World};
pub fn ifconfig(_w: &World, _ns: NsId, _d: Option<LinkId>, _a: bool) -> String {
    String::new()
}
pub fn route_n(_w: &World, _ns: NsId) -> String {
    String::new()
}
pub fn arp_n(_w: &World, _ns: NsId) -> String {
    String::new()
}
