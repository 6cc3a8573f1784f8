//! What every engine shares: the vocabulary of a finished task ([`task`]) and the typed
//! channel that hands finished work to JavaScript ([`completion`]).

pub(crate) mod completion;
pub(crate) mod task;
