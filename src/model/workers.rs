//! A pool of workers with a bounded FIFO queue: what an app instance and a
//! database node both are. Slots are handed out lowest first, queued jobs
//! take the worker that frees up; the owner schedules completions.

use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub(crate) struct Workers<J> {
    slots: Vec<Option<J>>,
    /// Free slots, popped from the end (lowest index first).
    free: Vec<u32>,
    queue: VecDeque<J>,
    capacity: usize,
}

impl<J: Copy> Workers<J> {
    pub(crate) fn new(workers: u32, queue_capacity: u32) -> Self {
        Workers {
            slots: vec![None; workers as usize],
            free: (0..workers).rev().collect(),
            queue: VecDeque::new(),
            capacity: queue_capacity as usize,
        }
    }

    /// No free worker and no room in the queue.
    pub(crate) fn full(&self) -> bool {
        self.free.is_empty() && self.queue.len() >= self.capacity
    }

    /// Gives `job` a free worker (its slot returned: the caller starts it)
    /// or queues it. The caller checked [`Workers::full`].
    pub(crate) fn place(&mut self, job: J) -> Option<u32> {
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(job);
                Some(slot)
            }
            None => {
                self.queue.push_back(job);
                None
            }
        }
    }

    /// Queues `job` without a worker if the queue has room (a hung
    /// process's backlog); whether it was kept.
    pub(crate) fn enqueue(&mut self, job: J) -> bool {
        let room = self.queue.len() < self.capacity;
        if room {
            self.queue.push_back(job);
        }
        room
    }

    pub(crate) fn job(&self, slot: u32) -> Option<&J> {
        self.slots[slot as usize].as_ref()
    }

    pub(crate) fn job_mut(&mut self, slot: u32) -> Option<&mut J> {
        self.slots[slot as usize].as_mut()
    }

    /// Ends the job in `slot`; the queue's next job takes the worker and is
    /// returned for the caller to start.
    pub(crate) fn finish(&mut self, slot: u32) -> (J, Option<J>) {
        let done = self.slots[slot as usize]
            .take()
            .expect("finish is called on a busy worker");
        let next = self.queue.pop_front();
        match next {
            Some(job) => self.slots[slot as usize] = Some(job),
            None => self.free.push(slot),
        }
        (done, next)
    }

    /// Moves queued jobs onto free workers; the (slot, job) pairs to start.
    pub(crate) fn fill(&mut self) -> Vec<(u32, J)> {
        let mut started = Vec::new();
        while !self.queue.is_empty() {
            let Some(slot) = self.free.pop() else { break };
            let job = self.queue.pop_front().expect("checked non-empty");
            self.slots[slot as usize] = Some(job);
            started.push((slot, job));
        }
        started
    }

    /// Workers holding a job.
    #[inline]
    pub(crate) fn occupied(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// No job queued or in service.
    pub(crate) fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.free.len() == self.slots.len()
    }

    /// Jobs held by workers, with their slots.
    pub(crate) fn busy(&self) -> Vec<(u32, J)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(s, j)| j.map(|j| (s as u32, j)))
            .collect()
    }

    /// Removes every job, queued first, then in service.
    pub(crate) fn take_all(&mut self) -> Vec<J> {
        let mut jobs: Vec<J> = self.queue.drain(..).collect();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if let Some(job) = slot.take() {
                jobs.push(job);
                self.free.push(i as u32);
            }
        }
        jobs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_slots_first_then_queue_then_full() {
        let mut w: Workers<u8> = Workers::new(2, 1);
        assert_eq!((w.place(1), w.place(2)), (Some(0), Some(1)));
        assert!(!w.full());
        assert_eq!(w.place(3), None);
        assert!(w.full());
        // The queued job takes the worker that frees up.
        assert_eq!(w.finish(0), (1, Some(3)));
        assert_eq!(w.job(0), Some(&3));
        assert_eq!(w.finish(1), (2, None));
        assert_eq!(w.place(4), Some(1));
        assert_eq!(w.take_all(), vec![3, 4]);
        assert!(w.busy().is_empty() && w.enqueue(5) && !w.enqueue(6));
        // take_all freed 0 then 1; the last freed is reused first.
        assert_eq!(w.fill(), vec![(1, 5)]);
        assert_eq!(w.busy(), vec![(1, 5)]);
    }
}
