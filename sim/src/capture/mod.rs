//! placeholder until the filter lands
pub mod pcap;
pub mod filter {
    //! placeholder
    #[derive(Debug)]
    pub struct Filter;
    impl Filter {
        pub fn parse(_e: &str) -> Result<Filter, String> {
            Ok(Filter)
        }
        pub fn matches(&self, _f: &[u8]) -> bool {
            true
        }
    }
}
