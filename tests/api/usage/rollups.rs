//! The daily rollup equals the numbers' counters for the same period (everything here happens
//! today), counts `message.finalized` outcomes per recipient and per cause and `call.hangup`
//! outcomes of the company's own calls (ended, answered, short), and a redelivery changes nothing.
//! The API answers every day of a bounded range, as JSON or CSV.
use reqwest::Method;
use serde_json::Value;
use switchboard::domain::CompanyId;
use switchboard::telnyx::client::LegState;

use crate::backend_tests;
use crate::helpers::{Db, TestApp};
use crate::telnyx_events::{call_hangup, call_initiated, message_finalized, message_received, message_sent};
use crate::webhooks::{post_signed, seed, usage, ACME_SALES, ACME_SUPPORT, CUSTOMER, OTHER_MAIN};

backend_tests!(rollups_equal_counters_and_redeliveries_count_nothing, usage_ranges_csv_and_tenancy);

const OPERATOR: &str = crate::admin_support::OPERATOR;

async fn app(db: Db) -> TestApp {
    crate::admin_support::spawn_admin(db).await.app
}

async fn get(app: &TestApp, path: &str, accept: Option<&str>) -> (u16, String) {
    let mut req = app.client.request(Method::GET, format!("{}{path}", app.address)).bearer_auth(OPERATOR);
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn get_json(app: &TestApp, path: &str) -> Value {
    let (status, body) = get(app, path, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

async fn number_id(app: &TestApp, company: CompanyId, number: &str) -> String {
    let page = get_json(app, &format!("/v1/companies/{company}/numbers")).await;
    let n = page["data"].as_array().unwrap().iter().find(|n| n["phone_number"] == number).unwrap().clone();
    n["id"].as_str().unwrap().to_owned()
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

/// Every event kind that counts, finalized outcomes of every cause, one message to two recipients,
/// call outcomes of every kind (`acme` places the dialled calls).
fn events(acme: CompanyId) -> Vec<Vec<u8>> {
    let dial = LegState::Dial { company: acme }.client_state();
    let dial = Some(dial.as_str());
    let transfer = LegState::Transfer { company: acme, event_id: "u-c1".into(), step: 0 }.client_state();
    vec![
        // An inbound call switchboard never answered (abandoned while ringing).
        call_hangup("u-h1", (CUSTOMER, ACME_SUPPORT), "originator_cancel", None, 30),
        // Calls Sales placed: answered for a minute, answered for 3 s (short), not answered.
        call_hangup("u-h2", (ACME_SALES, CUSTOMER), "normal_clearing", dial, 60),
        call_hangup("u-h3", (ACME_SALES, CUSTOMER), "normal_clearing", dial, 3),
        call_hangup("u-h4", (ACME_SALES, "+12065550101"), "no_answer", dial, 30),
        // A transfer's new leg is switchboard's, not a call of the company's.
        call_hangup("u-h5", (CUSTOMER, "+16505550100"), "normal_clearing", Some(transfer.as_str()), 2),
        call_hangup("u-o2", (CUSTOMER, OTHER_MAIN), "originator_cancel", None, 5),
        message_received("u-r1", CUSTOMER, &[ACME_SALES], &[], "hi"),
        message_received("u-r2", CUSTOMER, &[ACME_SALES, ACME_SUPPORT], &[], "to both"),
        message_sent("u-s1", ACME_SALES, CUSTOMER),
        message_sent("u-s2", ACME_SALES, "+12065550101"),
        call_initiated("u-c1", CUSTOMER, ACME_SUPPORT, "incoming"),
        call_initiated("u-c2", ACME_SALES, CUSTOMER, "outgoing"),
        // The other company's event counts only there.
        message_received("u-o1", CUSTOMER, &[OTHER_MAIN], &[], "other"),
        message_finalized("u-f1", ACME_SALES, &[(CUSTOMER, "delivered"), ("+12065550101", "delivered")], &[]),
        message_finalized("u-f2", ACME_SALES, &[("+12065550102", "delivery_failed")], &["40003"]),
        message_finalized("u-f3", ACME_SALES, &[("+12065550103", "sending_failed")], &["40011"]),
        message_finalized("u-f4", ACME_SALES, &[("+12065550104", "delivery_failed")], &["40001"]),
        message_finalized("u-f5", ACME_SALES, &[("+12065550105", "expired")], &["40300"]),
        // No outcome yet: counts nothing.
        message_finalized("u-f6", ACME_SALES, &[("+12065550106", "delivery_unconfirmed")], &[]),
        message_finalized("u-f7", ACME_SUPPORT, &[(CUSTOMER, "delivered")], &[]),
    ]
}

async fn rollups_equal_counters_and_redeliveries_count_nothing(db: Db) {
    let app = app(db).await;
    let (acme, other) = seed(&app).await;
    for round in 0..2 {
        // The second round is Telnyx redelivering every event: nothing may change.
        for body in events(acme) {
            let res = post_signed(&app, &body).await;
            assert_eq!(res.status(), 200, "round {round}: {:?}", res.text().await);
        }
        let day = today();
        let range = format!("from={day}&to={day}");
        let company = get_json(&app, &format!("/v1/companies/{acme}/usage?{range}&granularity=day")).await;
        assert_eq!(company["days"].as_array().unwrap().len(), 1, "{company}");
        let total = &company["total"];
        assert_eq!(company["days"][0]["day"], day.as_str());
        assert_eq!(&company["days"][0]["delivered"], &total["delivered"]);

        // Per number: the rollup of today equals the number's lifetime counters (all of today).
        let mut sums = [0i64; 4];
        for number in [ACME_SALES, ACME_SUPPORT] {
            let id = number_id(&app, acme, number).await;
            let r = get_json(&app, &format!("/v1/companies/{acme}/numbers/{id}/usage?{range}")).await;
            let counters = usage(&app, acme, number).await;
            let day = &r["days"][0];
            let got = [&day["incoming_calls"], &day["outgoing_calls"], &day["sms_sent"], &day["sms_received"]]
                .map(|v| v.as_i64().unwrap());
            let want = [
                counters.incoming_calls_count,
                counters.outgoing_calls_count,
                counters.sms_sent_count,
                counters.sms_received_count,
            ];
            assert_eq!(got, want, "round {round}, {number}: {r}");
            sums.iter_mut().zip(got).for_each(|(s, g)| *s += g);
            let calls = ["calls_ended", "calls_answered", "calls_short"].map(|k| day[k].as_i64().unwrap());
            if number == ACME_SALES {
                let outcomes = ["delivered", "failed", "failed_spam", "failed_throughput", "failed_destination"]
                    .map(|k| day[k].as_i64().unwrap());
                assert_eq!(outcomes, [2, 4, 1, 1, 1], "per recipient and per cause: {r}");
                assert_eq!(calls, [3, 2, 1], "ended, answered, short: {r}");
            } else {
                assert_eq!((day["delivered"].as_i64(), day["failed"].as_i64()), (Some(1), Some(0)), "{r}");
                assert_eq!(calls, [1, 0, 0], "{r}");
            }
        }
        assert_eq!(sums, [1, 1, 2, 3], "the events sent, each once");
        let whole =
            ["incoming_calls", "outgoing_calls", "sms_sent", "sms_received"].map(|k| total[k].as_i64().unwrap());
        assert_eq!(whole, sums, "the company is the sum of its numbers: {company}");
        assert_eq!(total["delivered"], 3);
        let calls = ["calls_ended", "calls_answered", "calls_short"].map(|k| total[k].as_i64().unwrap());
        assert_eq!(calls, [4, 2, 1], "{company}");
        let other_usage = get_json(&app, &format!("/v1/companies/{other}/usage?{range}")).await;
        assert_eq!(other_usage["total"]["sms_received"], 1, "{other_usage}");
        assert_eq!(other_usage["total"]["delivered"], 0, "{other_usage}");
        assert_eq!(other_usage["total"]["calls_ended"], 1, "{other_usage}");
    }
}

async fn usage_ranges_csv_and_tenancy(db: Db) {
    let app = app(db).await;
    let (acme, other) = seed(&app).await;
    assert_eq!(post_signed(&app, &message_sent("csv-1", ACME_SALES, CUSTOMER)).await.status(), 200);
    let dial = LegState::Dial { company: acme }.client_state();
    let short = call_hangup("csv-2", (ACME_SALES, CUSTOMER), "normal_clearing", Some(dial.as_str()), 1);
    assert_eq!(post_signed(&app, &short).await.status(), 200);
    let day = chrono::Utc::now().date_naive();
    let from = day - chrono::Duration::days(2);
    let path = format!("/v1/companies/{acme}/usage?from={from}&to={day}");

    // Every day of the range, zeros included, in order.
    let r = get_json(&app, &path).await;
    let days: Vec<_> = r["days"].as_array().unwrap().iter().map(|d| d["day"].as_str().unwrap().to_owned()).collect();
    assert_eq!(days, [from.to_string(), (from + chrono::Duration::days(1)).to_string(), day.to_string()]);
    assert_eq!((r["days"][0]["sms_sent"].as_i64(), r["days"][2]["sms_sent"].as_i64()), (Some(0), Some(1)));
    assert_eq!((r["granularity"].as_str(), r["phone_number_id"].is_null()), (Some("day"), true));

    // CSV by Accept or by ?format=csv: a header and one line per day.
    let header = "day,incoming_calls,outgoing_calls,sms_sent,sms_received,delivered,failed,failed_spam,failed_throughput,failed_destination,calls_ended,calls_answered,calls_short";
    for (path, accept) in [(path.clone(), Some("text/csv")), (format!("{path}&format=csv"), None)] {
        let (status, body) = get(&app, &path, accept).await;
        assert_eq!(status, 200, "{body}");
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.len(), 4, "{body}");
        assert_eq!(lines[0], header);
        assert_eq!(lines[3], format!("{day},0,0,1,0,0,0,0,0,0,1,1,1"));
    }

    // Bad input: 400 naming the parameter.
    let far = day - chrono::Duration::days(366);
    for (query, field) in [
        (format!("from=yesterday&to={day}"), "from"),
        ("to=2026-13-01".to_owned(), "to"),
        (format!("from={day}&to={from}"), "to"),
        (format!("from={far}&to={day}"), "to"),
        ("granularity=hour".to_owned(), "granularity"),
        ("format=xml".to_owned(), "format"),
    ] {
        let (status, body) = get(&app, &format!("/v1/companies/{acme}/usage?{query}"), None).await;
        assert_eq!(status, 400, "{query}: {body}");
        let p: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(p["field"], field, "{query}: {p}");
        assert!(!body.to_lowercase().contains("sql"), "{body}");
    }
    // 366 days is the longest range.
    let longest = day - chrono::Duration::days(365);
    let r = get_json(&app, &format!("/v1/companies/{acme}/usage?from={longest}&to={day}")).await;
    assert_eq!(r["days"].as_array().unwrap().len(), 366);

    // Another company's number is not found through this company.
    let theirs = number_id(&app, other, OTHER_MAIN).await;
    let (status, _) = get(&app, &format!("/v1/companies/{acme}/numbers/{theirs}/usage"), None).await;
    assert_eq!(status, 404);
}
