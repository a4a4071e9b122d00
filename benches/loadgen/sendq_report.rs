//! What the send queue benchmark reads from the simulator's log: the send rate, each limiter's
//! busiest one-second window against its limit, duplicates, and each company's last send against
//! the ideal of a fair share (a fluid max-min fair split of the account's rate, each company
//! capped by its own senders' limits).
use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::sendq_fleet::Fleet;

/// One message as the simulator took it.
pub struct Sent {
    pub from: String,
    pub text: Option<String>,
    pub at: Instant,
}

const WINDOW: Duration = Duration::from_secs(1);

/// The most sends in any window `[t, t + 1 s)` of sorted `times`.
pub fn busiest_window(times: &[Instant]) -> usize {
    let mut best = 0;
    let mut j = 0;
    for i in 0..times.len() {
        while j < times.len() && times[j] < times[i] + WINDOW {
            j += 1;
        }
        best = best.max(j - i);
    }
    best
}

/// Max-min fair rates of `caps` sharing `total`.
fn waterfill(caps: &[f64], total: f64) -> Vec<f64> {
    let mut order: Vec<usize> = (0..caps.len()).collect();
    order.sort_by(|a, b| caps[*a].total_cmp(&caps[*b]));
    let mut left = total;
    let mut rates = vec![0.0; caps.len()];
    for (k, &i) in order.iter().enumerate() {
        let r = caps[i].min(left / (order.len() - k) as f64);
        rates[i] = r;
        left -= r;
    }
    rates
}

/// When each company's last message would go (seconds from the start) if every company got its
/// max-min fair share of `total` at every instant, capped by its own rate.
pub fn ideal_completion(demand: &[f64], caps: &[f64], total: f64) -> Vec<f64> {
    let mut left = demand.to_vec();
    let mut done = vec![0.0; demand.len()];
    let mut t = 0.0;
    loop {
        let active: Vec<usize> = (0..left.len()).filter(|&i| left[i] > 1e-9).collect();
        if active.is_empty() {
            return done;
        }
        let rates = waterfill(&active.iter().map(|&i| caps[i]).collect::<Vec<_>>(), total);
        let dt = active.iter().zip(&rates).map(|(&i, &r)| left[i] / r).fold(f64::INFINITY, f64::min);
        t += dt;
        for (&i, &r) in active.iter().zip(&rates) {
            left[i] -= r * dt;
            if left[i] <= 1e-6 {
                left[i] = 0.0;
                done[i] = t;
            }
        }
    }
}

/// The daemons' `sending.limit_headroom_percent` (they inherit this environment).
fn headroom_percent() -> f64 {
    std::env::var("SWITCHBOARD__SENDING__LIMIT_HEADROOM_PERCENT").ok().and_then(|v| v.parse().ok()).unwrap_or(5.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub fn report(fleet: &Fleet, sent: &[Sent], account_rate: f64, throttled: usize, settled: &[(String, i64)]) {
    let Some(t0) = sent.iter().map(|s| s.at).min() else {
        println!("sendq: nothing was sent");
        return;
    };
    let end = sent.iter().map(|s| s.at).max().unwrap_or(t0);
    let secs = (end - t0).as_secs_f64().max(1e-3);
    // Sends per whole second of the run; the first and last seconds are partial.
    let mut per_second = vec![0usize; secs as usize + 1];
    for s in sent {
        per_second[(s.at - t0).as_secs() as usize] += 1;
    }
    let full: Vec<f64> =
        per_second.iter().skip(1).take(per_second.len().saturating_sub(2)).map(|&n| n as f64).collect();
    let mut texts: HashMap<&str, u32> = HashMap::new();
    for s in sent {
        *texts.entry(s.text.as_deref().unwrap_or_default()).or_default() += 1;
    }
    let duplicates: usize = texts.values().filter(|&&n| n > 1).map(|&n| n as usize - 1).sum();
    println!(
        "sendq: {} sent in {secs:.1} s ({:.0}/s overall); per second: median {:.0}, max {}; simulator 429s {throttled}; sent twice {duplicates}",
        sent.len(),
        sent.len() as f64 / secs,
        median(full),
        per_second.iter().max().copied().unwrap_or(0),
    );
    println!("sendq: database statuses at the end {settled:?}");

    // Limits, from the simulator's arrival times.
    let mut by_key: HashMap<&str, (f64, Vec<Instant>)> = HashMap::new();
    let mut by_company: HashMap<usize, Vec<Instant>> = HashMap::new();
    for s in sent {
        let Some(&(c, k)) = fleet.by_number.get(&s.from) else { continue };
        let sender = &fleet.companies[c].senders[k];
        by_key.entry(&sender.key).or_insert_with(|| (sender.per_second, Vec::new())).1.push(s.at);
        by_company.entry(c).or_default().push(s.at);
    }
    let mut over = 0;
    let mut worst = (0.0f64, String::new(), 0usize, 0.0f64);
    for (key, (rate, times)) in &mut by_key {
        times.sort();
        let busiest = busiest_window(times);
        let limit = rate.floor().max(1.0);
        if busiest as f64 > limit {
            over += 1;
        }
        if busiest as f64 / limit > worst.0 {
            worst = (busiest as f64 / limit, key.to_string(), busiest, limit);
        }
    }
    let mut all: Vec<Instant> = sent.iter().map(|s| s.at).collect();
    all.sort();
    let account_busiest = busiest_window(&all);
    println!(
        "sendq: limits: {over} of {} senders/campaigns over their limit in some 1-s window; busiest {} ({} in 1 s, limit {}); account busiest 1-s window {account_busiest} (limit {account_rate})",
        by_key.len(),
        worst.1,
        worst.2,
        worst.3
    );

    // Fairness: each company's last send against its fair share's ideal.
    let demand: Vec<f64> = fleet.companies.iter().map(|c| c.messages as f64).collect();
    let caps: Vec<f64> = fleet
        .companies
        .iter()
        .map(|c| {
            let mut keys: HashMap<&str, f64> = HashMap::new();
            for s in &c.senders {
                keys.insert(&s.key, s.per_second);
            }
            keys.values().sum::<f64>().min(account_rate)
        })
        .collect();
    let ideal = ideal_completion(&demand, &caps, account_rate);
    // The same ideal at the rates the limiters use (`sending.limit_headroom_percent` under each).
    let share = 1.0 - headroom_percent() / 100.0;
    let caps_used: Vec<f64> = caps.iter().map(|c| c * share).collect();
    let ideal_used = ideal_completion(&demand, &caps_used, account_rate * share);
    let (mut lateness, mut ratios, mut firsts, mut late_used) = (vec![], vec![], vec![], vec![]);
    let mut worst_co = (f64::MIN, 0usize, 0.0, 0.0);
    let mut hot = None;
    for (c, times) in &by_company {
        let last = (*times.iter().max().expect("a send") - t0).as_secs_f64();
        let first = (*times.iter().min().expect("a send") - t0).as_secs_f64();
        if fleet.companies[*c].hot {
            hot = Some((last, ideal[*c]));
            continue;
        }
        let late = last - ideal[*c];
        lateness.push(late);
        late_used.push(last - ideal_used[*c]);
        ratios.push(last / ideal[*c]);
        firsts.push(first);
        if late > worst_co.0 {
            worst_co = (late, *c, last, ideal[*c]);
        }
    }
    println!(
        "sendq: fairness, the {} other companies: last send vs ideal median {:+.2} s (ratio {:.3}), worst {:+.2} s ({:.1} s vs ideal {:.1} s, ratio {:.3}); first send after the start median {:.2} s, worst {:.2} s",
        lateness.len(),
        median(lateness.clone()),
        median(ratios),
        worst_co.0,
        worst_co.2,
        worst_co.3,
        worst_co.2 / worst_co.3,
        median(firsts.clone()),
        firsts.iter().copied().fold(0.0, f64::max),
    );
    println!(
        "sendq: fairness against the ideal at the limiters' rates ({:.0}/s, {}% headroom): median {:+.2} s, worst {:+.2} s",
        account_rate * share,
        headroom_percent(),
        median(late_used.clone()),
        late_used.iter().copied().fold(f64::MIN, f64::max)
    );
    if let Some((last, ideal)) = hot {
        println!("sendq: the hot company's last send {last:.1} s vs ideal {ideal:.1} s");
    }
}
