import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../../../../../core/src/auth/roles.js';
import { PASSWORD_POLICY } from '../../../../../../core/src/auth/secrets.js';
import { errors } from '../../../../schemas.js';

const SecuritySettings = z.object({
  mfaRequiredRoles: z.array(z.enum(['viewer', 'analyst', 'security', 'admin'])),
  passwordPolicy: z.string(),
  loginMaxFailures: z.number().int(),
  lockoutSeconds: z.number().int(),
  loginRatePerMinute: z.number().int(),
  sessionTtlHours: z.number().int(),
  tls: z.boolean(),
  corsOrigin: z.string().nullable(),
});

/** The security settings in force (read from the environment at start; change them there and restart). */
const route: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/settings/security',
    { config: { role: 'admin' }, schema: { tags: ['settings'], summary: 'Security settings in force (MFA roles, lockout, rate limits, sessions, TLS, CORS)', response: { 200: SecuritySettings, ...errors } } },
    async () => ({
      mfaRequiredRoles: ROLES.filter((r) => app.mfaRequiredFor(r)),
      passwordPolicy: PASSWORD_POLICY,
      loginMaxFailures: app.config.ATLAS_LOGIN_MAX_FAILURES,
      lockoutSeconds: app.config.ATLAS_LOCKOUT_SECONDS,
      loginRatePerMinute: app.config.ATLAS_LOGIN_RATE_PER_MINUTE,
      sessionTtlHours: app.config.ATLAS_SESSION_TTL_HOURS,
      tls: Boolean(app.config.ATLAS_TLS_CERT),
      corsOrigin: app.config.ATLAS_CORS_ORIGIN ?? null,
    }),
  );
};
export default route;
