//! Pagination of every list: `limit` (1 to 1000, default 100), an opaque keyset `cursor`, the
//! `{"data", "next_cursor"}` envelope and the `Link: <...>; rel="next"` header.
use std::collections::HashSet;

use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::admin_support::{spawn_admin, Admin, OPERATOR};
use crate::backend_tests;
use crate::helpers::{Db, TestDb};

backend_tests!(five_thousand_opt_outs_page_by_page, every_list_pages_by_limit_and_cursor);

/// One GET: status, JSON body and the `Link` header.
async fn get(admin: &Admin, path: &str, token: &str) -> (StatusCode, Value, Option<String>) {
    let res = admin.app.client.get(format!("{}{path}", admin.app.address)).bearer_auth(token).send().await.unwrap();
    let status = res.status();
    let link = res.headers().get("link").map(|l| l.to_str().unwrap().to_owned());
    let body = serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null);
    (status, body, link)
}

/// The path of the next page from a `Link: <path>; rel="next"` header.
fn next_link(link: &str) -> &str {
    let target = link.strip_prefix('<').and_then(|l| l.strip_suffix(">; rel=\"next\""));
    target.unwrap_or_else(|| panic!("not a next link: {link}"))
}

/// Walks a list from `first` (a path with its query) by following the Link headers, checking
/// that each page holds at most `limit` items, that the Link and `next_cursor` agree and that the
/// last page has neither; returns every item in order.
async fn walk(admin: &Admin, first: &str, token: &str, limit: usize) -> Vec<Value> {
    let mut items = Vec::new();
    let mut path = first.to_owned();
    for _ in 0..10_000 {
        let (status, page, link) = get(admin, &path, token).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        let data = page["data"].as_array().unwrap_or_else(|| panic!("{path}: no data array: {page}"));
        assert!(data.len() <= limit, "{path}: {} items on a page of {limit}", data.len());
        items.extend(data.iter().cloned());
        match (&page["next_cursor"], link) {
            (Value::Null, None) => return items,
            (Value::String(cursor), Some(link)) => {
                assert_eq!(data.len(), limit, "{path}: a page before the last is full");
                let next = next_link(&link);
                assert!(next.ends_with(&format!("cursor={cursor}")), "{link} vs {cursor}");
                path = next.to_owned();
            }
            (cursor, link) => panic!("{path}: next_cursor {cursor} and Link {link:?} disagree"),
        }
    }
    panic!("{first}: the walk does not end");
}

/// Inserts opt-outs for `company` straight into the test database, a thousand rows a statement.
async fn insert_opt_outs(db: &TestDb, company: Uuid, customers: &[String]) {
    use sqlx::{Connection, QueryBuilder};
    let now = Utc::now();
    let sql = "INSERT INTO opt_outs (company_id, customer_number, keyword, created_at, opted_out, changed_at) ";
    macro_rules! insert {
        ($conn:ty, $db:ty) => {{
            let mut conn = <$conn>::connect(&db.url).await.unwrap();
            let mut tx = conn.begin().await.unwrap();
            for chunk in customers.chunks(1000) {
                let mut q = QueryBuilder::<$db>::new(sql);
                q.push_values(chunk, |mut row, customer| {
                    row.push_bind(company).push_bind(customer).push_bind("STOP");
                    row.push_bind(now).push_bind(true).push_bind(now);
                });
                q.build().execute(&mut *tx).await.unwrap();
            }
            tx.commit().await.unwrap();
        }};
    }
    match db.db {
        Db::Postgres => insert!(sqlx::PgConnection, sqlx::Postgres),
        Db::Sqlite => insert!(sqlx::SqliteConnection, sqlx::Sqlite),
    }
}

fn assert_refused(status: StatusCode, problem: &Value, field: &str, what: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {problem}");
    assert_eq!(problem["field"], field, "{what}: {problem}");
}

/// The acceptance case of issue 19: 5,000 opt-outs, listed a hundred at a time.
async fn five_thousand_opt_outs_page_by_page(db: Db) {
    let admin = spawn_admin(db).await;
    let (a, token_a) = admin.company("A").await;
    let (b, token_b) = admin.company("B").await;
    let mut customers: Vec<String> = (0..5000).map(|i| format!("+1415{:07}", i * 7 % 10_000_000)).collect();
    insert_opt_outs(&admin.app.db, a, &customers).await;
    customers.sort();
    let (status, _) = admin.op(Method::PUT, &format!("/v1/companies/{b}/opt-outs/+12125550100"), None).await;
    assert_eq!(status, StatusCode::OK);
    let list_a = format!("/v1/companies/{a}/opt-outs");
    let list_b = format!("/v1/companies/{b}/opt-outs");

    // The first page: 100 items and a cursor, and the same cursor in the Link header.
    let (status, page, link) = get(&admin, &format!("{list_a}?limit=100"), &token_a).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["data"].as_array().map(Vec::len), Some(100), "{page}");
    assert_eq!(page["data"][0]["customer"], customers[0].as_str());
    let cursor = page["next_cursor"].as_str().expect("a next cursor").to_owned();
    assert_eq!(link.as_deref(), Some(format!("<{list_a}?limit=100&cursor={cursor}>; rel=\"next\"").as_str()));
    // Without a limit: the default, 100.
    let (_, default, _) = get(&admin, &list_a, &token_a).await;
    assert_eq!(default["data"], page["data"]);

    // Walking the cursors returns each of the 5,000 exactly once, in order.
    let all = walk(&admin, &format!("{list_a}?limit=100"), &token_a, 100).await;
    let listed: Vec<&str> = all.iter().map(|o| o["customer"].as_str().unwrap()).collect();
    assert_eq!(listed.len(), 5000);
    assert_eq!(listed.iter().collect::<HashSet<_>>().len(), 5000, "no customer twice");
    assert_eq!(listed, customers, "every customer, in order");
    // The largest page.
    let (status, big, _) = get(&admin, &format!("{list_a}?limit=1000"), &token_a).await;
    assert_eq!((status, big["data"].as_array().map(Vec::len)), (StatusCode::OK, Some(1000)));

    // Bad limits name `limit`.
    for limit in ["1001", "0", "-5", "ten", ""] {
        let (status, problem, _) = get(&admin, &format!("{list_a}?limit={limit}"), &token_a).await;
        assert_refused(status, &problem, "limit", &format!("limit={limit}"));
    }
    // A's cursor on B's list shows nothing of A's: it is refused, whoever asks (and A's token
    // reaches no list of B's, cursor or not).
    for token in [token_b.as_str(), OPERATOR] {
        let (status, problem, _) = get(&admin, &format!("{list_b}?cursor={cursor}"), token).await;
        assert_refused(status, &problem, "cursor", "A's cursor on B's list");
        assert!(!problem.to_string().contains("+1415"), "{problem}");
    }
    let (status, _, _) = get(&admin, &format!("{list_b}?cursor={cursor}"), &token_a).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The token is checked before the query: no token, bad limit or cursor or not, is a 401.
    for query in ["limit=0", "cursor=x", "limit=10"] {
        let (status, _) = admin.call(Method::GET, &format!("{list_a}?{query}"), None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{query}");
    }
    // B's own list is B's one opt-out.
    let (_, page_b, _) = get(&admin, &list_b, &token_b).await;
    assert_eq!(page_b, json!({"data": [page_b["data"][0].clone()], "next_cursor": null}));
    assert_eq!(page_b["data"][0]["customer"], "+12125550100");
    // A's cursor on A's other lists, and altered cursors, are refused.
    let mut altered = cursor.clone().into_bytes();
    altered[10] = if altered[10] == b'x' { b'y' } else { b'x' };
    let altered = String::from_utf8(altered).unwrap();
    for path in [
        format!("/v1/companies/{a}/assignments?cursor={cursor}"),
        format!("{list_a}?cursor={altered}"),
        format!("{list_a}?cursor=%2B14150000000"),
        format!("{list_a}?cursor="),
    ] {
        let (status, problem, _) = get(&admin, &path, &token_a).await;
        assert_refused(status, &problem, "cursor", &path);
    }
}

/// Reads a whole list in one page (the largest) and page by page with `limit=1`, which puts a
/// page boundary between every two rows: both must give the same rows, each once.
async fn check_list(admin: &Admin, path: &str, token: &str, id: &dyn Fn(&Value) -> String, expected: usize) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    let (status, whole, link) = get(admin, &format!("{path}{sep}limit=1000"), token).await;
    assert_eq!(status, StatusCode::OK, "{path}: {whole}");
    assert_eq!((&whole["next_cursor"], link), (&Value::Null, None), "{path}: one page holds it all");
    let whole = whole["data"].as_array().unwrap().clone();
    assert_eq!(whole.len(), expected, "{path}: {whole:?}");
    let walked = walk(admin, &format!("{path}{sep}limit=1"), token, 1).await;
    let ids = |items: &[Value]| items.iter().map(id).collect::<Vec<_>>();
    assert_eq!(ids(&walked), ids(&whole), "{path}: page by page as in one page");
    assert_eq!(ids(&walked).into_iter().collect::<HashSet<_>>().len(), expected, "{path}: each row once");
    // The cursor after the first row, for the checks of cursors on other lists.
    let (_, first, _) = get(admin, &format!("{path}{sep}limit=1"), token).await;
    first["next_cursor"].as_str().unwrap_or_else(|| panic!("{path}: no cursor: {first}")).to_owned()
}

/// Every list, table-driven: each has a few rows (ties in the sort included), and is walked one
/// row a page; each refuses bad limits and cursors naming the parameter.
async fn every_list_pages_by_limit_and_cursor(db: Db) {
    let admin = spawn_admin(db).await;
    let (co, _) = admin.company("Acme").await;
    for name in ["Beta", "Gamma"] {
        admin.company(name).await;
    }
    let base = format!("/v1/companies/{co}");
    let admin_ref = &admin;
    let put = |path: String, body: Option<Value>| async move {
        let (status, v) = admin_ref.op(Method::PUT, &path, body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {v}");
    };
    // Numbers: three active, one suspended (the filter keeps to the active ones).
    let numbers = ["+18314280176", "+14155550001", "+12125550003", "+16505555678"];
    for n in numbers {
        admin.number(co, json!({"phone_number": n})).await;
    }
    let suspended = admin.number(co, json!({"phone_number": "+13035550100"})).await;
    let patch = json!({"status": "suspended"});
    let (status, _) =
        admin.op(Method::PATCH, &format!("{base}/numbers/{}", suspended["id"].as_str().unwrap()), Some(patch)).await;
    assert_eq!(status, StatusCode::OK);
    for name in ["Sales", "Support", "Emergency"] {
        put(format!("{base}/departments/{name}"), Some(json!({}))).await;
        put(format!("{base}/locations/{name}"), Some(json!({}))).await;
    }
    for customer in ["+14155550100", "+14155550101", "+14155550102"] {
        put(format!("{base}/assignments/{customer}"), Some(json!({"phone_number": numbers[0]}))).await;
        put(format!("{base}/opt-outs/{customer}"), None).await;
    }
    for name in ["second", "third"] {
        let (status, t) = admin.op(Method::POST, &format!("{base}/tokens"), Some(json!({"name": name}))).await;
        assert_eq!(status, StatusCode::CREATED, "{t}");
    }
    // The routing log: a message to two company numbers logs a line for each (same event, same
    // time), and two more events.
    let events = [("ev-1", &numbers[..2]), ("ev-2", &numbers[2..3]), ("ev-3", &numbers[3..4])];
    for (id, to) in events {
        let body = crate::telnyx_events::message_received(id, "+13105550199", to, &[], "hi");
        assert_eq!(crate::webhooks::post_signed(&admin.app, &body).await.status(), 200);
    }
    // The outbox: three items of one commit (same created_at).
    let company = switchboard::domain::CompanyId::from_uuid(co);
    let items: Vec<_> = (0..3)
        .map(|i| switchboard::ledger::outbox_item::OutboxItem::call_hangup(company, &format!("ev-{i}"), "cc-1"))
        .collect();
    assert_eq!(admin.app.store.insert_outbox_items(&items).await.unwrap(), 3);

    type Id = Box<dyn Fn(&Value) -> String>;
    let field = |name: &'static str| -> Id { Box::new(move |v: &Value| v[name].to_string()) };
    let log_line: Id = Box::new(|v: &Value| format!("{} {}", v["event_id"], v["phone_number"]));
    let lists: Vec<(String, Id, usize)> = vec![
        ("/v1/companies".to_owned(), field("id"), 3),
        (format!("{base}/numbers"), field("id"), 5),
        (format!("{base}/numbers?status=active"), field("id"), 4),
        (format!("{base}/departments"), field("name"), 3),
        (format!("{base}/locations"), field("name"), 3),
        (format!("{base}/assignments"), field("customer"), 3),
        (format!("{base}/opt-outs"), field("customer"), 3),
        (format!("{base}/tokens"), field("id"), 3),
        (format!("{base}/routing-log"), log_line, 4),
        (format!("{base}/outbox"), field("id"), 3),
    ];
    let mut cursors = Vec::new();
    for (path, id, expected) in &lists {
        let cursor = check_list(&admin, path, OPERATOR, id.as_ref(), *expected).await;
        let sep = if path.contains('?') { '&' } else { '?' };
        for limit in ["0", "1001", "many"] {
            let (status, problem, _) = get(&admin, &format!("{path}{sep}limit={limit}"), OPERATOR).await;
            assert_refused(status, &problem, "limit", &format!("{path} limit={limit}"));
        }
        let (status, problem, _) = get(&admin, &format!("{path}{sep}cursor=bm90LWEtY3Vyc29y"), OPERATOR).await;
        assert_refused(status, &problem, "cursor", &format!("{path} with a made-up cursor"));
        cursors.push((path.clone(), cursor));
    }
    // The filter is kept in the next page's link.
    let (_, _, link) = get(&admin, &format!("{base}/numbers?status=active&limit=1"), OPERATOR).await;
    assert!(next_link(&link.unwrap()).starts_with(&format!("{base}/numbers?status=active&limit=1&cursor=")));
    // Newest first, and the two lines of one event side by side.
    let (_, log, _) = get(&admin, &format!("{base}/routing-log"), OPERATOR).await;
    let order: Vec<&str> = log["data"].as_array().unwrap().iter().map(|l| l["event_id"].as_str().unwrap()).collect();
    assert_eq!(order.iter().filter(|e| **e == "ev-1").count(), 2, "{log}");
    // A cursor is good only on the list it came from.
    for (i, (path, _)) in cursors.iter().enumerate() {
        let (other, cursor) = &cursors[(i + 1) % cursors.len()];
        let same_list = other.split('?').next() == path.split('?').next();
        let sep = if path.contains('?') { '&' } else { '?' };
        let (status, problem, _) = get(&admin, &format!("{path}{sep}cursor={cursor}"), OPERATOR).await;
        if same_list {
            assert_eq!(status, StatusCode::OK, "{path} with a cursor of {other}: {problem}");
        } else {
            assert_refused(status, &problem, "cursor", &format!("{path} with a cursor of {other}"));
        }
    }
}

/// `$ref`s followed to what they name.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => resolve(doc, &doc["components"]["schemas"][name]),
        None => v,
    }
}

/// /openapi.json describes the pagination of every list: the two query parameters with their
/// bounds, the envelope and the Link header.
#[actix_web::test]
async fn openapi_describes_the_pagination_of_every_list() {
    let admin = spawn_admin(Db::Sqlite).await;
    let doc: Value = admin.app.get("/openapi.json").await.json().await.unwrap();
    let lists = [
        "/v1/companies",
        "/v1/companies/{id}/numbers",
        "/v1/companies/{id}/departments",
        "/v1/companies/{id}/locations",
        "/v1/companies/{id}/assignments",
        "/v1/companies/{id}/opt-outs",
        "/v1/companies/{id}/tokens",
        "/v1/companies/{id}/routing-log",
        "/v1/companies/{id}/outbox",
    ];
    for path in lists {
        let op = &doc["paths"][path]["get"];
        let params = op["parameters"].as_array().unwrap_or_else(|| panic!("{path}: no parameters"));
        let param = |name: &str| {
            params
                .iter()
                .find(|p| p["name"] == name && p["in"] == "query")
                .unwrap_or_else(|| panic!("{path}: no {name}"))
        };
        let limit = &param("limit")["schema"];
        assert_eq!((&limit["minimum"], &limit["maximum"]), (&json!(1), &json!(1000)), "{path}: {limit}");
        assert!(limit["type"].to_string().contains("integer"), "{path}: {limit}");
        assert!(param("cursor")["schema"]["type"].to_string().contains("string"), "{path}");
        let ok = &op["responses"]["200"];
        assert!(ok["headers"]["Link"].is_object(), "{path}: no Link header: {ok}");
        let body = resolve(&doc, &ok["content"]["application/json"]["schema"]);
        let props = &body["properties"];
        assert_eq!(resolve(&doc, &props["data"])["type"], "array", "{path}: {body}");
        assert!(props["next_cursor"]["type"].to_string().contains("null"), "{path}: {body}");
        let required = body["required"].as_array().unwrap_or_else(|| panic!("{path}: {body}"));
        assert!(required.contains(&json!("data")) && required.contains(&json!("next_cursor")), "{path}: {body}");
        let bad = &op["responses"]["400"]["content"]["application/problem+json"];
        assert!(bad.is_object(), "{path}: a bad limit or cursor is a documented 400");
    }
}
