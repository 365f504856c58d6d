import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { actorOf, assertActsFor } from '../access/principal.ts';
import { type App, idempotencyOf, sendStored } from '../platform/http.ts';
import { CURRENCY_CODES } from '../platform/money.ts';
import { IdempotencyHeaders, IdParams, Problem } from '../wallet/schemas.ts';
import type { RequestContext } from '../wallet/service.ts';
import type { KycService } from './kyc.ts';

export interface KycRouteDeps {
  kyc: KycService;
}

const problems = { '4xx': Problem, '5xx': Problem };

/** Upload ids and session ids from the client SDK: references, never image data. */
const Reference = (description: string) =>
  Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$', description, examples: ['upl_7f3c2a91'] });

const DocumentTypeSchema = Type.Union(
  [
    Type.Literal('CN_RESIDENT_ID'),
    Type.Literal('PASSPORT'),
    Type.Literal('HK_MACAU_PERMIT'),
    Type.Literal('TAIWAN_PERMIT'),
    Type.Literal('FOREIGN_PERMANENT_ID'),
  ],
  {
    description:
      'CN_RESIDENT_ID (居民身份证), PASSPORT, HK_MACAU_PERMIT (港澳居民来往内地通行证), TAIWAN_PERMIT (台湾居民来往大陆通行证), FOREIGN_PERMANENT_ID (外国人永久居留身份证).',
  },
);

export const KycBasicBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'The legal name exactly as on the document.',
      examples: ['李伟'],
    }),
    documentType: DocumentTypeSchema,
    documentNumber: Type.String({
      minLength: 6,
      maxLength: 32,
      description: 'The document number; stored sealed, shown masked, never returned.',
    }),
  },
  { additionalProperties: false },
);

export const KycFullBody = Type.Object(
  {
    documentImages: Type.Object(
      {
        front: Reference('Upload id of the photo of the document front.'),
        back: Type.Optional(Reference('Upload id of the photo of the document back, when it has one.')),
      },
      { additionalProperties: false },
    ),
    livenessSessionId: Reference('The liveness session completed in the client SDK.'),
  },
  { additionalProperties: false },
);

const Nullable = (description: string) => Type.Union([Type.String(), Type.Null()], { description });

export const KycLimit = Type.Object({
  currency: Type.String({ description: `One of ${CURRENCY_CODES.join(', ')}.` }),
  source: Type.Union([Type.Literal('tier'), Type.Literal('override')], {
    description: "`tier`: the verification level's limits; `override`: limits approved for this customer.",
  }),
  singleMinor: Type.String({ description: 'Largest single outgoing movement or top-up, in minor units.' }),
  dailyMinor: Type.String({ description: 'Outgoing per local day (UTC+8).' }),
  monthlyMinor: Type.String({ description: 'Outgoing per local calendar month (UTC+8).' }),
  balanceCapMinor: Type.String({
    description: 'Largest wallet balance; money arriving beyond it is refused.',
  }),
});

export const KycStatus = Type.Object({
  customerId: Type.String(),
  tier: Type.Integer({
    minimum: 0,
    maximum: 2,
    description: '0 unverified, 1 name and document verified, 2 liveness verified as well.',
  }),
  name: Nullable('The verified name, masked (李*).'),
  documentType: Type.Union([Type.String(), Type.Null()]),
  document: Nullable('The document number, masked (1101**********4477).'),
  basicVerifiedAt: Type.Union([Type.String(), Type.Null()]),
  fullVerifiedAt: Type.Union([Type.String(), Type.Null()]),
  limits: Type.Array(KycLimit, { description: 'Current limits per currency the customer may use.' }),
});

/**
 * Real-name verification: basic (tier 1) and full (tier 2) submissions and the status.
 * A signed-in customer verifies only themselves; integrators submit for their customers.
 */
export function registerKycRoutes(app: App, deps: KycRouteDeps): void {
  const { kyc } = deps;
  const ctx = (req: FastifyRequest): RequestContext => ({
    idem: idempotencyOf(req),
    ip: req.ip,
    actor: actorOf(req),
    requestId: req.id,
  });

  app.post(
    '/v1/customers/:id/kyc/basic',
    {
      config: { auth: { permission: 'kyc.submit' } },
      schema: {
        tags: ['identity'],
        summary: 'Verify name and identity document against the authority record (tier 0 → 1)',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: KycBasicBody,
        response: { 200: KycStatus, ...problems },
      },
    },
    async (req, reply) => {
      assertActsFor(req, req.params.id);
      const r = await kyc.submitBasic(req.params.id, req.body, ctx(req));
      return sendStored(reply, r.response, r.replayed);
    },
  );

  app.post(
    '/v1/customers/:id/kyc/full',
    {
      config: { auth: { permission: 'kyc.submit' } },
      schema: {
        tags: ['identity'],
        summary: 'Verify liveness against the document photo (tier 1 → 2)',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: KycFullBody,
        response: { 200: KycStatus, ...problems },
      },
    },
    async (req, reply) => {
      assertActsFor(req, req.params.id);
      const images = req.body.documentImages;
      const r = await kyc.submitFull(
        req.params.id,
        {
          documentImages: {
            front: images.front,
            ...(images.back === undefined ? {} : { back: images.back }),
          },
          livenessSessionId: req.body.livenessSessionId,
        },
        ctx(req),
      );
      return sendStored(reply, r.response, r.replayed);
    },
  );

  app.get(
    '/v1/customers/:id/kyc',
    {
      config: { auth: { permission: 'customer.read' } },
      schema: {
        tags: ['identity'],
        summary: 'Verification tier, masked identity and current limits of a customer',
        params: IdParams,
        response: { 200: KycStatus, ...problems },
      },
    },
    async (req) => {
      assertActsFor(req, req.params.id);
      return kyc.status(req.params.id);
    },
  );
}
