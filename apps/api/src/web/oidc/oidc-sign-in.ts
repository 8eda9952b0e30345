import { readFileSync } from 'node:fs';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type * as OpenIdClient from 'openid-client';
import { APP_CONFIG, type AppConfig } from '@send/platform';
import { accessFromClaims, claimMappingOf, oidcUserId, profileFromClaims, type ClaimMapping } from './claim-mapping';
import { OidcUsers, type OidcUser } from './oidc-users';

/** What the browser keeps between leaving for the provider and coming back (in a signed cookie). */
export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export type SignInOutcome = { user: OidcUser } | { refused: 'no_role' | 'no_team' | 'disabled'; name: string };

/** The provider answered, but not with a sign-in we can accept: a bad or replayed state, an error, a bad token. */
export class OidcSignInFailed extends Error {
  override readonly name = 'OidcSignInFailed';
}

/**
 * Staff sign-in through the council's identity provider (ADR 0011): the authorization code flow
 * with PKCE, state and nonce, by openid-client. The provider's metadata and keys are discovered at
 * the first sign-in (so the api starts while the provider is away) and kept; a failed discovery is
 * tried again at the next sign-in.
 */
@Injectable()
export class OidcSignIn {
  private readonly logger = new Logger(OidcSignIn.name);
  private discovered: Promise<OpenIdClient.Configuration> | null = null;
  private readonly mapping: ClaimMapping | null;
  /** Configured? (config checks that the issuer comes with the client, redirect URL and role map.) */
  readonly enabled: boolean;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: OidcUsers,
  ) {
    this.enabled = config.OIDC_ISSUER !== undefined;
    this.mapping = this.enabled ? claimMappingOf(config) : null;
  }

  /** Where to send the browser, and what to keep until it comes back. */
  async begin(): Promise<{ url: URL; pending: PendingSignIn }> {
    const oidc = openIdClient();
    const configuration = await this.configuration();
    const pending: PendingSignIn = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.config.OIDC_REDIRECT_URL!,
      scope: this.config.OIDC_SCOPES,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url, pending };
  }

  /**
   * The provider's redirect back (its query string), checked against what the browser kept: state,
   * then the code exchanged with the verifier, the ID token's signature, issuer, audience, expiry and
   * nonce. Then the account's role and team from its claims, and its registration here. Its log
   * lines carry the callback request's `correlationId`.
   */
  async complete(query: string, pending: PendingSignIn, correlationId: string): Promise<SignInOutcome> {
    const lineFields = { correlationId };
    const oidc = openIdClient();
    const configuration = await this.configuration();
    // The registered redirect URL, not the request's own host: behind a proxy the two differ, and the token request must name the registered one.
    const callback = new URL(this.config.OIDC_REDIRECT_URL!);
    callback.search = query;
    let claims: Record<string, unknown>;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, callback, {
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        pkceCodeVerifier: pending.codeVerifier,
        idTokenExpected: true,
      });
      const idToken = tokens.claims()!;
      // Entra puts groups and app roles in the ID token, GOV.UK One Login its email in userinfo: read both, the ID token winning.
      const userInfo = configuration.serverMetadata().userinfo_endpoint
        ? await oidc.fetchUserInfo(configuration, tokens.access_token, idToken.sub)
        : {};
      claims = { ...userInfo, ...idToken };
    } catch (error) {
      this.logger.warn(lineFields, `OpenID Connect sign-in refused: ${(error as Error).message}`);
      throw new OidcSignInFailed((error as Error).message);
    }

    const profile = profileFromClaims(claims);
    const id = oidcUserId(claims.iss as string, claims.sub as string);
    const access = accessFromClaims(claims, this.mapping!);
    if ('refused' in access) {
      // The id, not the name: enough to find the account in the provider's sign-in log, nothing personal here.
      const missing = access.refused === 'no_role' ? `no value of ${this.mapping!.roleClaim} in OIDC_ROLE_MAP` : 'no team';
      this.logger.log(lineFields, `OpenID Connect account ${id} not signed in: ${missing}`);
      return { refused: access.refused, name: profile.name };
    }
    const user: OidcUser = {
      id,
      email: profile.email,
      name: profile.name,
      role: access.role,
      teamId: access.teamId,
    };
    // An account disabled here stays out, whatever the provider says (ADR 0015).
    if ((await this.users.registerOrUpdate(user)).disabled) {
      this.logger.log(lineFields, `OpenID Connect account ${id} not signed in: disabled`);
      return { refused: 'disabled', name: profile.name };
    }
    return { user };
  }

  private configuration(): Promise<OpenIdClient.Configuration> {
    if (!this.discovered) {
      const oidc = openIdClient();
      const { OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_CLIENT_SECRET_FILE } = this.config;
      const secret = OIDC_CLIENT_SECRET ?? readFileSync(OIDC_CLIENT_SECRET_FILE!, 'utf8').trim();
      const issuer = new URL(OIDC_ISSUER!);
      // config allows http:// only outside production (a provider on this machine, as in the tests).
      const options = issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined;
      this.discovered = oidc.discovery(issuer, OIDC_CLIENT_ID!, secret, undefined, options).catch((error: unknown) => {
        this.discovered = null;
        this.logger.error(`OpenID Connect discovery at ${OIDC_ISSUER} failed: ${(error as Error).message}`);
        throw new OidcSignInFailed(`the identity provider at ${OIDC_ISSUER} did not answer`);
      });
    }
    return this.discovered;
  }
}

/**
 * openid-client 6 is an ES module: the built api requires it (Node 20.19+ and 22.12+ load ES
 * modules through require), only when OpenID Connect is configured, so Jest's CommonJS runtime,
 * which cannot, never meets it in the in-process tests that start the api without it.
 */
function openIdClient(): typeof OpenIdClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('openid-client') as typeof OpenIdClient;
}
