import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret, SessionDecryptError, type SealedSecret } from './session-crypto';

const key = randomBytes(32).toString('hex');
const token = 'Xq7Lm2Pz9Kd4Rt6Vb1Nc8Ws3Hy5Jf0Ga';

function flipByte(buffer: Buffer, index = 0): Buffer {
  const copy = Buffer.from(buffer);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

describe('session crypto', () => {
  it('round-trips a token, and the ciphertext does not hold it', () => {
    const sealed = encryptSecret(key, token, 'owner');
    expect(sealed.iv).toHaveLength(12);
    expect(sealed.tag).toHaveLength(16);
    expect(sealed.ciphertext.includes(Buffer.from(token))).toBe(false);
    expect(decryptSecret(key, sealed, 'owner')).toBe(token);
  });

  it('uses a fresh IV each time, so equal tokens give different ciphertexts', () => {
    const first = encryptSecret(key, token);
    const second = encryptSecret(key, token);
    expect(first.iv.equals(second.iv)).toBe(false);
    expect(first.ciphertext.equals(second.ciphertext)).toBe(false);
  });

  it.each<[string, (sealed: SealedSecret) => SealedSecret]>([
    ['a flipped ciphertext byte', (s) => ({ ...s, ciphertext: flipByte(s.ciphertext, 5) })],
    ['a flipped tag byte', (s) => ({ ...s, tag: flipByte(s.tag, 15) })],
    ['a flipped IV byte', (s) => ({ ...s, iv: flipByte(s.iv) })],
    ['a truncated tag', (s) => ({ ...s, tag: s.tag.subarray(0, 12) })],
  ])('refuses %s', (_name, tamper) => {
    const sealed = encryptSecret(key, token, 'owner');
    expect(() => decryptSecret(key, tamper(sealed), 'owner')).toThrow(SessionDecryptError);
  });

  it('refuses another key and other associated data', () => {
    const sealed = encryptSecret(key, token, 'owner');
    expect(() => decryptSecret(randomBytes(32).toString('hex'), sealed, 'owner')).toThrow(SessionDecryptError);
    expect(() => decryptSecret(key, sealed, 'someone-else')).toThrow(SessionDecryptError);
  });

  it('says which setting is wrong when the key is malformed', () => {
    expect(() => encryptSecret('abc', token)).toThrow(/SECURITY__ENCRYPTION_KEY/);
  });
});
