import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load';
import { ENCRYPTED_ENCODING, EncryptionCodec, PayloadDecryptError, payloadCodecs, temporalDataConverter } from './codec';

const key = randomBytes(32).toString('hex');
const token = 'Xq7Lm2Pz9Kd4Rt6Vb1Nc8Ws3Hy5Jf0Ga';
const plain = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const bytesOf = (payload: Payload) => Buffer.from(payload.data ?? new Uint8Array());

describe('EncryptionCodec', () => {
  it('encrypts a payload so that its bytes no longer hold the value, and decodes it back whole', async () => {
    const codec = new EncryptionCodec(key);
    const original = plain(token);
    const [encoded] = await codec.encode([original]);
    expect(Buffer.from(encoded!.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(bytesOf(encoded!).includes(Buffer.from(token))).toBe(false);
    // Metadata names cipher and key only: the original encoding is inside the ciphertext.
    expect(Object.keys(encoded!.metadata!).sort()).toEqual(['encoding', 'encryption-cipher', 'encryption-key-id']);

    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toBe(token);
    expect(Buffer.from(decoded!.metadata!.encoding!).toString()).toBe('json/plain');
  });

  it('uses a fresh IV per payload, so equal values give different ciphertexts', async () => {
    const codec = new EncryptionCodec(key);
    const [first, second] = await codec.encode([plain(token), plain(token)]);
    expect(bytesOf(first!).equals(bytesOf(second!))).toBe(false);
  });

  it('leaves payloads it did not encrypt as they are (histories from before the key was set)', async () => {
    const original = plain({ namespace: 'paper' });
    expect(await new EncryptionCodec(key).decode([original])).toEqual([original]);
  });

  it('refuses a payload sealed with another key, naming both key ids but neither key', async () => {
    const [encoded] = await new EncryptionCodec(key).encode([plain(token)]);
    const other = new EncryptionCodec(randomBytes(32).toString('hex'));
    const failure = await other.decode([encoded!]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PayloadDecryptError);
    expect((failure as Error).message).toContain(other.keyId);
    expect((failure as Error).message).not.toContain(key);
  });

  it('refuses altered bytes (GCM authentication)', async () => {
    const codec = new EncryptionCodec(key);
    const [encoded] = await codec.encode([plain(token)]);
    const altered = bytesOf(encoded!);
    const index = altered.length - 20;
    altered[index] = altered[index]! ^ 0x01;
    await expect(codec.decode([{ ...encoded!, data: altered }])).rejects.toThrow(/failed authentication/);
    await expect(codec.decode([{ ...encoded!, data: altered.subarray(0, 10) }])).rejects.toThrow(/truncated/);
  });

  it('derives its key from SECURITY__ENCRYPTION_KEY rather than using it as is', async () => {
    const codec = new EncryptionCodec(key);
    const [encoded] = await codec.encode([plain(token)]);
    const sealed = bytesOf(encoded!);
    const { createDecipheriv } = await import('node:crypto');
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(key, 'hex'), sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    decipher.update(sealed.subarray(12, sealed.length - 16));
    expect(() => decipher.final()).toThrow();
  });
});

describe('temporalDataConverter', () => {
  it('encrypts when SECURITY__ENCRYPTION_KEY is set, and leaves payloads plain without it (mock mode)', () => {
    expect(payloadCodecs(parseConfig({}))).toEqual([]);
    expect(temporalDataConverter(parseConfig({})).payloadCodecs).toEqual([]);
    const codecs = payloadCodecs(parseConfig({ SECURITY__ENCRYPTION_KEY: key }));
    expect(codecs).toHaveLength(1);
    expect(codecs[0]).toBeInstanceOf(EncryptionCodec);
  });
});
