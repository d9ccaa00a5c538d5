// One node --test process (run.sh) for upstream connections, organizations, MFA, bulk import/export and Actions.
// The files below run in this order, as they would one process each, but auth0 v7 (750 modules,
// about 3 s to load) is loaded once rather than once a file.
import './upstream.test.js';
import './organizations.test.js';
import './mfa.test.js';
import './mfa-api.test.js';
import './import-export.test.js';
import './actions.test.js';
import './linking-database.test.js';
