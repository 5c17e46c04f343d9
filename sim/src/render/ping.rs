//! What iputils `ping` prints: the reply time, ICMP error texts and the
//! closing statistics (`ping_common.c: gather_statistics, finish`).

use crate::engine::proc::Ping;
use std::fmt::Write as _;

/// Formats a round-trip time given in nanoseconds the way iputils does
/// (microsecond input, precision shrinking as the value grows).
pub fn fmt_ms(rtt_ns: u64) -> String {
    let t = rtt_ns / 1000; // iputils works in microseconds
    if t >= 100_000 - 50 {
        format!("{}", (t + 500) / 1000)
    } else if t >= 10_000 - 5 {
        format!("{}.{:01}", (t + 50) / 1000, ((t + 50) % 1000) / 100)
    } else if t >= 1000 {
        format!("{}.{:02}", (t + 5) / 1000, ((t + 5) % 1000) / 10)
    } else {
        format!("{}.{:03}", t / 1000, t % 1000)
    }
}

/// The text after `From A icmp_seq=N ` for an ICMP error (`print4_icmph`).
pub fn icmp_error_text(typ: u8, code: u8) -> &'static str {
    match (typ, code) {
        (3, 0) => "Destination Net Unreachable",
        (3, 1) => "Destination Host Unreachable",
        (3, 2) => "Destination Protocol Unreachable",
        (3, 3) => "Destination Port Unreachable",
        (3, 4) => "Frag needed and DF set",
        (3, 9) | (3, 10) => "Destination Host Prohibited",
        (3, 13) => "Packet filtered",
        (11, 0) => "Time to live exceeded",
        (11, 1) => "Frag reassembly time exceeded",
        _ => "Bad ICMP type",
    }
}

/// `%g` of a percentage, as printf prints it (six significant digits).
fn fmt_g(v: f64) -> String {
    // C's `%g` (precision 6) for 0 <= v < 1e6: the exponent of the value
    // rounded to 6 significant digits picks the number of decimals, then
    // trailing zeros and the point go.
    if v == 0.0 {
        return "0".into();
    }
    let e = format!("{v:.5e}");
    let x: i32 = e.rsplit('e').next().and_then(|x| x.parse().ok()).unwrap_or(0);
    let decimals = usize::try_from(5 - x).unwrap_or(0);
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn isqrt(v: u64) -> u64 {
    if v < 2 {
        return v;
    }
    let mut x = (v as f64).sqrt() as u64;
    while x * x > v {
        x -= 1;
    }
    while (x + 1) * (x + 1) <= v {
        x += 1;
    }
    x
}

/// The closing statistics block.
pub fn summary(p: &Ping) -> String {
    if p.busybox {
        return busybox_summary(p);
    }
    let mut s = String::new();
    let _ = write!(s, "\n--- {} ping statistics ---\n", p.dst);
    let _ = write!(s, "{} packets transmitted, {} received", p.ntransmitted, p.nreceived);
    if p.nerrors > 0 {
        let _ = write!(s, ", +{} errors", p.nerrors);
    }
    if p.ntransmitted > 0 {
        let lost = u64::from(p.ntransmitted - p.nreceived.min(p.ntransmitted));
        // iputils: (float)(lost * 100.0 / ntransmitted), printed with %g.
        let pct = f64::from((lost as f64 * 100.0 / f64::from(p.ntransmitted)) as f32);
        let ms = (p.last_send_ns - p.start_ns + 500_000) / 1_000_000;
        let _ = write!(s, ", {}% packet loss, time {}ms", fmt_g(pct), ms);
    }
    s.push('\n');
    if p.nreceived > 0 && p.size >= 16 {
        let us: Vec<u64> = p.rtts.iter().map(|r| r / 1000).collect();
        let n = us.len() as u64;
        let min = us.iter().copied().min().unwrap_or(0);
        let max = us.iter().copied().max().unwrap_or(0);
        let sum: u64 = us.iter().sum();
        let sum2: u64 = us.iter().map(|x| x * x).sum();
        let avg = sum / n;
        let mdev = isqrt((sum2 / n).saturating_sub(avg * avg));
        let _ = write!(
            s,
            "rtt min/avg/max/mdev = {}.{:03}/{}.{:03}/{}.{:03}/{}.{:03} ms",
            min / 1000,
            min % 1000,
            avg / 1000,
            avg % 1000,
            max / 1000,
            max % 1000,
            mdev / 1000,
            mdev % 1000
        );
        if p.pipesize > 1 {
            let _ = write!(s, ", pipe {}", p.pipesize);
        }
    } else if p.pipesize > 1 {
        let _ = write!(s, "pipe {}", p.pipesize);
    }
    s.push('\n');
    s
}

/// BusyBox ping's closing block (`print_stats_and_exit`): whole-percent
/// loss, `round-trip min/avg/max` in microseconds when any reply was timed.
fn busybox_summary(p: &Ping) -> String {
    let mut s = format!(
        "\n--- {} ping statistics ---\n{} packets transmitted, {} packets received, ",
        p.dst, p.ntransmitted, p.nreceived
    );
    let loss = if p.ntransmitted > 0 {
        u64::from(p.ntransmitted - p.nreceived.min(p.ntransmitted)) * 100 / u64::from(p.ntransmitted)
    } else {
        0
    };
    let _ = writeln!(s, "{loss}% packet loss");
    if p.nreceived > 0 && p.size >= 4 {
        let us: Vec<u64> = p.rtts.iter().map(|r| r / 1000).collect();
        let min = us.iter().copied().min().unwrap_or(0);
        let max = us.iter().copied().max().unwrap_or(0);
        let avg = us.iter().sum::<u64>() / us.len() as u64;
        let _ = writeln!(
            s,
            "round-trip min/avg/max = {}.{:03}/{}.{:03}/{}.{:03} ms",
            min / 1000,
            min % 1000,
            avg / 1000,
            avg % 1000,
            max / 1000,
            max % 1000
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_precision_follows_iputils() {
        // iputils prints 3 decimals under 1 ms, 2 under 10, 1 under 100.
        assert_eq!(fmt_ms(240_000), "0.240");
        assert_eq!(fmt_ms(1_392_000), "1.39");
        assert_eq!(fmt_ms(12_345_000), "12.3");
        assert_eq!(fmt_ms(123_456_000), "123");
    }

    #[test]
    fn loss_percent_like_printf_g() {
        // %g drops trailing zeros and keeps six significant digits, rounded
        // (4 of 6 lost: ping prints 66.6667%, verified on the kernel).
        let pct = |lost: u32, n: u32| f64::from((f64::from(lost) * 100.0 / f64::from(n)) as f32);
        assert_eq!(fmt_g(pct(0, 3)), "0");
        assert_eq!(fmt_g(pct(3, 3)), "100");
        assert_eq!(fmt_g(pct(1, 3)), "33.3333");
        assert_eq!(fmt_g(pct(4, 6)), "66.6667");
        assert_eq!(fmt_g(pct(1, 2)), "50");
        assert_eq!(fmt_g(pct(1, 7)), "14.2857");
        assert_eq!(fmt_g(pct(1, 1000)), "0.1");
    }
}
