'use strict';

/**
 * Preloaded into every worker (`--require`) by the primary: connects the worker to its primary
 * and says `online` before the user's script runs.
 */

require('./worker').setupWorker();
