// `require('native-parallel/cluster')` / `import cluster from 'native-parallel/cluster'`.
import type { Cluster } from './index';

declare const cluster: Cluster;
export = cluster;
