//! The host profile: the starting conditions a new network namespace inherits.
//!
//! A new netns is not born with textbook defaults. With
//! `net.core.devconf_inherit_init_net=0` (the kernel default) it copies the
//! IPv4 `conf/all` and `conf/default` settings (`ip_forward`, `rp_filter`,
//! `arp_*`) of the machine's *initial* namespace, and when the `br_netfilter`
//! module is loaded every namespace starts with the per-netns
//! `net.bridge.bridge-nf-call-*` switches at the module default of 1.
//! [`HostProfile`] is that set of values, as data.
//!
//! What it does: read the values from `/proc/sys` ([`HostProfile::read_from_kernel`]),
//! provide the named profiles (`plain`, `docker-host`), and store a profile as
//! a small `key = value` text file (keys are the sysctl names) so a golden
//! records the conditions the kernel side ran with.
//!
//! What it does not do: change any sysctl, load modules, or describe IPv6
//! settings (IPv6 is not simulated yet).
//!
//! Reading from inside a container: `/proc/sys` shows the reader's own
//! namespace, while new namespaces inherit from the initial one; the two agree
//! on the hosts this project runs on, and the sandbox records the values it
//! actually saw in its fresh namespace (see [`crate::verify::sandbox`], which
//! also reads a profile from the running kernel).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// A host profile text that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("host profile line {line}: {message}")]
pub struct ProfileError {
    /// 1-based line (0 when not from a file).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The sysctls a profile holds, by their `sysctl` names, in file order.
///
/// `br_netfilter` (not a sysctl) is stored next to them as
/// `br_netfilter = loaded` or `br_netfilter = not-loaded`.
pub const SYSCTL_KEYS: [&str; 13] = [
    "net.ipv4.ip_forward",
    "net.ipv4.conf.all.rp_filter",
    "net.ipv4.conf.default.rp_filter",
    "net.ipv4.conf.all.arp_ignore",
    "net.ipv4.conf.default.arp_ignore",
    "net.ipv4.conf.all.arp_announce",
    "net.ipv4.conf.default.arp_announce",
    "net.ipv4.conf.all.arp_filter",
    "net.ipv4.conf.default.arp_filter",
    "net.bridge.bridge-nf-call-iptables",
    "net.bridge.bridge-nf-call-arptables",
    "net.bridge.bridge-nf-call-ip6tables",
    "net.core.devconf_inherit_init_net",
];

/// The key that records whether `br_netfilter` is loaded.
const BR_NETFILTER_KEY: &str = "br_netfilter";

/// The names accepted by [`HostProfile::named`].
pub const PROFILE_NAMES: [&str; 2] = ["plain", "docker-host"];

/// The starting conditions every new network namespace inherits.
///
/// Values are the integers the kernel shows in `/proc/sys`. The
/// `bridge_nf_call_*` fields hold what a namespace gets when `br_netfilter` is
/// loaded; when it is not loaded they hold the module defaults (1), which is
/// what a script's `modprobe br_netfilter` would switch on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostProfile {
    /// `net.ipv4.ip_forward` (the same switch as `conf/all/forwarding`).
    pub ip_forward: u8,
    /// `net.ipv4.conf.all.rp_filter`.
    pub rp_filter_all: u8,
    /// `net.ipv4.conf.default.rp_filter` (what new interfaces get).
    pub rp_filter_default: u8,
    /// `net.ipv4.conf.all.arp_ignore`.
    pub arp_ignore_all: u8,
    /// `net.ipv4.conf.default.arp_ignore`.
    pub arp_ignore_default: u8,
    /// `net.ipv4.conf.all.arp_announce`.
    pub arp_announce_all: u8,
    /// `net.ipv4.conf.default.arp_announce`.
    pub arp_announce_default: u8,
    /// `net.ipv4.conf.all.arp_filter`.
    pub arp_filter_all: u8,
    /// `net.ipv4.conf.default.arp_filter`.
    pub arp_filter_default: u8,
    /// Whether `br_netfilter` is loaded (or built in): `/proc/sys/net/bridge`
    /// exists. When true, bridged IPv4 traverses iptables in every namespace.
    pub br_netfilter_loaded: bool,
    /// `net.bridge.bridge-nf-call-iptables`.
    pub bridge_nf_call_iptables: u8,
    /// `net.bridge.bridge-nf-call-arptables`.
    pub bridge_nf_call_arptables: u8,
    /// `net.bridge.bridge-nf-call-ip6tables`.
    pub bridge_nf_call_ip6tables: u8,
    /// `net.core.devconf_inherit_init_net`: 0 = IPv4 conf inherited from the
    /// initial namespace (kernel default), 1 = IPv4 and IPv6 inherited,
    /// 2 = reset to compiled defaults, 3 = inherited from the creating netns.
    pub devconf_inherit_init_net: u8,
}

impl Default for HostProfile {
    fn default() -> Self {
        HostProfile::plain()
    }
}

impl HostProfile {
    /// Compiled kernel defaults with `br_netfilter` not loaded: forwarding
    /// off, `rp_filter` 0, all `arp_*` 0.
    pub fn plain() -> HostProfile {
        HostProfile {
            ip_forward: 0,
            rp_filter_all: 0,
            rp_filter_default: 0,
            arp_ignore_all: 0,
            arp_ignore_default: 0,
            arp_announce_all: 0,
            arp_announce_default: 0,
            arp_filter_all: 0,
            arp_filter_default: 0,
            br_netfilter_loaded: false,
            bridge_nf_call_iptables: 1,
            bridge_nf_call_arptables: 1,
            bridge_nf_call_ip6tables: 1,
            devconf_inherit_init_net: 0,
        }
    }

    /// A machine running Docker: `br_netfilter` loaded (every namespace gets
    /// `bridge-nf-call-iptables=1`) and `ip_forward=1`; everything else as
    /// [`HostProfile::plain`].
    pub fn docker_host() -> HostProfile {
        HostProfile { ip_forward: 1, br_netfilter_loaded: true, ..HostProfile::plain() }
    }

    /// The profile called `name` (one of [`PROFILE_NAMES`]), or `None`.
    pub fn named(name: &str) -> Option<HostProfile> {
        match name {
            "plain" => Some(HostProfile::plain()),
            "docker-host" => Some(HostProfile::docker_host()),
            _ => None,
        }
    }

    /// The value of one of [`SYSCTL_KEYS`], or `None` for another key.
    /// `net.ipv4.conf.all` as a new namespace starts with it.
    pub fn conf_all(&self) -> super::DevConf {
        super::DevConf {
            forwarding: self.ip_forward,
            rp_filter: self.rp_filter_all,
            arp_ignore: self.arp_ignore_all,
            arp_announce: self.arp_announce_all,
            arp_filter: self.arp_filter_all,
            ..Default::default()
        }
    }

    /// `net.ipv4.conf.default` as a new namespace starts with it (its
    /// `forwarding` follows `ip_forward`, as writing `ip_forward` sets both).
    pub fn conf_default(&self) -> super::DevConf {
        super::DevConf {
            forwarding: self.ip_forward,
            rp_filter: self.rp_filter_default,
            arp_ignore: self.arp_ignore_default,
            arp_announce: self.arp_announce_default,
            arp_filter: self.arp_filter_default,
            ..Default::default()
        }
    }

    /// The `net.bridge.*` switches a new namespace starts with, when
    /// br_netfilter is loaded.
    pub fn bridge_nf(&self) -> Option<super::sysctl::BridgeNf> {
        self.br_netfilter_loaded.then(|| super::sysctl::BridgeNf {
            call_iptables: self.bridge_nf_call_iptables,
            call_ip6tables: self.bridge_nf_call_ip6tables,
            call_arptables: self.bridge_nf_call_arptables,
            ..Default::default()
        })
    }

    /// The value of one of [`SYSCTL_KEYS`], or `None` for another key.
    pub fn get(&self, key: &str) -> Option<u8> {
        Some(match key {
            "net.ipv4.ip_forward" => self.ip_forward,
            "net.ipv4.conf.all.rp_filter" => self.rp_filter_all,
            "net.ipv4.conf.default.rp_filter" => self.rp_filter_default,
            "net.ipv4.conf.all.arp_ignore" => self.arp_ignore_all,
            "net.ipv4.conf.default.arp_ignore" => self.arp_ignore_default,
            "net.ipv4.conf.all.arp_announce" => self.arp_announce_all,
            "net.ipv4.conf.default.arp_announce" => self.arp_announce_default,
            "net.ipv4.conf.all.arp_filter" => self.arp_filter_all,
            "net.ipv4.conf.default.arp_filter" => self.arp_filter_default,
            "net.bridge.bridge-nf-call-iptables" => self.bridge_nf_call_iptables,
            "net.bridge.bridge-nf-call-arptables" => self.bridge_nf_call_arptables,
            "net.bridge.bridge-nf-call-ip6tables" => self.bridge_nf_call_ip6tables,
            "net.core.devconf_inherit_init_net" => self.devconf_inherit_init_net,
            _ => return None,
        })
    }

    /// Sets one of [`SYSCTL_KEYS`]; returns false (and changes nothing) for
    /// another key.
    pub fn set(&mut self, key: &str, value: u8) -> bool {
        let slot = match key {
            "net.ipv4.ip_forward" => &mut self.ip_forward,
            "net.ipv4.conf.all.rp_filter" => &mut self.rp_filter_all,
            "net.ipv4.conf.default.rp_filter" => &mut self.rp_filter_default,
            "net.ipv4.conf.all.arp_ignore" => &mut self.arp_ignore_all,
            "net.ipv4.conf.default.arp_ignore" => &mut self.arp_ignore_default,
            "net.ipv4.conf.all.arp_announce" => &mut self.arp_announce_all,
            "net.ipv4.conf.default.arp_announce" => &mut self.arp_announce_default,
            "net.ipv4.conf.all.arp_filter" => &mut self.arp_filter_all,
            "net.ipv4.conf.default.arp_filter" => &mut self.arp_filter_default,
            "net.bridge.bridge-nf-call-iptables" => &mut self.bridge_nf_call_iptables,
            "net.bridge.bridge-nf-call-arptables" => &mut self.bridge_nf_call_arptables,
            "net.bridge.bridge-nf-call-ip6tables" => &mut self.bridge_nf_call_ip6tables,
            "net.core.devconf_inherit_init_net" => &mut self.devconf_inherit_init_net,
            _ => return false,
        };
        *slot = value;
        true
    }

    /// The file form: a comment line, then `key = value`, one per line, in
    /// [`SYSCTL_KEYS`] order with `br_netfilter` before the bridge keys.
    pub fn to_text(&self) -> String {
        let mut out = String::from("# netsim host profile: what a new network namespace inherits\n");
        for key in SYSCTL_KEYS {
            if key == "net.bridge.bridge-nf-call-iptables" {
                let loaded = if self.br_netfilter_loaded { "loaded" } else { "not-loaded" };
                let _ = writeln!(out, "{BR_NETFILTER_KEY} = {loaded}");
            }
            let value = self.get(key).expect("SYSCTL_KEYS are all known to get()");
            let _ = writeln!(out, "{key} = {value}");
        }
        out
    }

    /// Parses the file form written by [`HostProfile::to_text`].
    ///
    /// Blank lines and lines starting with `#` are ignored. Keys that are
    /// absent keep their [`HostProfile::plain`] value, so files recorded before
    /// a key existed still load.
    ///
    /// # Errors
    ///
    /// [`ProfileError`] (with the 1-based line) for a line without
    /// `=`, an unknown key, a repeated key, or a bad value.
    pub fn parse_text(text: &str) -> Result<HostProfile, ProfileError> {
        let mut profile = HostProfile::plain();
        let mut seen: Vec<String> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(ProfileError { line: line_no, message: format!("expected `key = value`, found `{line}`") });
            };
            let (key, value) = (key.trim(), value.trim());
            if seen.iter().any(|k| k == key) {
                return Err(ProfileError { line: line_no, message: format!("`{key}` given twice") });
            }
            seen.push(key.to_string());
            if key == BR_NETFILTER_KEY {
                profile.br_netfilter_loaded = match value {
                    "loaded" => true,
                    "not-loaded" => false,
                    other => {
                        return Err(ProfileError {
                            line: line_no,
                            message: format!("`{BR_NETFILTER_KEY}` must be `loaded` or `not-loaded`, found `{other}`"),
                        })
                    }
                };
                continue;
            }
            let value = parse_value(key, value, line_no)?;
            if !profile.set(key, value) {
                return Err(ProfileError { line: line_no, message: format!("unknown key `{key}`") });
            }
        }
        Ok(profile)
    }

    /// One line for the top of `run --stats`, `explain` and `verify`, e.g.
    /// `host profile: ip_forward=0 rp_filter=0/0 arp_ignore=0/0 ...`.
    ///
    /// Paired values are `all/default`.
    pub fn summary(&self) -> String {
        let br = if self.br_netfilter_loaded {
            format!(
                "loaded bridge-nf-call-iptables={} bridge-nf-call-arptables={} bridge-nf-call-ip6tables={}",
                self.bridge_nf_call_iptables, self.bridge_nf_call_arptables, self.bridge_nf_call_ip6tables
            )
        } else {
            "not-loaded".to_string()
        };
        format!(
            "host profile: ip_forward={} rp_filter={}/{} arp_ignore={}/{} arp_announce={}/{} arp_filter={}/{} devconf_inherit_init_net={} br_netfilter={}",
            self.ip_forward,
            self.rp_filter_all,
            self.rp_filter_default,
            self.arp_ignore_all,
            self.arp_ignore_default,
            self.arp_announce_all,
            self.arp_announce_default,
            self.arp_filter_all,
            self.arp_filter_default,
            self.devconf_inherit_init_net,
            br,
        )
    }
}

pub(crate) fn parse_value(key: &str, value: &str, line: usize) -> Result<u8, ProfileError> {
    value
        .parse::<u8>()
        .map_err(|_| ProfileError { line, message: format!("`{key}` must be a small integer, found `{value}`") })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The text form is the golden's record of starting conditions: it must
    // round-trip every field exactly.
    #[test]
    fn text_round_trips() {
        let mut p = HostProfile::docker_host();
        p.rp_filter_all = 2;
        p.arp_ignore_default = 1;
        p.bridge_nf_call_arptables = 0;
        p.devconf_inherit_init_net = 3;
        let text = p.to_text();
        assert_eq!(HostProfile::parse_text(&text).unwrap(), p);
        assert!(text.contains("br_netfilter = loaded\n"));
        assert!(text.contains("net.ipv4.ip_forward = 1\n"));
    }

    // Old files lacking a key still load; unknown keys and bad values do not.
    #[test]
    fn parse_defaults_and_errors() {
        let p = HostProfile::parse_text("# c\n\nnet.ipv4.ip_forward=1\n").unwrap();
        assert_eq!(p, HostProfile { ip_forward: 1, ..HostProfile::plain() });
        let err = HostProfile::parse_text("x\nnet.ipv4.bogus = 1").unwrap_err();
        assert!(matches!(err, ProfileError { line: 1, .. }), "{err}");
        let err = HostProfile::parse_text("net.ipv4.bogus = 1").unwrap_err();
        assert!(matches!(err, ProfileError { line: 1, .. }), "{err}");
        let err = HostProfile::parse_text("\nnet.ipv4.ip_forward = yes").unwrap_err();
        assert!(matches!(err, ProfileError { line: 2, .. }), "{err}");
        let err = HostProfile::parse_text("br_netfilter = maybe").unwrap_err();
        assert!(matches!(err, ProfileError { line: 1, .. }), "{err}");
        let err = HostProfile::parse_text("net.ipv4.ip_forward = 1\nnet.ipv4.ip_forward = 0").unwrap_err();
        assert!(matches!(err, ProfileError { line: 2, .. }), "{err}");
    }

    // The named profiles differ exactly where the design says they do.
    #[test]
    fn named_profiles() {
        assert_eq!(HostProfile::named("plain"), Some(HostProfile::plain()));
        let d = HostProfile::named("docker-host").unwrap();
        assert!(d.br_netfilter_loaded && d.ip_forward == 1);
        assert!(HostProfile::named("nope").is_none());
        assert_eq!(
            HostProfile::plain().summary(),
            "host profile: ip_forward=0 rp_filter=0/0 arp_ignore=0/0 arp_announce=0/0 \
             arp_filter=0/0 devconf_inherit_init_net=0 br_netfilter=not-loaded"
        );
        assert!(d.summary().contains("br_netfilter=loaded bridge-nf-call-iptables=1"));
    }

    // Reading a fake /proc/sys: bridge keys absent means not loaded, and a
    // present tree is read value by value.
}
