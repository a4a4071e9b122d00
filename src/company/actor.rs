//! CompanyActor: owns one company's state and handles its events in order, on one thread. Its work
//! per event is bookkeeping (a decision, a ledger entry); I/O stays outside.
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::{Actor, ActorContext, AsyncContext, Context, Handler};
use dashmap::DashMap;

use super::messages::{Assign, Ingest, IngestError, IngestReply, Reload};
use super::state::{ChainEvent, CompanyState};
use crate::domain::CompanyId;
use crate::ledger::{CommitReply, Committed, Ledger, LedgerError};
use crate::metrics::{ACTORS_ACTIVE, CHAINS_EXHAUSTED, CHAIN_STEPS_STARTED, CHAIN_STEP_OUTCOMES, VOICEMAILS};

pub type Actors = Arc<DashMap<CompanyId, actix::Addr<CompanyActor>>>;

pub struct CompanyActor {
    state: CompanyState,
    last_event: Instant,
    idle_timeout: Duration,
    mailbox_capacity: usize,
    actors: Actors,
    ledger: Ledger,
}

impl CompanyActor {
    pub fn new(
        state: CompanyState,
        idle_timeout: Duration,
        mailbox_capacity: usize,
        actors: Actors,
        ledger: Ledger,
    ) -> Self {
        Self { state, last_event: Instant::now(), idle_timeout, mailbox_capacity, actors, ledger }
    }
}

impl Actor for CompanyActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(self.mailbox_capacity);
        metrics::gauge!(ACTORS_ACTIVE).increment(1.0);
        let every = (self.idle_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(60));
        ctx.run_interval(every, |act, ctx| {
            if act.last_event.elapsed() >= act.idle_timeout {
                ctx.stop();
            }
        });
    }

    fn stopped(&mut self, ctx: &mut Self::Context) {
        metrics::gauge!(ACTORS_ACTIVE).decrement(1.0);
        let me = ctx.address();
        self.actors.remove_if(&self.state.company_id, |_, addr| *addr == me);
    }
}

impl Handler<Ingest> for CompanyActor {
    type Result = ();

    fn handle(&mut self, msg: Ingest, _: &mut Self::Context) {
        self.last_event = Instant::now();
        // Counting at a number this state does not hold would answer 200 for nothing counted:
        // the request refreshes the index and this state, then tries again.
        if !msg.targets.iter().all(|t| self.state.owns(&t.number)) {
            let _ = msg.done.send(Err(IngestError::Stale));
            return;
        }
        let (entry, events) = self.state.ingest_observed(&msg.facts, &msg.targets, chrono::Utc::now());
        if events.is_empty() {
            self.ledger.submit(entry, Box::new(msg.done));
        } else {
            self.ledger.submit(entry, Box::new(ChainReply { done: msg.done, events }));
        }
    }
}

impl Handler<Reload> for CompanyActor {
    type Result = ();

    fn handle(&mut self, msg: Reload, _: &mut Self::Context) {
        self.state = msg.0.keep_live_calls(&self.state);
    }
}

impl Handler<Assign> for CompanyActor {
    type Result = ();

    fn handle(&mut self, msg: Assign, _: &mut Self::Context) {
        self.state.assign(msg.customer, msg.number);
    }
}

/// Answers the request and, when its entry was applied (not a redelivery), counts what it did to
/// a call chain.
struct ChainReply {
    done: IngestReply,
    events: Vec<ChainEvent>,
}

impl CommitReply for ChainReply {
    fn answer(self: Box<Self>, answer: Result<Committed, LedgerError>) {
        if matches!(answer, Ok(Committed::Applied)) {
            for event in &self.events {
                match event {
                    ChainEvent::StepStarted(kind) => {
                        metrics::counter!(CHAIN_STEPS_STARTED, "kind" => *kind).increment(1)
                    }
                    ChainEvent::LegEnded(o) => {
                        metrics::counter!(CHAIN_STEP_OUTCOMES, "outcome" => o.as_str()).increment(1)
                    }
                    ChainEvent::Exhausted(action) => {
                        metrics::counter!(CHAINS_EXHAUSTED, "final_action" => *action).increment(1)
                    }
                    ChainEvent::Voicemail(outcome) => metrics::counter!(VOICEMAILS, "outcome" => *outcome).increment(1),
                }
            }
        }
        Box::new(self.done).answer(answer);
    }

    fn abandoned(&self) -> bool {
        self.done.is_closed()
    }
}
