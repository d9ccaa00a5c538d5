// One node --test process (run.sh) for database connections, user blocks and attack protection.
// The files below run in this order, as they would one process each, but auth0 v7 (750 modules,
// about 3 s to load) is loaded once rather than once a file.
import './connections.test.js';
import './attack-protection.test.js';
