import type { FastifyReply } from 'fastify';
import type { AppContext } from '../../../app-context.js';
import { secureCookies } from '../../../config.js';
import { SESSION_COOKIE } from '../../request-context.js';

export function setSessionCookie(reply: FastifyReply, ctx: AppContext, token: string) {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: secureCookies(ctx.config),
    maxAge: ctx.config.sessionTtlHours * 3600,
  });
}

export function clearSessionCookie(reply: FastifyReply, ctx: AppContext) {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: secureCookies(ctx.config) });
}
