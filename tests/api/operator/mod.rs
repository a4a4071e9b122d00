//! The operator surface (issue 22): dead letters (list, show, re-drive, delete; operator only),
//! routing log filters, outbox filters, retry and cancel.
mod dead_letters;
mod outbox_ops;
mod routing_log_filters;

use reqwest::Method;
use serde_json::Value;

use crate::admin_support::Admin;

/// Every row of a list, walking its cursor with `limit` per page; also checks the Link header
/// agrees with `next_cursor`. Returns the rows and the number of pages.
pub async fn walk(admin: &Admin, token: &str, first: &str, limit: usize) -> (Vec<Value>, usize) {
    let sep = if first.contains('?') { '&' } else { '?' };
    let mut url = format!("{first}{sep}limit={limit}");
    let (mut rows, mut pages) = (Vec::new(), 0);
    loop {
        let res = admin
            .app
            .client
            .request(Method::GET, format!("{}{url}", admin.app.address))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{url}");
        let link = res.headers().get("link").map(|l| l.to_str().unwrap().to_owned());
        let page: Value = res.json().await.unwrap();
        pages += 1;
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= limit);
        rows.extend(data.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                let link = link.expect("a Link header while another page follows");
                assert!(link.contains(cursor) && link.ends_with("rel=\"next\""), "{link}");
                let path = first.split('?').next().unwrap();
                let link_url = link.trim_start_matches('<').split('>').next().unwrap().to_owned();
                assert!(link_url.starts_with(path), "{link_url}");
                url = link_url;
            }
            None => {
                assert!(link.is_none());
                return (rows, pages);
            }
        }
    }
}
