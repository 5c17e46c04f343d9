//! A line diff in unified format, for showing where the kernel and the
//! simulator disagree.
//!
//! Myers' O(ND) algorithm after stripping the common prefix and suffix, with
//! three lines of context, `---`/`+++` headers and `@@ -a,n +b,m @@` hunks as
//! `diff -u` prints them (without timestamps), including
//! `\ No newline at end of file`.
//!
//! What it does not do: word or character diffs, or minimal diffs for inputs
//! that differ in more than [`MAX_EDITS`] lines; beyond that the differing
//! middle is shown as one deletion followed by one insertion, which is still
//! a correct diff, only a longer one.

/// Edit distance (in lines) beyond which the diff stops looking for a minimal
/// script, bounding memory to about `MAX_EDITS²` words.
pub const MAX_EDITS: usize = 2000;

const CONTEXT: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equal(usize, usize),
    Delete(usize),
    Insert(usize),
}

/// A unified diff turning `a` into `b`, or `None` when they are equal.
///
/// ```
/// let d = sim::verify::diff::unified("kernel/stdout", "a\nb\n", "sim/stdout", "a\nc\n").unwrap();
/// assert_eq!(d, "--- kernel/stdout\n+++ sim/stdout\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n");
/// ```
pub fn unified(label_a: &str, a: &str, label_b: &str, b: &str) -> Option<String> {
    if a == b {
        return None;
    }
    let al: Vec<&str> = a.split_inclusive('\n').collect();
    let bl: Vec<&str> = b.split_inclusive('\n').collect();
    let ops = diff_lines(&al, &bl);

    // Lines of a and b consumed before each op.
    let mut before = Vec::with_capacity(ops.len() + 1);
    let (mut ca, mut cb) = (0, 0);
    for op in &ops {
        before.push((ca, cb));
        match op {
            Op::Equal(..) => {
                ca += 1;
                cb += 1;
            }
            Op::Delete(_) => ca += 1,
            Op::Insert(_) => cb += 1,
        }
    }
    before.push((ca, cb));

    let mut out = format!("--- {label_a}\n+++ {label_b}\n");
    let is_change = |op: &Op| !matches!(op, Op::Equal(..));
    let mut i = 0;
    while let Some(first) = (i..ops.len()).find(|&j| is_change(&ops[j])) {
        let start = first.saturating_sub(CONTEXT).max(i);
        let mut last = first;
        let mut j = first + 1;
        while j < ops.len() {
            if is_change(&ops[j]) {
                last = j;
            } else if j - last > 2 * CONTEXT {
                break;
            }
            j += 1;
        }
        let end = (last + CONTEXT + 1).min(ops.len());
        let (a0, b0) = before[start];
        let (a1, b1) = before[end];
        out.push_str(&format!("@@ -{} +{} @@\n", range(a0, a1 - a0), range(b0, b1 - b0)));
        for op in &ops[start..end] {
            match *op {
                Op::Equal(x, _) => push_line(&mut out, ' ', al[x]),
                Op::Delete(x) => push_line(&mut out, '-', al[x]),
                Op::Insert(y) => push_line(&mut out, '+', bl[y]),
            }
        }
        i = end;
    }
    Some(out)
}

fn range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{}", start + 1, len),
    }
}

fn push_line(out: &mut String, mark: char, line: &str) {
    out.push(mark);
    match line.strip_suffix('\n') {
        Some(text) => {
            out.push_str(text);
            out.push('\n');
        }
        None => {
            out.push_str(line);
            out.push_str("\n\\ No newline at end of file\n");
        }
    }
}

fn diff_lines(a: &[&str], b: &[&str]) -> Vec<Op> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..].iter().rev().zip(b[prefix..].iter().rev()).take_while(|(x, y)| x == y).count();
    let mid_a = &a[prefix..a.len() - suffix];
    let mid_b = &b[prefix..b.len() - suffix];

    let mut ops: Vec<Op> = (0..prefix).map(|i| Op::Equal(i, i)).collect();
    match myers(mid_a, mid_b) {
        Some(mid) => ops.extend(mid.into_iter().map(|op| match op {
            Op::Equal(x, y) => Op::Equal(x + prefix, y + prefix),
            Op::Delete(x) => Op::Delete(x + prefix),
            Op::Insert(y) => Op::Insert(y + prefix),
        })),
        None => {
            ops.extend((0..mid_a.len()).map(|x| Op::Delete(x + prefix)));
            ops.extend((0..mid_b.len()).map(|y| Op::Insert(y + prefix)));
        }
    }
    let (ea, eb) = (a.len() - suffix, b.len() - suffix);
    ops.extend((0..suffix).map(|i| Op::Equal(ea + i, eb + i)));
    ops
}

/// Myers' greedy forward algorithm with one saved V slice per edit step;
/// `None` when more than [`MAX_EDITS`] edits are needed.
fn myers(a: &[&str], b: &[&str]) -> Option<Vec<Op>> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = n + m;
    if max == 0 {
        return Some(Vec::new());
    }
    let off = max + 1;
    let mut v = vec![0isize; 2 * max as usize + 3];
    let idx = |k: isize| (k + off) as usize;
    // trace[d][k + d] = furthest x on diagonal k after d edits.
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let limit = max.min(MAX_EDITS as isize);
    let mut found = None;
    'outer: for d in 0..=limit {
        let mut k = -d;
        while k <= d {
            let mut x =
                if k == -d || (k != d && v[idx(k - 1)] < v[idx(k + 1)]) { v[idx(k + 1)] } else { v[idx(k - 1)] + 1 };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[idx(k)] = x;
            if x >= n && y >= m {
                trace.push((-d..=d).map(|k| v[idx(k)]).collect());
                found = Some(d);
                break 'outer;
            }
            k += 2;
        }
        trace.push((-d..=d).map(|k| v[idx(k)]).collect());
    }
    let d_end = found?;

    let mut ops = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (1..=d_end).rev() {
        let prev = &trace[(d - 1) as usize];
        let at = |k: isize| prev[(k + d - 1) as usize];
        let k = x - y;
        let prev_k = if k == -d || (k != d && at(k - 1) < at(k + 1)) { k + 1 } else { k - 1 };
        let prev_x = at(prev_k);
        let prev_y = prev_x - prev_k;
        let (mid_x, mid_y) = if prev_k == k + 1 { (prev_x, prev_x - k) } else { (prev_x + 1, prev_x + 1 - k) };
        while x > mid_x && y > mid_y {
            x -= 1;
            y -= 1;
            ops.push(Op::Equal(x as usize, y as usize));
        }
        if prev_k == k + 1 {
            ops.push(Op::Insert(prev_y as usize));
        } else {
            ops.push(Op::Delete(prev_x as usize));
        }
        x = prev_x;
        y = prev_y;
    }
    while x > 0 && y > 0 {
        x -= 1;
        y -= 1;
        ops.push(Op::Equal(x as usize, y as usize));
    }
    ops.reverse();
    Some(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(a: &[&str], b: &[&str], ops: &[Op]) -> Vec<String> {
        let mut out = Vec::new();
        for op in ops {
            match *op {
                Op::Equal(x, y) => {
                    assert_eq!(a[x], b[y]);
                    out.push(a[x].to_string());
                }
                Op::Delete(_) => {}
                Op::Insert(y) => out.push(b[y].to_string()),
            }
        }
        out
    }

    // The edit script must rebuild b from a and use every line of each once,
    // in order, for a spread of inputs, and be minimal on a classic case.
    #[test]
    fn scripts_rebuild_b() {
        let cases: [(&str, &str); 6] =
            [("abcabba", "cbabac"), ("", "abc"), ("abc", ""), ("abc", "abc"), ("axbxcx", "xaxbxc"), ("aaaa", "bbbb")];
        for (a, b) in cases {
            let a: Vec<&str> = a.split("").filter(|s| !s.is_empty()).collect();
            let b: Vec<&str> = b.split("").filter(|s| !s.is_empty()).collect();
            let ops = diff_lines(&a, &b);
            assert_eq!(apply(&a, &b, &ops), b.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            let (mut xa, mut xb) = (0, 0);
            for op in &ops {
                match *op {
                    Op::Equal(x, y) => {
                        assert_eq!((x, y), (xa, xb));
                        xa += 1;
                        xb += 1;
                    }
                    Op::Delete(x) => {
                        assert_eq!(x, xa);
                        xa += 1;
                    }
                    Op::Insert(y) => {
                        assert_eq!(y, xb);
                        xb += 1;
                    }
                }
            }
            assert_eq!((xa, xb), (a.len(), b.len()));
        }
        let a = ["a", "b", "c", "a", "b", "b", "a"];
        let b = ["c", "b", "a", "b", "a", "c"];
        let edits = myers(&a, &b).unwrap().iter().filter(|o| !matches!(o, Op::Equal(..))).count();
        assert_eq!(edits, 5, "Myers' paper: D = 5");
    }

    // Hunks: context of three, far-apart changes split, near ones merged,
    // missing final newline marked.
    #[test]
    fn unified_format() {
        assert_eq!(unified("a", "x\n", "b", "x\n"), None);
        let a: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let b: String = (1..=20)
            .map(|i| match i {
                2 => "two\n".to_string(),
                18 => "eighteen\n".to_string(),
                _ => format!("{i}\n"),
            })
            .collect();
        let d = unified("k", &a, "s", &b).unwrap();
        assert_eq!(
            d,
            "--- k\n+++ s\n@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n\
             @@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+eighteen\n 19\n 20\n"
        );
        let d = unified("k", "a\nb", "s", "a\nb\n").unwrap();
        assert_eq!(d, "--- k\n+++ s\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
        let d = unified("k", "", "s", "new\n").unwrap();
        assert_eq!(d, "--- k\n+++ s\n@@ -0,0 +1 @@\n+new\n");
    }

    // Past MAX_EDITS the diff is still correct (delete all, insert all).
    #[test]
    fn large_inputs_fall_back() {
        let a: String = (0..3000).map(|i| format!("a{i}\n")).collect();
        let b: String = (0..3000).map(|i| format!("b{i}\n")).collect();
        let d = unified("k", &a, "s", &b).unwrap();
        assert!(d.starts_with("--- k\n+++ s\n@@ -1,3000 +1,3000 @@\n-a0\n"));
        assert_eq!(d.lines().filter(|l| l.starts_with('+')).count(), 3001);
    }
}
