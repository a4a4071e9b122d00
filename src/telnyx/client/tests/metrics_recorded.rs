//! One counter increment and one histogram observation per HTTP attempt, with fixed labels.
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{client, TestRecorder};

#[tokio::test]
async fn telnyx_metrics_per_attempt_with_endpoint_and_status() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/number_orders/ord-1"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/number_orders/ord-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": "ord-1", "status": "success"}})))
        .mount(&server)
        .await;
    let recorder = TestRecorder::default();
    // #[tokio::test] runs on one thread, so the thread-local recorder sees every attempt.
    let _guard = metrics::set_default_local_recorder(&recorder);

    client(&server).get_number_order("ord-1").await.expect("order");

    assert_eq!(
        recorder.events(),
        [
            "switchboard_telnyx_requests_total{endpoint=get_number_order,status=500} +1",
            "switchboard_telnyx_request_duration_seconds{endpoint=get_number_order} observed",
            "switchboard_telnyx_requests_total{endpoint=get_number_order,status=200} +1",
            "switchboard_telnyx_request_duration_seconds{endpoint=get_number_order} observed",
        ]
    );
}
