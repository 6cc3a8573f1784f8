//! What every engine shares: the typed channel that hands finished work to JavaScript
//! ([`completion`]).

pub(crate) mod completion;
