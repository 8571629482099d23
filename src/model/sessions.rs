//! User sessions, per app design. `jwt`: nothing on the server, nothing to
//! lose. `sticky`: a session lives in the memory of the instance the LB
//! pins its user to; a process that dies loses every session it held, and a
//! user the LB moves to another instance loses theirs. `external`: sessions
//! live in the session store, lost only if the store loses its data.
//!
//! A session is lost once, when its data goes (crash, store wiped) or when
//! its user lands on an instance without it (moved by the LB). That user's
//! next request fails `session_lost` (they must log in again, which the
//! request that failed does: the new session lives where it landed).

use super::Sim;
use super::kv::KvId;
use crate::metrics::DropReason;
use crate::scenario::{Scenario, Sessions};

/// No session yet.
const NONE: u32 = u32::MAX;
/// The holder id of the session store (instances are 0, 1, ...).
const STORE: u32 = u32::MAX - 1;

#[derive(Debug, Clone, Copy)]
struct User {
    /// Instance (sticky) or `store` (external) holding the session, or NONE.
    loc: u32,
    /// The holder's data epoch when the session was created.
    epoch: u32,
}

pub(crate) struct SessionState {
    design: Sessions,
    users: Vec<User>,
    /// Live sessions per instance slot.
    live: Vec<u32>,
    /// Live sessions in the store.
    store_live: u32,
    /// Data epoch per instance slot (bumped when its process dies).
    epochs: Vec<u32>,
    /// The holder id of the store.
    store: u32,
    pub lost: u64,
}

impl SessionState {
    pub(crate) fn new(s: &Scenario) -> SessionState {
        let n = s.instance_count();
        let users = match s.app.sessions {
            Sessions::Jwt => 0,
            Sessions::Sticky | Sessions::External => s.workload.users as usize,
        };
        SessionState {
            design: s.app.sessions,
            users: vec![
                User {
                    loc: NONE,
                    epoch: 0
                };
                users
            ],
            live: vec![0; n],
            store_live: 0,
            epochs: vec![0; n],
            store: STORE,
            lost: 0,
        }
    }

    /// The instance holding `user`'s session (sticky), for the LB cookie.
    pub(crate) fn pinned(&self, user: u32) -> Option<u32> {
        if self.design != Sessions::Sticky {
            return None;
        }
        let loc = self.users[user as usize].loc;
        (loc != NONE).then_some(loc)
    }

    /// Live sessions held by instance `inst` (tests compare it with a count
    /// over users).
    #[cfg(test)]
    pub(crate) fn live_on(&self, inst: u32) -> u32 {
        self.live[inst as usize]
    }

    /// Users whose session on `inst` is valid, counted one by one.
    #[cfg(test)]
    pub(crate) fn count_valid_on(&self, inst: u32) -> u32 {
        self.users
            .iter()
            .filter(|u| u.loc == inst && u.epoch == self.epochs[inst as usize])
            .count() as u32
    }

    /// Makes room for instance slot `inst` (a launch).
    pub(crate) fn ensure(&mut self, inst: u32) {
        let n = inst as usize + 1;
        if self.live.len() < n {
            self.live.resize(n, 0);
            self.epochs.resize(n, 0);
        }
    }

    fn live_mut(&mut self, holder: u32) -> &mut u32 {
        if holder == STORE {
            &mut self.store_live
        } else {
            &mut self.live[holder as usize]
        }
    }

    /// Every session held by `holder` is gone; returns how many.
    fn wipe(&mut self, holder: u32) -> u64 {
        let n = std::mem::take(self.live_mut(holder));
        self.lost += u64::from(n);
        u64::from(n)
    }

    /// The request of `user` reached a serving holder with data epoch
    /// `epoch`: `Ok` if the session is there (or the user's first session
    /// starts there), `SessionLost` if the user had one elsewhere.
    /// The store's data epoch is `epoch` when `holder` is the store.
    fn check(&mut self, user: u32, holder: u32, epoch: u32) -> Result<(), u64> {
        let u = self.users[user as usize];
        if u.loc == holder && u.epoch == epoch {
            return Ok(());
        }
        let epoch_of = |loc: u32| {
            if loc == self.store {
                epoch
            } else {
                self.epochs[loc as usize]
            }
        };
        let mut newly_lost = 0;
        if u.loc != NONE && u.epoch == epoch_of(u.loc) {
            // Still valid where it lives, but the user was moved: lost now.
            *self.live_mut(u.loc) -= 1;
            self.lost += 1;
            newly_lost = 1;
        }
        self.users[user as usize] = User { loc: holder, epoch };
        *self.live_mut(holder) += 1;
        if u.loc == NONE {
            Ok(())
        } else {
            Err(newly_lost)
        }
    }
}

impl Sim<'_> {
    /// The process of `inst` died: sticky sessions in its memory are gone.
    pub(super) fn sessions_instance_died(&mut self, inst: u32) {
        let st = &mut self.sessions;
        if st.design != Sessions::Sticky {
            return;
        }
        st.epochs[inst as usize] = st.epochs[inst as usize].wrapping_add(1);
        let n = st.wipe(inst);
        self.metrics.tier(|t| t.sessions_lost += n);
    }

    /// The session store came back empty.
    pub(super) fn sessions_store_lost(&mut self) {
        let store = self.sessions.store;
        let n = self.sessions.wipe(store);
        self.metrics.tier(|t| t.sessions_lost += n);
    }

    /// Looks up `user`'s session on serving instance `inst`; the reason to
    /// fail the request if it cannot go on.
    pub(super) fn check_session(&mut self, inst: u32, user: u32) -> Result<(), DropReason> {
        let result = match self.sessions.design {
            Sessions::Jwt => return Ok(()),
            Sessions::Sticky => {
                let epoch = self.sessions.epochs[inst as usize];
                self.sessions.check(user, inst, epoch)
            }
            Sessions::External => {
                let kv = self.kv(KvId::Sessions);
                if !kv.available {
                    return Err(DropReason::SessionStoreUnavailable);
                }
                let epoch = kv.data_epoch;
                let store = self.sessions.store;
                self.sessions.check(user, store, epoch)
            }
        };
        result.map_err(|newly_lost| {
            self.metrics.tier(|t| t.sessions_lost += newly_lost);
            DropReason::SessionLost
        })
    }
}
