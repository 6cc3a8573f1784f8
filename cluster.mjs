// ESM entry of `native-parallel/cluster`: `import cluster from 'native-parallel/cluster'` and the
// named exports `import { isPrimary, fork } from ...`, as `node:cluster` offers them.
import cluster from './cluster.js';

export default cluster;
export const { isPrimary, isMaster, isWorker, worker, workers, settings, schedulingPolicy, SCHED_NONE, SCHED_RR, Worker } = cluster;
export const fork = (...args) => cluster.fork(...args);
export const setupPrimary = (...args) => cluster.setupPrimary(...args);
export const setupMaster = (...args) => cluster.setupMaster(...args);
export const disconnect = (...args) => cluster.disconnect(...args);
