//! placeholder
use crate::model::{LinkId, NsId, World};
pub fn fdb_show(_w: &World, _ns: NsId, _b: Option<LinkId>, _d: Option<LinkId>) -> String {
    String::new()
}
pub fn link_show(_w: &World, _ns: NsId) -> String {
    String::new()
}
pub fn brctl_show(_w: &World, _ns: NsId) -> String {
    String::new()
}
pub fn brctl_showmacs(_w: &World, _b: LinkId, _n: u64) -> String {
    String::new()
}
pub fn brctl_showstp(_w: &World, _b: LinkId, _n: u64) -> String {
    String::new()
}
