'use strict';
// Placeholder: the HTML report is written next.
module.exports = { renderHtml: (report) => `<!doctype html><pre>${JSON.stringify(report)}</pre>` };
