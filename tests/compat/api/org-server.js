// Added for the organizations test, not part of the guide: an API shared by several organizations, as
// Auth0 asks one to be written with express-oauth2-jwt-bearer — the step-7 checkJwt, then a claim check
// that the token was issued through the organization this API serves (org_id). Port COMPAT_ORG_API_PORT.
import express from 'express';
import { auth, claimCheck } from 'express-oauth2-jwt-bearer';

const app = express();
const checkJwt = auth({
  audience: process.env.AUTH0_AUDIENCE,
  issuerBaseURL: process.env.AUTH0_ISSUER_BASE_URL,
  tokenSigningAlg: 'RS256',
});
const orgId = process.env.COMPAT_ORG_ID;
const sameOrganization = claimCheck((claims) => claims.org_id === orgId, `Not issued through ${orgId}`);

app.get('/api/org/data', checkJwt, sameOrganization, (req, res) => {
  res.json({ orgId: req.auth.payload.org_id, userId: req.auth.payload.sub });
});

app.use((err, req, res, next) => {
  if (err.status === 401 || err.name === 'UnauthorizedError' || err.name === 'InvalidTokenError') {
    return res.status(err.status || 401).json({ error: err.code || 'invalid_token', error_description: err.message });
  }
  next(err);
});

app.listen(Number(process.env.COMPAT_ORG_API_PORT), 'localhost');
