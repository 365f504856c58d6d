import type { FastifyReply, FastifyRequest } from 'fastify';
import { idempotencyOf, sendStored } from '../platform/http.ts';
import type { ApprovalService } from './approvals.ts';
import { requestMetaOf, staffOf } from './principal.ts';

/**
 * Asks for a maker-checker action on behalf of the signed-in staff user and answers with
 * the stored request (202, or the replay of the first answer for the same Idempotency-Key).
 * Every route that starts an approval goes through here.
 */
export async function requestApproval(
  approvals: ApprovalService,
  req: FastifyRequest,
  reply: FastifyReply,
  action: string,
  input: unknown,
  reason: string,
): Promise<FastifyReply> {
  const r = await approvals.request(action, input, reason, staffOf(req), {
    ...requestMetaOf(req),
    idem: idempotencyOf(req),
  });
  return sendStored(reply, r.response, r.replayed);
}
