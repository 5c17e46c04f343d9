//! placeholder
#[derive(Clone, Debug, Default)]
pub struct TcpdumpOpts {
    pub link_header: bool,
}
#[derive(Debug, Default)]
pub struct Printer {
    pub opts: TcpdumpOpts,
}
impl Printer {
    pub fn new(opts: TcpdumpOpts) -> Self {
        Printer { opts }
    }
    pub fn frame(&mut self, _out: &mut String, _ts: u64, _f: &[u8]) {}
}
