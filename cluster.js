'use strict';

/**
 * `require('native-parallel/cluster')`: the process's cluster object itself, as
 * `require('node:cluster')` gives node's, so a program switches with its require line only.
 * @module native-parallel/cluster
 */

module.exports = require('./lib/cluster').getCluster();
