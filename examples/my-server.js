'use strict';

// A plain HTTP server, as most apps start, to try `compare --app` on:
//   npx native-parallel compare --app examples/my-server.js --path /items
// It knows nothing of clusters: it listens on process.env.PORT, and compare runs it as one
// process, under node:cluster and under the native cluster.

const http = require('node:http');

const items = Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item ${i}`, price: (i * 7.31) % 100 }));

http
  .createServer((req, res) => {
    if (req.url !== '/items') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ items, total: items.reduce((sum, item) => sum + item.price, 0) }));
  })
  .listen(Number(process.env.PORT) || 3000);
