//! Generic discrete-event core: simulated time, the event queue, the
//! scheduler and named random streams. Knows nothing about clouds.
pub mod queue;
pub mod rng;
pub mod scheduler;
pub mod time;

pub use queue::Lane;
pub use rng::{Stream, stream};
pub use scheduler::{Scheduler, Traced};
pub use time::*;
