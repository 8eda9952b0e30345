// A real OpenID Connect provider (oidc-provider, the certified implementation) for the sign-in tests,
// run as its own process: oidc-provider is an ES module, which Jest's CommonJS runtime cannot load.
// Its dev interactions give the login form (any password) and the consent form the tests submit.
// Settings come as one JSON in OIDC_TEST_PROVIDER: { port, clientId, clientSecret, redirectUri, accounts: { sub: claims } }.
// Prints `oidc-provider ready <issuer>` once it listens.
import Provider from 'oidc-provider';

const { port, clientId, clientSecret, redirectUri, accounts } = JSON.parse(process.env.OIDC_TEST_PROVIDER);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    },
  ],
  // As Entra ID does with a groups claim: the groups go in the ID token (and userinfo).
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
  conformIdTokenClaims: false,
  findAccount: (_ctx, sub) => (accounts[sub] ? { accountId: sub, claims: () => ({ sub, ...accounts[sub] }) } : undefined),
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['oidc-test-provider-cookie-key'] },
});
// Its own warnings (dev keys, dev interactions, Node 20) are expected here.
provider.on('server_error', (_ctx, error) => console.error('oidc-provider server_error', error));
provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider ready ${issuer}`));
