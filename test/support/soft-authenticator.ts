import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/**
 * A software WebAuthn authenticator for tests, built from the WebAuthn Level 2 spec: one
 * ES256 (P-256) key pair per credential, "none" attestation, and a signature counter that
 * advances on every assertion. It plays both the browser (clientDataJSON) and the
 * authenticator (authenticator data, signature), and can be told to misbehave: another
 * origin, another challenge, or a counter that goes backwards, as a cloned key would.
 */

type CborValue = number | string | Uint8Array | CborMap;
type CborMap = Map<CborValue, CborValue>;

/** The initial byte and argument of a CBOR data item (RFC 8949 §3). */
function cborHead(major: number, arg: number): Buffer {
  if (arg < 24) return Buffer.from([(major << 5) | arg]);
  if (arg < 0x100) return Buffer.from([(major << 5) | 24, arg]);
  if (arg < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(arg, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(arg, 1);
  return b;
}

/** Enough CBOR for attestation objects and COSE keys: integers, byte and text strings, maps. */
export function cborEncode(value: CborValue): Buffer {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || Math.abs(value) > 0xffffffff) throw new Error('unsupported integer');
    return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([cborHead(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([cborHead(2, value.length), value]);
  const parts: Buffer[] = [cborHead(5, value.size)];
  for (const [k, v] of value) parts.push(cborEncode(k), cborEncode(v));
  return Buffer.concat(parts);
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;
const COSE_ALG_ES256 = -7;

interface SoftCredential {
  id: Buffer;
  rpId: string;
  userHandle: Buffer;
  privateKey: KeyObject;
  cosePublicKey: Buffer;
  counter: number;
}

export interface Misbehaviour {
  /** The origin the "browser" reports instead of the authenticator's own. */
  origin?: string;
  /** A challenge to sign instead of the one in the options. */
  challenge?: string;
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

function clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
}

function authenticatorData(rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
  const head = Buffer.alloc(37);
  sha256(Buffer.from(rpId, 'utf8')).copy(head, 0);
  head[32] = flags;
  head.writeUInt32BE(counter >>> 0, 33);
  return attested ? Buffer.concat([head, attested]) : head;
}

/** The credential public key as a COSE_Key map (RFC 9053 §7.1.1, EC2 on P-256). */
function coseKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') throw new Error('not an EC key');
  return cborEncode(
    new Map<CborValue, CborValue>([
      [1, 2],
      [3, COSE_ALG_ES256],
      [-1, 1],
      [-2, Buffer.from(jwk.x, 'base64url')],
      [-3, Buffer.from(jwk.y, 'base64url')],
    ]),
  );
}

export class SoftAuthenticator {
  private readonly credentials: SoftCredential[] = [];

  constructor(private readonly origin: string) {}

  /** navigator.credentials.create(): a new credential unless one is excluded by the options. */
  register(
    options: PublicKeyCredentialCreationOptionsJSON,
    misbehave: Misbehaviour & { reuse?: string } = {},
  ): RegistrationResponseJSON {
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    if (!options.pubKeyCredParams.some((p) => p.alg === COSE_ALG_ES256)) {
      throw new Error('the relying party does not accept ES256');
    }
    const userHandle = Buffer.from(options.user.id, 'base64url');
    let credential: SoftCredential;
    if (misbehave.reuse !== undefined) {
      const found = this.credentials.find((c) => b64url(c.id) === misbehave.reuse);
      if (!found) throw new Error('no such credential to reuse');
      credential = found;
    } else {
      const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
      if (this.credentials.some((c) => c.rpId === rpId && excluded.has(b64url(c.id)))) {
        throw new Error('InvalidStateError: this authenticator already holds an excluded credential');
      }
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      credential = {
        id: randomBytes(32),
        rpId,
        userHandle,
        privateKey,
        cosePublicKey: coseKey(publicKey),
        counter: 0,
      };
      this.credentials.push(credential);
    }

    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, credential.id, credential.cosePublicKey]);
    const authData = authenticatorData(rpId, FLAG_UP | FLAG_UV | FLAG_AT, credential.counter, attested);
    const attestationObject = cborEncode(
      new Map<CborValue, CborValue>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    const clientDataJSON = clientData(
      'webauthn.create',
      misbehave.challenge ?? options.challenge,
      misbehave.origin ?? this.origin,
    );
    const id = b64url(credential.id);
    return {
      id,
      rawId: id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
    };
  }

  /**
   * navigator.credentials.get(): signs with the first held credential the options allow (any
   * held credential when the allow list is empty). `counter` replays a chosen counter value
   * without advancing the authenticator's own.
   */
  authenticate(
    options: PublicKeyCredentialRequestOptionsJSON,
    misbehave: Misbehaviour & { counter?: number } = {},
  ): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(this.origin).hostname;
    const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
    const credential = this.credentials.find(
      (c) => c.rpId === rpId && (allowed.size === 0 || allowed.has(b64url(c.id))),
    );
    if (!credential) throw new Error('NotAllowedError: no matching credential on this authenticator');

    let counter: number;
    if (misbehave.counter !== undefined) {
      counter = misbehave.counter;
    } else {
      credential.counter += 1;
      counter = credential.counter;
    }
    const authData = authenticatorData(rpId, FLAG_UP | FLAG_UV, counter);
    const clientDataJSON = clientData(
      'webauthn.get',
      misbehave.challenge ?? options.challenge,
      misbehave.origin ?? this.origin,
    );
    // ES256 signatures are ASN.1 DER, node's default for EC keys.
    const signature = sign(
      'sha256',
      Buffer.concat([authData, sha256(clientDataJSON)]),
      credential.privateKey,
    );
    const id = b64url(credential.id);
    return {
      id,
      rawId: id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: b64url(credential.userHandle),
      },
    };
  }

  /** The last counter value the credential signed with (0 before its first assertion). */
  counterOf(credentialId: string): number | undefined {
    return this.credentials.find((c) => b64url(c.id) === credentialId)?.counter;
  }
}
