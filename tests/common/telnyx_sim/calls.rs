//! Call legs and Telnyx's call control state machine.
//!
//! An incoming call starts `parked`: only answer, hangup and reject are accepted, other commands
//! get 422 `90034` ("Call not answered yet"); any command on an ended call gets 422 `90018`; an
//! unknown `call_control_id` 422 `90015`. A command whose `command_id` was already accepted on the
//! same call within 60 s is answered 200 and not executed again. A command's `client_state` is
//! carried by that leg's later webhooks.
//!
//! Transfer creates leg B (outgoing, same session; `from` defaults to the `to` of the original
//! call, its `client_state` is the transfer's `target_leg_client_state`) and posts its
//! `call.initiated`. The test then decides, through [`super::TelnyxSim`], whether B answers
//! (`call.answered` for B, `call.bridged` for both legs) or ends with a `hangup_cause` (A stays
//! answered, ready for another command). POST /calls dials one leg per `to` (string or array);
//! `link_to` shares the linked call's session and `bridge_on_answer` bridges them on answer; when
//! one of several dialled legs answers, the others are cancelled.
//!
//! Speak, record_start / record_stop and answering machine detection are in [`super::media`];
//! what the far end of a leg does by itself (answer as a human or a machine, or end with a cause),
//! scripted per target, is in [`super::scripts`]. Other actions the spec has are accepted on an
//! answered call and change nothing.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::reply::{self, Reply};
use super::webhooks::Outgoing;
use super::World;

/// Telnyx ignores a repeated `command_id` on the same call for this long.
const COMMAND_ID_WINDOW: Duration = Duration::from_secs(60);
/// The connection of calls to numbers no application was attached to in the simulator.
pub const DEFAULT_CONNECTION_ID: &str = "1494404757140276705";

/// Whether Telnyx placed the leg towards us or from us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Incoming,
    Outgoing,
}

/// Where a leg is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegState {
    /// Incoming, waiting for answer / reject / hangup.
    Parked,
    /// Outgoing, ringing at the far end.
    Ringing,
    Answered,
    /// Bridged to the leg with this `call_control_id`.
    Bridged(String),
    Ended {
        cause: HangupCause,
    },
}

/// `hangup_cause` values (spec enum of `call.hangup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HangupCause {
    NormalClearing,
    Timeout,
    UserBusy,
    NoAnswer,
    CallRejected,
    OriginatorCancel,
    Unspecified,
}

impl HangupCause {
    pub fn as_str(self) -> &'static str {
        match self {
            HangupCause::NormalClearing => "normal_clearing",
            HangupCause::Timeout => "timeout",
            HangupCause::UserBusy => "user_busy",
            HangupCause::NoAnswer => "no_answer",
            HangupCause::CallRejected => "call_rejected",
            HangupCause::OriginatorCancel => "originator_cancel",
            HangupCause::Unspecified => "unspecified",
        }
    }

    /// `sip_hangup_cause` that goes with it (a SIP status as text) [guess: plausible codes].
    fn sip(self) -> &'static str {
        match self {
            HangupCause::NormalClearing | HangupCause::Unspecified => "unspecified",
            HangupCause::Timeout => "408",
            HangupCause::UserBusy => "486",
            HangupCause::NoAnswer => "480",
            HangupCause::CallRejected => "603",
            HangupCause::OriginatorCancel => "487",
        }
    }
}

/// One call leg.
#[derive(Debug, Clone, PartialEq)]
pub struct Leg {
    pub call_control_id: String,
    pub call_leg_id: String,
    pub call_session_id: String,
    pub connection_id: String,
    pub from: String,
    pub to: String,
    pub direction: Direction,
    pub state: LegState,
    /// The latest `client_state` (base64) given for this leg.
    pub client_state: Option<String>,
    /// Leg A, when this leg was created by a transfer of A.
    pub transferred_from: Option<String>,
    /// `link_to` of the dial that created this leg, and whether to bridge on answer.
    pub link_to: Option<String>,
    pub bridge_on_answer: bool,
    /// Other legs of the same multi-target dial (cancelled when this one answers).
    pub siblings: Vec<String>,
    /// The command that created the leg asked for answering machine detection.
    pub machine_detection: bool,
    /// What answers when the leg is answered: a machine (else a human).
    pub answered_by_machine: bool,
    /// A recording in progress (record_start), saved when it stops or the leg ends.
    pub recording: Option<super::media::Recording>,
    pub webhook_url: Option<String>,
    pub webhook_failover_url: Option<String>,
    /// Actions executed on this leg (`answer`, `transfer`, ...), in order; deduplicated commands
    /// are not repeated here.
    pub commands: Vec<String>,
    pub start_time: String,
}

/// All legs, and the command ids seen per leg.
#[derive(Debug, Default)]
pub struct Calls {
    pub legs: Vec<Leg>,
    command_ids: HashMap<(String, String), Instant>,
}

impl Calls {
    pub fn get(&self, ccid: &str) -> Option<&Leg> {
        self.legs.iter().find(|l| l.call_control_id == ccid)
    }

    pub(super) fn get_mut(&mut self, ccid: &str) -> Option<&mut Leg> {
        self.legs.iter_mut().find(|l| l.call_control_id == ccid)
    }
}

impl World {
    /// A new leg; its webhooks go to `webhook_url`, else its application's URL.
    fn new_leg(&mut self, spec: NewLeg) -> Leg {
        let (app_url, app_failover) = self.profiles.call_webhooks(&spec.connection_id);
        let leg = Leg {
            call_control_id: format!("v3:{}", uuid::Uuid::new_v4().simple()),
            call_leg_id: uuid::Uuid::new_v4().to_string(),
            call_session_id: spec.session.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            connection_id: spec.connection_id,
            from: spec.from,
            to: spec.to,
            direction: spec.direction,
            state: if spec.direction == Direction::Incoming { LegState::Parked } else { LegState::Ringing },
            client_state: spec.client_state,
            transferred_from: None,
            link_to: None,
            bridge_on_answer: false,
            siblings: Vec::new(),
            machine_detection: false,
            answered_by_machine: false,
            recording: None,
            webhook_url: spec.webhook_url.or(app_url),
            webhook_failover_url: app_failover,
            commands: Vec::new(),
            start_time: self.clock_rfc3339(),
        };
        self.calls.legs.push(leg.clone());
        leg
    }

    /// A call from `from` to the account's number `to`, parked; its `call.initiated`.
    pub fn inbound_call(&mut self, from: &str, to: &str) -> (Leg, Outgoing) {
        let connection_id = self
            .numbers
            .owned
            .iter()
            .find(|n| n.phone_number == to)
            .and_then(|n| n.connection_id.clone())
            .unwrap_or_else(|| DEFAULT_CONNECTION_ID.to_owned());
        let leg = self.new_leg(NewLeg::new(connection_id, from, to, Direction::Incoming));
        let event = initiated(&leg);
        (leg, event)
    }

    /// POST /calls.
    pub fn dial(&mut self, body: &Value) -> Reply {
        let connection_id = body["connection_id"].as_str().unwrap_or_default().to_owned();
        if self.profiles.find(super::profiles::Kind::CallControlApplication, &connection_id).is_none() {
            return Reply::error(422, &reply::INVALID_CONNECTION_ID);
        }
        let link_to = body["link_to"].as_str().map(str::to_owned);
        let session = match &link_to {
            Some(l) => match self.calls.get(l) {
                Some(linked) => Some(linked.call_session_id.clone()),
                None => return Reply::error(422, &reply::INVALID_CALL_CONTROL_ID),
            },
            None => None,
        };
        let targets: Vec<String> = match &body["to"] {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        if targets.is_empty() {
            let e = reply::TelnyxError { pointer: Some("/to"), ..reply::MISSING_PARAMETER };
            return Reply::error(422, &e);
        }
        let session = session.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let from = body["from"].as_str().unwrap_or_default();
        let mut legs = Vec::new();
        for to in &targets {
            let mut spec = NewLeg::new(connection_id.clone(), from, to, Direction::Outgoing);
            spec.session = Some(session.clone());
            spec.client_state = body["client_state"].as_str().map(str::to_owned);
            spec.webhook_url = body["webhook_url"].as_str().map(str::to_owned);
            legs.push(self.new_leg(spec).call_control_id);
        }
        let bridge_on_answer = body["bridge_on_answer"].as_bool().unwrap_or(false);
        for ccid in &legs {
            let leg = self.calls.get_mut(ccid).expect("just created");
            leg.link_to = link_to.clone();
            leg.bridge_on_answer = bridge_on_answer;
            leg.siblings = legs.iter().filter(|o| *o != ccid).cloned().collect();
            leg.machine_detection = super::media::detection_requested(body);
        }
        let mut events: Vec<Outgoing> = legs.iter().filter_map(|c| self.calls.get(c)).map(initiated).collect();
        events.extend(self.run_scripts(&legs));
        let first = self.calls.get(&legs[0]).expect("at least one target");
        let mut data = json!({
            "call_control_id": first.call_control_id,
            "call_leg_id": first.call_leg_id,
            "call_session_id": first.call_session_id,
            "is_alive": false,
            "record_type": "call",
            "start_time": first.start_time,
        });
        if let Some(cs) = &first.client_state {
            data["client_state"] = json!(cs);
        }
        Reply::data(data).with_webhooks(events)
    }

    /// POST /calls/{call_control_id}/actions/{action}.
    pub fn command(&mut self, ccid: &str, action: &str, body: &Value, now: Instant) -> Reply {
        let Some(leg) = self.calls.get(ccid).cloned() else {
            return Reply::error(422, &reply::INVALID_CALL_CONTROL_ID);
        };
        let command_id = body["command_id"].as_str().map(str::to_owned);
        if let Some(id) = &command_id {
            let key = (ccid.to_owned(), id.clone());
            if self.calls.command_ids.get(&key).is_some_and(|at| now.duration_since(*at) < COMMAND_ID_WINDOW) {
                return Reply::command_ok();
            }
        }
        if let Err(e) = allowed(&leg, action) {
            return Reply::error(422, e);
        }
        let reply = match self.execute(&leg, action, body) {
            Ok(reply) => reply,
            Err(reply) => return reply,
        };
        if let Some(id) = command_id {
            self.calls.command_ids.insert((ccid.to_owned(), id), now);
        }
        if let Some(l) = self.calls.get_mut(ccid) {
            l.commands.push(action.to_owned());
        }
        reply
    }

    fn execute(&mut self, leg: &Leg, action: &str, body: &Value) -> Result<Reply, Reply> {
        let ccid = leg.call_control_id.as_str();
        let client_state = body["client_state"].as_str().map(str::to_owned);
        if client_state.is_some() {
            self.calls.get_mut(ccid).expect("exists").client_state = client_state;
        }
        match action {
            "answer" => {
                let l = self.calls.get_mut(ccid).expect("exists");
                if l.state != LegState::Parked {
                    // [guess] answering an answered call changes nothing.
                    return Ok(Reply::command_ok());
                }
                l.state = LegState::Answered;
                let event = leg_event(l, "call.answered", json!({ "state": "answered" }));
                Ok(Reply::command_ok().with_webhooks(vec![event]))
            }
            "hangup" => Ok(Reply::command_ok().with_webhooks(self.end(ccid, HangupCause::NormalClearing, "caller"))),
            "reject" => {
                let cause = match body["cause"].as_str() {
                    Some("USER_BUSY") => HangupCause::UserBusy,
                    _ => HangupCause::CallRejected,
                };
                Ok(Reply::command_ok().with_webhooks(self.end(ccid, cause, "callee")))
            }
            "transfer" => Ok(Reply::command_ok().with_webhooks(self.transfer(leg, body))),
            "speak" => Ok(Reply::command_ok().with_webhooks(self.speak(ccid))),
            "record_start" => Ok(Reply::command_ok().with_webhooks(self.record_start(ccid, body))),
            "record_stop" => Ok(Reply::command_ok().with_webhooks(self.record_stop(ccid))),
            "bridge" => self.bridge_command(ccid, body).map(|events| Reply::command_ok().with_webhooks(events)),
            _ => Ok(Reply::command_ok()),
        }
    }

    /// Leg B's `call.initiated`, then whatever its target is scripted to do.
    fn transfer(&mut self, a: &Leg, body: &Value) -> Vec<Outgoing> {
        let from = body["from"].as_str().unwrap_or(&a.to);
        let to = body["to"].as_str().unwrap_or_default();
        let mut spec = NewLeg::new(a.connection_id.clone(), from, to, Direction::Outgoing);
        spec.session = Some(a.call_session_id.clone());
        spec.client_state = body["target_leg_client_state"].as_str().map(str::to_owned);
        spec.webhook_url = body["webhook_url"].as_str().map(str::to_owned).or(a.webhook_url.clone());
        let b = self.new_leg(spec);
        let leg = self.calls.get_mut(&b.call_control_id).expect("just created");
        leg.transferred_from = Some(a.call_control_id.clone());
        leg.machine_detection = super::media::detection_requested(body);
        let mut events = vec![initiated(self.calls.get(&b.call_control_id).expect("just created"))];
        events.extend(self.run_scripts(&[b.call_control_id]));
        events
    }

    fn bridge_command(&mut self, ccid: &str, body: &Value) -> Result<Vec<Outgoing>, Reply> {
        let other = body["call_control_id"].as_str().unwrap_or_default();
        let Some(peer) = self.calls.get(other) else {
            return Err(Reply::error(422, &reply::INVALID_CALL_CONTROL_ID));
        };
        match peer.state {
            LegState::Ended { .. } => Err(Reply::error(422, &reply::CALL_ENDED)),
            LegState::Parked | LegState::Ringing => Err(Reply::error(422, &reply::CALL_NOT_ANSWERED)),
            _ => Ok(self.bridge(ccid, other)),
        }
    }

    /// Bridges two answered legs: `call.bridged` for each.
    fn bridge(&mut self, a: &str, b: &str) -> Vec<Outgoing> {
        let mut events = Vec::new();
        for (me, peer) in [(a, b), (b, a)] {
            if let Some(l) = self.calls.get_mut(me) {
                l.state = LegState::Bridged(peer.to_owned());
                events.push(leg_event(l, "call.bridged", json!({})));
            }
        }
        events
    }

    /// Ends a leg with `cause`: its `call.hangup`, then the same for a bridged peer
    /// (normal_clearing) and for transfer legs still ringing from it (originator_cancel).
    pub fn end(&mut self, ccid: &str, cause: HangupCause, source: &str) -> Vec<Outgoing> {
        let Some(l) = self.calls.get_mut(ccid) else { return Vec::new() };
        let peer = match &l.state {
            LegState::Ended { .. } => return Vec::new(),
            LegState::Bridged(peer) => Some(peer.clone()),
            _ => None,
        };
        l.state = LegState::Ended { cause };
        let mut events = vec![hangup_event(l, cause, source)];
        // [guess] the recording of a leg that hangs up is saved after its call.hangup.
        events.extend(super::media::stop_recording(l));
        if let Some(peer) = peer {
            events.extend(self.end(&peer, HangupCause::NormalClearing, source));
        }
        let ringing: Vec<String> = self
            .calls
            .legs
            .iter()
            .filter(|b| b.transferred_from.as_deref() == Some(ccid) && b.state == LegState::Ringing)
            .map(|b| b.call_control_id.clone())
            .collect();
        for b in ringing {
            events.extend(self.end(&b, HangupCause::OriginatorCancel, "caller"));
        }
        events
    }

    /// The far end answers an outgoing leg: `call.answered`, then `call.bridged` for it and
    /// its transfer origin (or `link_to` call with `bridge_on_answer`); ringing siblings of a
    /// multi-target dial are cancelled. With answering machine detection the leg's
    /// `call.machine.detection.ended` comes right after `call.answered`, and [guess] the bridge
    /// happens only when a human answered: a machine's leg stays answered, unbridged, for the
    /// application to hang up (the caller's leg stays up).
    pub fn remote_answer(&mut self, ccid: &str) -> Result<Vec<Outgoing>, String> {
        let l = self.calls.get_mut(ccid).ok_or_else(|| format!("no leg {ccid}"))?;
        if l.state != LegState::Ringing {
            return Err(format!("leg {ccid} is not ringing but {:?}", l.state));
        }
        l.state = LegState::Answered;
        let mut events = vec![leg_event(l, "call.answered", json!({ "state": "answered" }))];
        let machine = l.machine_detection && l.answered_by_machine;
        if l.machine_detection {
            events.push(super::media::detection_ended(l));
        }
        let partner = l.transferred_from.clone().or(l.link_to.clone().filter(|_| l.bridge_on_answer));
        let partner = partner.filter(|_| !machine);
        for sibling in l.siblings.clone() {
            if self.calls.get(&sibling).is_some_and(|s| s.state == LegState::Ringing) {
                events.extend(self.end(&sibling, HangupCause::OriginatorCancel, "caller"));
            }
        }
        if let Some(partner) = partner {
            if self.calls.get(&partner).is_some_and(|p| p.state == LegState::Answered) {
                events.extend(self.bridge(&partner, ccid));
            }
        }
        Ok(events)
    }
}

/// Whether `action` is allowed in the leg's state (Telnyx's 422 codes otherwise).
fn allowed(leg: &Leg, action: &str) -> Result<(), &'static reply::TelnyxError> {
    match (&leg.state, action) {
        (LegState::Ended { .. }, _) => Err(&reply::CALL_ENDED),
        (_, "hangup") => Ok(()),
        (LegState::Parked, "answer" | "reject") => Ok(()),
        (LegState::Parked | LegState::Ringing, _) => Err(&reply::CALL_NOT_ANSWERED),
        // [guess] rejecting an answered call is refused like a command on a wrong state.
        (_, "reject") => Err(&reply::CALL_NOT_ANSWERED),
        _ => Ok(()),
    }
}

/// What a new leg needs.
struct NewLeg {
    connection_id: String,
    from: String,
    to: String,
    direction: Direction,
    session: Option<String>,
    client_state: Option<String>,
    webhook_url: Option<String>,
}

impl NewLeg {
    fn new(connection_id: String, from: &str, to: &str, direction: Direction) -> NewLeg {
        NewLeg {
            connection_id,
            from: from.to_owned(),
            to: to.to_owned(),
            direction,
            session: None,
            client_state: None,
            webhook_url: None,
        }
    }
}

/// The fields every call event of a leg carries, plus `extra`.
pub(super) fn leg_event(l: &Leg, event_type: &str, extra: Value) -> Outgoing {
    let mut payload = json!({
        "call_control_id": l.call_control_id,
        "call_leg_id": l.call_leg_id,
        "call_session_id": l.call_session_id,
        "connection_id": l.connection_id,
        "from": l.from,
        "to": l.to,
    });
    if let Some(cs) = &l.client_state {
        payload["client_state"] = json!(cs);
    }
    if event_type != "call.bridged" {
        payload["start_time"] = json!(l.start_time);
    }
    if let (Some(p), Some(e)) = (payload.as_object_mut(), extra.as_object()) {
        p.extend(e.clone());
    }
    Outgoing::new(event_type, payload, l.webhook_url.clone(), l.webhook_failover_url.clone())
}

fn initiated(l: &Leg) -> Outgoing {
    let (direction, state) = match l.direction {
        Direction::Incoming => ("incoming", "parked"),
        Direction::Outgoing => ("outgoing", "bridging"),
    };
    leg_event(l, "call.initiated", json!({ "direction": direction, "state": state, "caller_id_name": l.from }))
}

fn hangup_event(l: &Leg, cause: HangupCause, source: &str) -> Outgoing {
    leg_event(
        l,
        "call.hangup",
        json!({
            "state": "hangup",
            "hangup_cause": cause.as_str(),
            "hangup_source": source,
            "sip_hangup_cause": cause.sip(),
            "call_quality_stats": null,
        }),
    )
}
