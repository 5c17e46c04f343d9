//! placeholder
use crate::model::{LinkId, NsId, World};
#[derive(Debug, Default, Clone)]
pub struct ShowOpts {
    pub brief: bool,
    pub details: bool,
    pub stats: u8,
    pub json: bool,
    pub pretty: bool,
}
pub fn netns_list(_w: &World) -> String {
    String::new()
}
pub fn link_show(_w: &World, _ns: NsId, _d: Option<LinkId>, _o: &ShowOpts) -> String {
    String::new()
}
pub fn addr_show(_w: &World, _ns: NsId, _d: Option<LinkId>, _o: &ShowOpts) -> String {
    String::new()
}
pub fn route_show(_w: &World, _ns: NsId, _t: u32, _o: &ShowOpts) -> String {
    String::new()
}
pub fn neigh_show(_w: &World, _ns: NsId, _d: Option<LinkId>, _o: &ShowOpts) -> String {
    String::new()
}
pub fn route_get(
    _e: &crate::engine::Engine,
    _ns: NsId,
    _d: std::net::Ipv4Addr,
    _o: Option<LinkId>,
) -> Option<String> {
    None
}
