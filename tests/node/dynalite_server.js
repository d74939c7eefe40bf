// dynalite_server.js: dynalite (DynamoDB's JSON API on an in-memory LevelDB)
// on 127.0.0.1, on a port the kernel picks, written to PORT_FILE once it
// listens.  dynalite's own cli.js cannot do either: it listens on every
// interface and takes port 0 for "unset" (its default, 4567), so the caller
// had to pick a free port, close it and hope no other process took it before
// Node started.  Tables are ACTIVE at once (create, delete and update in 0 ms).
//
//   node tests/node/dynalite_server.js PORT_FILE
'use strict';
const fs = require('fs');
const dynalite = require('dynalite');

const portFile = process.argv[2];
if (!portFile) {
  console.error('usage: node dynalite_server.js PORT_FILE');
  process.exit(2);
}
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.on('error', (e) => {
  console.error(`dynalite: ${e.message}`);
  process.exit(1);
});
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  // Written whole, then renamed: a reader never sees part of the number.
  fs.writeFileSync(`${portFile}.tmp`, `${port}\n`);
  fs.renameSync(`${portFile}.tmp`, portFile);
  console.log(`dynalite: listening on 127.0.0.1:${port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
