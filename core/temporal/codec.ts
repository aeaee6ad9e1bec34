// Encryption of Temporal payloads (workflow and activity inputs, results, signals, updates,
// queries, memos, user metadata) before they leave the process: the Zerodha request_token reaches
// the startup workflow as a signal or update argument, and without this it would sit in the
// server's history in plain text. AES-256-GCM with a key derived from SECURITY__ENCRYPTION_KEY
// (HKDF, so the payload key differs from the one sealing the stored session) and a fresh IV per
// payload. Codecs run outside the workflow sandbox: the bundle needs nothing of this. Search
// attributes and headers are never encoded by the SDK, so the phase stays readable.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { Config } from '../config/load';

const PayloadMessage = proto.temporal.api.common.v1.Payload;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const CIPHER = 'AES256GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_INFO = 'alpha-panda temporal payloads v1';

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class PayloadDecryptError extends Error {
  override name = 'PayloadDecryptError';
}

export class EncryptionCodec implements PayloadCodec {
  private readonly key: Buffer;
  /** Names the key without revealing it, so a payload sealed with another key fails clearly. */
  readonly keyId: string;

  constructor(encryptionKeyHex: string) {
    if (!/^[0-9a-fA-F]{64}$/.test(encryptionKeyHex)) throw new Error('SECURITY__ENCRYPTION_KEY must be 64 hex characters');
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(encryptionKeyHex, 'hex'), Buffer.alloc(0), KEY_INFO, 32));
    this.keyId = createHash('sha256').update(this.key).digest('hex').slice(0, 16);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      // The whole payload, metadata included: its encoding (json/plain...) says what it holds.
      const plain = PayloadMessage.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          encoding: utf8(ENCRYPTED_ENCODING),
          'encryption-cipher': utf8(CIPHER),
          'encryption-key-id': utf8(this.keyId),
        },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Payloads written before a key was configured stay readable.
      if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyId = text(payload.metadata?.['encryption-key-id']);
      if (keyId !== this.keyId) {
        throw new PayloadDecryptError(
          `a Temporal payload was encrypted with key ${keyId ?? '(unnamed)'}, not with this SECURITY__ENCRYPTION_KEY (${this.keyId})`,
        );
      }
      const sealed = Buffer.from(payload.data ?? new Uint8Array());
      if (sealed.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptError('an encrypted Temporal payload is truncated');
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
        const plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
        return PayloadMessage.decode(plain) as Payload;
      } catch {
        throw new PayloadDecryptError('an encrypted Temporal payload failed authentication (altered bytes or another key)');
      }
    });
  }
}

/** The payload codecs of this configuration: encryption when a key is set, none otherwise. */
export function payloadCodecs(config: Pick<Config, 'security'>): PayloadCodec[] {
  return config.security.encryptionKey === '' ? [] : [new EncryptionCodec(config.security.encryptionKey)];
}

/** The data converter every client and worker of this configuration uses. */
export function temporalDataConverter(config: Pick<Config, 'security'>): DataConverter {
  return { payloadCodecs: payloadCodecs(config) };
}
