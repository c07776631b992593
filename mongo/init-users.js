// Runs once, as the root user, when the mongo container starts on an empty data volume
// (/docker-entrypoint-initdb.d). The worker's user may read the archive and the identities and read and write
// report_db, nothing else; it may also create the indexes its queries use on the archive and identities.
const fs = require('fs');
const password = fs.readFileSync('/run/secrets/mongo_worker_password', 'utf8').trim();
const admin = db.getSiblingDB('admin');
admin.createRole({
  role: 'cybexIndexer',
  privileges: [
    { resource: { db: 'tahoe_db', collection: '' }, actions: ['createIndex', 'listIndexes'] },
    { resource: { db: 'identity_db', collection: '' }, actions: ['createIndex', 'listIndexes'] },
  ],
  roles: [],
});
admin.createUser({
  user: 'cybex-worker',
  pwd: password,
  roles: [
    { role: 'read', db: 'tahoe_db' },
    { role: 'read', db: 'identity_db' },
    { role: 'readWrite', db: 'report_db' },
    { role: 'cybexIndexer', db: 'admin' },
  ],
});
