// One node --test process (run.sh) for the seed guide's configuration, errors, email and branding.
// The files below run in this order, as they would one process each, but auth0 v7 (750 modules,
// about 3 s to load) is loaded once rather than once a file.
import './guide-config.test.js';
import './errors.test.js';
import './email.test.js';
import './branding.test.js';
