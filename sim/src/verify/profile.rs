//! Reading the host profile from the running kernel (the data type lives in
//! [`crate::model::profile`]).

use std::collections::BTreeMap;
use std::path::Path;

pub use crate::model::profile::{HostProfile, SYSCTL_KEYS};

use super::VerifyError;

fn parse_value(key: &str, value: &str, line: usize) -> Result<u8, VerifyError> {
    Ok(crate::model::profile::parse_value(key, value, line)?)
}

impl HostProfile {
    /// Reads the profile from `/proc/sys` of the current network namespace
    /// (the initial one when netsim runs on the host).
    ///
    /// `br_netfilter` counts as loaded when `/proc/sys/net/bridge` or
    /// `/sys/module/br_netfilter` exists.
    ///
    /// # Errors
    ///
    /// [`VerifyError::Io`] when a sysctl file that every IPv4 kernel has cannot
    /// be read, [`VerifyError::Profile`] when it does not hold a small integer.
    pub fn read_from_kernel() -> Result<HostProfile, VerifyError> {
        let mut profile = HostProfile::read_from_sysctl_root(Path::new("/proc/sys"))?;
        if Path::new("/sys/module/br_netfilter").exists() {
            profile.br_netfilter_loaded = true;
        }
        Ok(profile)
    }

    /// Reads the profile from a directory laid out like `/proc/sys`.
    ///
    /// Missing `net/bridge/*` files mean `br_netfilter` is not loaded (module
    /// defaults are kept); a missing `net/core/devconf_inherit_init_net`
    /// (older kernels, or any non-initial namespace) reads as 0.
    ///
    /// # Errors
    ///
    /// As [`HostProfile::read_from_kernel`].
    pub fn read_from_sysctl_root(root: &Path) -> Result<HostProfile, VerifyError> {
        let mut profile = HostProfile::plain();
        profile.br_netfilter_loaded = root.join("net/bridge").is_dir();
        for key in SYSCTL_KEYS {
            let path = root.join(key.replace('.', "/"));
            let optional = key.starts_with("net.bridge.") || key.starts_with("net.core.");
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(err) if optional && err.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(VerifyError::Io { path, source }),
            };
            let value = parse_value(key, text.trim(), 0)?;
            profile.set(key, value);
        }
        Ok(profile)
    }

    /// Builds a profile from `(sysctl name, value)` pairs as read inside a
    /// namespace; keys not given keep their value from `base`.
    ///
    /// # Errors
    ///
    /// [`VerifyError::Profile`] for an unknown key or a value that is not a
    /// small integer.
    pub fn from_sysctl_values(
        base: &HostProfile,
        values: &BTreeMap<String, String>,
        br_netfilter_loaded: bool,
    ) -> Result<HostProfile, VerifyError> {
        let mut profile = base.clone();
        profile.br_netfilter_loaded = br_netfilter_loaded;
        for (key, text) in values {
            let value = parse_value(key, text.trim(), 0)?;
            if !profile.set(key, value) {
                return Err(VerifyError::Profile(crate::model::profile::ProfileError {
                    line: 0,
                    message: format!("unknown key `{key}`"),
                }));
            }
        }
        Ok(profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::profile::ProfileError;

    #[test]
    fn reads_a_sysctl_tree() {
        let root = std::env::temp_dir().join(format!("netsim-profile-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for key in SYSCTL_KEYS {
            if key.starts_with("net.bridge.") || key.starts_with("net.core.") {
                continue;
            }
            let path = root.join(key.replace('.', "/"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "0\n").unwrap();
        }
        std::fs::write(root.join("net/ipv4/conf/all/rp_filter"), "2\n").unwrap();
        let p = HostProfile::read_from_sysctl_root(&root).unwrap();
        assert_eq!(p, HostProfile { rp_filter_all: 2, ..HostProfile::plain() });

        std::fs::create_dir_all(root.join("net/bridge")).unwrap();
        std::fs::write(root.join("net/bridge/bridge-nf-call-iptables"), "0\n").unwrap();
        let p = HostProfile::read_from_sysctl_root(&root).unwrap();
        assert!(p.br_netfilter_loaded);
        assert_eq!(p.bridge_nf_call_iptables, 0);

        std::fs::write(root.join("net/ipv4/ip_forward"), "on\n").unwrap();
        assert!(matches!(HostProfile::read_from_sysctl_root(&root), Err(VerifyError::Profile(ProfileError { .. }))));
        std::fs::remove_file(root.join("net/ipv4/ip_forward")).unwrap();
        assert!(matches!(HostProfile::read_from_sysctl_root(&root), Err(VerifyError::Io { .. })));
        let _ = std::fs::remove_dir_all(&root);
    }
}
