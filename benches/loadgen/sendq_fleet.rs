//! The send queue benchmark's companies, their senders (and the limiter each sender passes, with
//! its rate as the daemon's defaults have it) and their queued messages.
use std::collections::HashMap;

use futures::StreamExt;
use switchboard::domain::{CompanyId, NumberType, PhoneNumber};
use switchboard::store::send_queue::{MessageContent, MessageKind, NewOutbound, SenderClass};
use switchboard::store::{DynStore, NewNumber, NumberPatch};

/// config/default.toml: `sending.toll_free_per_second`.
const TOLL_FREE_PER_SECOND: f64 = 20.0;
/// config/default.toml: `sending.ten_dlc_per_minute` / 60 (per campaign, or per number without one).
const TEN_DLC_PER_SECOND: f64 = 4.0;
/// Validity of every message: Telnyx's own queue's 4 h.
const VALIDITY_MS: i64 = 4 * 3600 * 1000;

pub struct Sender {
    pub number: String,
    pub class: SenderClass,
    /// The limiter it passes (`sender:+1...` or `campaign:...`, as the daemon names them).
    pub key: String,
    pub per_second: f64,
}

pub struct CompanySpec {
    pub id: CompanyId,
    pub senders: Vec<Sender>,
    pub messages: usize,
    pub hot: bool,
}

pub struct Fleet {
    pub companies: Vec<CompanySpec>,
    /// Sending number -> (company index, sender index).
    pub by_number: HashMap<String, (usize, usize)>,
}

fn number(i: usize) -> String {
    format!("+1312{}{:06}", 2 + i / 1_000_000, i % 1_000_000)
}

fn sender(number: String, number_type: NumberType, campaign: Option<String>, brand: Option<String>) -> Sender {
    let (key, per_second) = match (&number_type, &campaign) {
        (NumberType::TenDlc, Some(c)) => (format!("campaign:{c}"), TEN_DLC_PER_SECOND),
        (NumberType::TenDlc, None) => (format!("sender:{number}"), TEN_DLC_PER_SECOND),
        _ => (format!("sender:{number}"), TOLL_FREE_PER_SECOND),
    };
    Sender { number, class: SenderClass { number_type, campaign_id: campaign, brand_id: brand }, key, per_second }
}

impl Fleet {
    /// `companies` companies, the first (hot) with half of `messages` and toll-free numbers enough
    /// for 1,000/s; the others in turn: one toll-free number, a 10DLC campaign of two numbers,
    /// one 10DLC number without a campaign; the other half of the messages spread over them.
    pub fn new(companies: usize, messages: usize) -> Fleet {
        let mut next = 0;
        let mut fresh = || {
            next += 1;
            number(next)
        };
        let hot_messages = messages / 2;
        let others = companies.saturating_sub(1).max(1);
        let mut list = Vec::with_capacity(companies);
        let hot_senders = (1000.0 / TOLL_FREE_PER_SECOND) as usize;
        list.push(CompanySpec {
            id: CompanyId::new(),
            senders: (0..hot_senders).map(|_| sender(fresh(), NumberType::TollFree, None, None)).collect(),
            messages: hot_messages,
            hot: true,
        });
        for c in 1..companies {
            let senders = match c % 3 {
                0 => vec![sender(fresh(), NumberType::TollFree, None, None)],
                1 => (0..2)
                    .map(|_| {
                        sender(fresh(), NumberType::TenDlc, Some(format!("CBENCH{c}")), Some(format!("BBENCH{c}")))
                    })
                    .collect(),
                _ => vec![sender(fresh(), NumberType::TenDlc, None, None)],
            };
            let rest = messages - hot_messages;
            let share = rest / others + usize::from(c - 1 < rest % others);
            list.push(CompanySpec { id: CompanyId::new(), senders, messages: share, hot: false });
        }
        let mut by_number = HashMap::new();
        for (c, co) in list.iter().enumerate() {
            for (s, sender) in co.senders.iter().enumerate() {
                by_number.insert(sender.number.clone(), (c, s));
            }
        }
        Fleet { companies: list, by_number }
    }

    /// The companies and their numbers, with each number's sending class.
    pub async fn seed(&self, store: &DynStore) {
        futures::stream::iter(&self.companies)
            .for_each_concurrent(8, |co| async move {
                store.create_company(co.id, &format!("Sendq {}", co.id)).await.expect("company");
                for s in &co.senders {
                    let phone = PhoneNumber::parse(&s.number).expect("number");
                    let n = store.insert_number(&NewNumber::new(co.id, phone)).await.expect("number");
                    let patch = NumberPatch {
                        number_type: Some(s.class.number_type),
                        campaign_id: Some(s.class.campaign_id.clone()),
                        brand_id: Some(s.class.brand_id.clone()),
                        ..Default::default()
                    };
                    store.update_number(co.id, n.id, &patch).await.expect("number class");
                }
            })
            .await;
    }

    /// Queues every message at once, due now, through the store's enqueue (fair tags included).
    pub async fn enqueue(&self, store: &DynStore, total: usize) {
        let now_ms = chrono::Utc::now().timestamp_millis();
        let mut all = Vec::with_capacity(total);
        for co in &self.companies {
            for k in 0..co.messages {
                let s = &co.senders[k % co.senders.len()];
                let id = uuid::Uuid::new_v4();
                all.push(NewOutbound {
                    company_id: co.id,
                    id,
                    from: PhoneNumber::parse(&s.number).expect("from"),
                    to: PhoneNumber::parse(&format!("+1206{}", 2_000_000 + (all.len() % 7_000_000))).expect("to"),
                    kind: MessageKind::Sms,
                    content: MessageContent {
                        text: Some(format!("sendq {id}")),
                        media_urls: vec![],
                        messaging_profile_id: "40017f8e-5f2c-4a6e-9bd5-0c1e9a7a1b2c".into(),
                    },
                    sender: s.class.clone(),
                    reason: serde_json::json!({"reason": "explicit"}),
                    send_at_ms: now_ms,
                    expires_at_ms: now_ms + VALIDITY_MS,
                    now_ms,
                });
            }
        }
        futures::stream::iter(&all)
            .for_each_concurrent(16, |m| async move {
                store.enqueue_outbound(m).await.expect("enqueue");
            })
            .await;
    }
}
