//! Golden recordings: what the real kernel produced for a script, on disk.
//!
//! A golden directory holds:
//!
//! - `profile`: the [`HostProfile`] text the kernel side ran with;
//! - `stdout`, `stderr`: the script's output, normalised with
//!   [`normalise::output_text`];
//! - `exit_code`: the script's exit status, as decimal text and a newline;
//! - `<capture>.txt` for every pcap the script wrote (`a.pcap` gives
//!   `a.pcap.txt`, `caps/b.pcap` gives `caps/b.pcap.txt`): the
//!   `tcpdump -t -nne -r` text, normalised with [`normalise::capture_text`].
//!
//! Everything stored is already normalised, so the simulator's side, built
//! with [`Golden::from_outputs`], compares with plain equality ([`compare`]).
//! Goldens are recorded from the kernel only; this module does not know
//! which side a [`Golden`] came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::diff;
use super::normalise;
use super::profile::HostProfile;
use super::sandbox::KernelRun;
use super::VerifyError;

/// One run, normalised: the unit that is recorded and compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Golden {
    /// The starting conditions the run had.
    pub profile: HostProfile,
    /// Normalised stdout.
    pub stdout: String,
    /// Normalised stderr.
    pub stderr: String,
    /// The script's exit status.
    pub exit_code: i32,
    /// Normalised capture text by capture path relative to the output
    /// directory (`a.pcap`), sorted.
    pub captures: BTreeMap<String, String>,
}

/// One file on which two runs differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The golden file name: `profile`, `stdout`, `stderr`, `exit_code` or
    /// `<capture>.txt`.
    pub file: String,
    /// A unified diff from the first run (`kernel/<file>`) to the second
    /// (`sim/<file>`).
    pub diff: String,
}

impl Golden {
    /// Builds a golden from raw outputs, normalising them. `raw_captures`
    /// maps capture paths to their un-normalised `tcpdump -t -nne -r` text.
    /// Output that is not UTF-8 is converted lossily.
    pub fn from_outputs(
        profile: HostProfile,
        stdout: &[u8],
        stderr: &[u8],
        exit_code: i32,
        raw_captures: &BTreeMap<String, String>,
    ) -> Golden {
        Golden {
            profile,
            stdout: normalise::output_text(&String::from_utf8_lossy(stdout)),
            stderr: normalise::output_text(&String::from_utf8_lossy(stderr)),
            exit_code,
            captures: raw_captures.iter().map(|(name, text)| (name.clone(), normalise::capture_text(text))).collect(),
        }
    }

    /// Builds a golden from a kernel run: every file in `run.files` that is a
    /// pcap (by its magic number, see [`is_pcap`]) is printed with the real
    /// tcpdump ([`normalise::pcap_to_text`]).
    ///
    /// # Errors
    ///
    /// What [`normalise::pcap_to_text`] returns for an unreadable capture.
    pub fn from_kernel_run(run: &KernelRun, out_dir: &Path) -> Result<Golden, VerifyError> {
        let mut raw = BTreeMap::new();
        for file in &run.files {
            let path = out_dir.join(file);
            if is_pcap(&path) {
                raw.insert(slash_path(file), normalise::pcap_to_text(&path)?);
            }
        }
        Ok(Golden::from_outputs(run.profile.clone(), &run.stdout, &run.stderr, run.exit_code, &raw))
    }

    /// Writes the golden into `dir` (created if missing). When `dir` already
    /// holds a golden, its `*.txt` files are removed first so a capture the
    /// script no longer writes does not linger.
    ///
    /// # Errors
    ///
    /// [`VerifyError::Io`] when the directory or a file cannot be written,
    /// [`VerifyError::Golden`] for a capture path that would escape `dir`, or
    /// when `dir` is a non-empty directory without an `exit_code` file (it
    /// is not a golden, and nothing in it is touched).
    pub fn record(&self, dir: &Path) -> Result<(), VerifyError> {
        std::fs::create_dir_all(dir).map_err(|source| io(dir, source))?;
        let mut entries = std::fs::read_dir(dir).map_err(|source| io(dir, source))?;
        if entries.next().is_some() && !dir.join("exit_code").is_file() {
            return Err(VerifyError::Golden {
                path: dir.to_path_buf(),
                message: "not empty and not a golden directory (no exit_code); refusing to write".to_string(),
            });
        }
        for stale in txt_files(dir)? {
            let path = dir.join(&stale);
            std::fs::remove_file(&path).map_err(|source| io(&path, source))?;
        }
        write(&dir.join("profile"), &self.profile.to_text())?;
        write(&dir.join("stdout"), &self.stdout)?;
        write(&dir.join("stderr"), &self.stderr)?;
        write(&dir.join("exit_code"), &format!("{}\n", self.exit_code))?;
        for (name, text) in &self.captures {
            let rel = PathBuf::from(format!("{name}.txt"));
            if rel.is_absolute() || rel.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
                return Err(VerifyError::Golden {
                    path: dir.join(&rel),
                    message: "capture path must stay inside the golden directory".to_string(),
                });
            }
            let path = dir.join(&rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| io(parent, source))?;
            }
            write(&path, text)?;
        }
        Ok(())
    }

    /// Reads a golden written by [`Golden::record`].
    ///
    /// # Errors
    ///
    /// [`VerifyError::Io`] when a file is missing or unreadable,
    /// [`VerifyError::Golden`] for a bad `exit_code` or non-UTF-8 text,
    /// [`VerifyError::Profile`] for a bad `profile`.
    pub fn load(dir: &Path) -> Result<Golden, VerifyError> {
        let profile = HostProfile::parse_text(&read(&dir.join("profile"))?)?;
        let stdout = read(&dir.join("stdout"))?;
        let stderr = read(&dir.join("stderr"))?;
        let exit_path = dir.join("exit_code");
        let exit_text = read(&exit_path)?;
        let exit_code = exit_text.trim().parse().map_err(|_| VerifyError::Golden {
            path: exit_path,
            message: format!("expected an integer, found `{}`", exit_text.trim()),
        })?;
        let mut captures = BTreeMap::new();
        for rel in txt_files(dir)? {
            let text = read(&dir.join(&rel))?;
            let name = slash_path(&rel);
            let name = name.strip_suffix(".txt").unwrap_or(&name).to_string();
            captures.insert(name, text);
        }
        Ok(Golden { profile, stdout, stderr, exit_code, captures })
    }
}

/// Compares two runs file by file; empty when they agree. Labels in the
/// diffs are `kernel/<file>` for `kernel` and `sim/<file>` for `sim`. A
/// capture present on one side only is diffed against an empty text, with
/// ` (missing)` added to the absent side's label.
pub fn compare(kernel: &Golden, sim: &Golden) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let mut check = |file: &str, a: &str, b: &str, a_missing: bool, b_missing: bool| {
        let la = format!("kernel/{file}{}", if a_missing { " (missing)" } else { "" });
        let lb = format!("sim/{file}{}", if b_missing { " (missing)" } else { "" });
        let differs = a_missing != b_missing || a != b;
        if differs {
            let diff = diff::unified(&la, a, &lb, b).unwrap_or_else(|| format!("--- {la}\n+++ {lb}\n"));
            out.push(Mismatch { file: file.to_string(), diff });
        }
    };
    check("profile", &kernel.profile.to_text(), &sim.profile.to_text(), false, false);
    check("stdout", &kernel.stdout, &sim.stdout, false, false);
    check("stderr", &kernel.stderr, &sim.stderr, false, false);
    check("exit_code", &format!("{}\n", kernel.exit_code), &format!("{}\n", sim.exit_code), false, false);
    let names: std::collections::BTreeSet<&String> = kernel.captures.keys().chain(sim.captures.keys()).collect();
    for name in names {
        let a = kernel.captures.get(name);
        let b = sim.captures.get(name);
        check(
            &format!("{name}.txt"),
            a.map_or("", String::as_str),
            b.map_or("", String::as_str),
            a.is_none(),
            b.is_none(),
        );
    }
    out
}

/// Whether `path` starts with a pcap or pcapng magic number.
pub fn is_pcap(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    if file.read_exact(&mut magic).is_err() {
        return false;
    }
    matches!(
        magic,
        [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x0a, 0x0d, 0x0d, 0x0a]
    )
}

fn slash_path(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

fn io(path: &Path, source: std::io::Error) -> VerifyError {
    VerifyError::Io { path: path.to_path_buf(), source }
}

fn write(path: &Path, text: &str) -> Result<(), VerifyError> {
    std::fs::write(path, text).map_err(|source| io(path, source))
}

fn read(path: &Path) -> Result<String, VerifyError> {
    let bytes = std::fs::read(path).map_err(|source| io(path, source))?;
    String::from_utf8(bytes)
        .map_err(|_| VerifyError::Golden { path: path.to_path_buf(), message: "not UTF-8".to_string() })
}

/// `*.txt` files under `dir` (recursively), relative to it, sorted.
fn txt_files(dir: &Path) -> Result<Vec<PathBuf>, VerifyError> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let abs = dir.join(&rel);
        let entries = std::fs::read_dir(&abs).map_err(|source| io(&abs, source))?;
        for entry in entries {
            let entry = entry.map_err(|source| io(&abs, source))?;
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let rel_path = rel.join(entry.file_name());
            if kind.is_dir() {
                stack.push(rel_path);
            } else if kind.is_file() && rel_path.extension().is_some_and(|e| e == "txt") {
                out.push(rel_path);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("netsim-golden-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn sample() -> Golden {
        let mut raw = BTreeMap::new();
        raw.insert(
            "a.pcap".to_string(),
            "x > y, ethertype IPv4 (0x0800), length 98: 10.0.0.1 > 10.0.0.2: ICMP echo request, id 77, seq 1, length 64\n"
                .to_string(),
        );
        raw.insert("caps/b.pcap".to_string(), String::new());
        Golden::from_outputs(
            HostProfile::docker_host(),
            b"64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.1 ms\n",
            b"2 packets captured\n",
            0,
            &raw,
        )
    }

    // A recorded golden loads back identical, stale captures are removed,
    // and normalisation happened on the way in.
    #[test]
    fn record_load_round_trip() {
        let dir = temp_dir("rt");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("old.pcap.txt"), "stale").unwrap();
        let g = sample();
        assert!(matches!(g.record(&dir), Err(VerifyError::Golden { .. })), "a foreign non-empty directory is refused");
        assert!(dir.join("old.pcap.txt").exists());
        std::fs::write(dir.join("exit_code"), "0\n").unwrap();
        assert!(g.stdout.contains("time=T ms"));
        assert_eq!(g.stderr, "");
        assert!(g.captures["a.pcap"].contains("id #1"));
        g.record(&dir).unwrap();
        assert!(dir.join("caps/b.pcap.txt").is_file());
        assert!(!dir.join("old.pcap.txt").exists());
        assert_eq!(std::fs::read_to_string(dir.join("exit_code")).unwrap(), "0\n");
        assert_eq!(Golden::load(&dir).unwrap(), g);
        let _ = std::fs::remove_dir_all(&dir);
    }

    // Malformed goldens are errors, not panics.
    #[test]
    fn load_errors() {
        let dir = temp_dir("bad");
        assert!(matches!(Golden::load(&dir), Err(VerifyError::Io { .. })));
        sample().record(&dir).unwrap();
        std::fs::write(dir.join("exit_code"), "zero\n").unwrap();
        assert!(matches!(Golden::load(&dir), Err(VerifyError::Golden { .. })));
        let mut g = sample();
        g.captures.insert("../escape".to_string(), String::new());
        assert!(matches!(g.record(&dir), Err(VerifyError::Golden { .. })));
        let _ = std::fs::remove_dir_all(&dir);
    }

    // compare names each differing file and carries a readable diff;
    // a capture on one side only is reported as missing.
    #[test]
    fn compare_reports_files() {
        let k = sample();
        assert!(compare(&k, &k).is_empty());
        let mut s = k.clone();
        s.exit_code = 1;
        s.captures.remove("caps/b.pcap");
        s.captures.insert("a.pcap".to_string(), "other\n".to_string());
        let m = compare(&k, &s);
        let files: Vec<&str> = m.iter().map(|m| m.file.as_str()).collect();
        assert_eq!(files, ["exit_code", "a.pcap.txt", "caps/b.pcap.txt"]);
        assert!(m[0].diff.contains("-0\n+1\n"), "{}", m[0].diff);
        assert!(m[1].diff.contains("+other\n"));
        assert!(m[2].diff.contains("sim/caps/b.pcap.txt (missing)"), "{}", m[2].diff);
    }

    // pcap and pcapng are recognised by magic, anything else is not.
    #[test]
    fn pcap_magic() {
        let dir = temp_dir("magic");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a"), [0xd4, 0xc3, 0xb2, 0xa1, 2, 0]).unwrap();
        std::fs::write(dir.join("b"), [0x0a, 0x0d, 0x0d, 0x0a]).unwrap();
        std::fs::write(dir.join("c"), b"text").unwrap();
        std::fs::write(dir.join("d"), b"x").unwrap();
        assert!(is_pcap(&dir.join("a")) && is_pcap(&dir.join("b")));
        assert!(!is_pcap(&dir.join("c")) && !is_pcap(&dir.join("d")) && !is_pcap(&dir.join("none")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
