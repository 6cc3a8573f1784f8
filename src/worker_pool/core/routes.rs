//! The (file, export name) pairs tasks refer to by number, so a task carries a number rather
//! than two strings. Numbered by the owner, read by the Workers.

use std::sync::Mutex;

#[derive(Debug, Default)]
pub(crate) struct Routes(Mutex<Vec<(String, String)>>);

impl Routes {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, String)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many routes there are (their numbers are `0..len()`).
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// The number of a route, adding it if new (owner thread).
    pub(crate) fn number(&self, filename: String, name: String) -> u32 {
        let mut routes = self.lock();
        if let Some(i) = routes
            .iter()
            .position(|(f, n)| *f == filename && *n == name)
        {
            return i as u32;
        }
        routes.push((filename, name));
        (routes.len() - 1) as u32
    }

    /// The route with this number (Worker thread).
    pub(crate) fn get(&self, route: u32) -> Option<(String, String)> {
        self.lock().get(route as usize).cloned()
    }
}
