// Encryption of the Zerodha access token at rest: AES-256-GCM with the key from
// SECURITY__ENCRYPTION_KEY and a fresh random 12-byte IV per encryption. GCM's tag makes any
// change to the stored bytes (or a different key) fail decryption loudly instead of yielding a
// wrong token.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface SealedSecret {
  ciphertext: Buffer;
  iv: Buffer;
  tag: Buffer;
}

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SessionDecryptError extends Error {
  override readonly name = 'SessionDecryptError';
  constructor() {
    super(
      'The stored Zerodha session could not be decrypted: SECURITY__ENCRYPTION_KEY differs from the key it was stored with, ' +
        'or the stored bytes were altered. Log in to Zerodha again to store a new session.',
    );
  }
}

/** The 32-byte key from its 64-hex-character form (as SECURITY__ENCRYPTION_KEY holds it). */
export function encryptionKeyFromHex(hex: string): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new Error('SECURITY__ENCRYPTION_KEY must be 64 hex characters (a 32-byte key) to store the Zerodha session');
  }
  return Buffer.from(hex, 'hex');
}

/**
 * Encrypts `plaintext`. `associatedData` is authenticated but not encrypted: binding a ciphertext
 * to its owner (API key, user id) means a row copied onto another owner fails to decrypt.
 */
export function encryptSecret(keyHex: string, plaintext: string, associatedData?: string): SealedSecret {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, encryptionKeyFromHex(keyHex), iv, { authTagLength: TAG_BYTES });
  if (associatedData !== undefined) cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { ciphertext, iv, tag: cipher.getAuthTag() };
}

/** Decrypts what encryptSecret sealed; throws SessionDecryptError on any mismatch. */
export function decryptSecret(keyHex: string, sealed: SealedSecret, associatedData?: string): string {
  const key = encryptionKeyFromHex(keyHex);
  // A short tag would weaken authentication, so only the full 16 bytes are accepted.
  if (sealed.iv.length !== IV_BYTES || sealed.tag.length !== TAG_BYTES) throw new SessionDecryptError();
  try {
    const decipher = createDecipheriv(ALGORITHM, key, sealed.iv, { authTagLength: TAG_BYTES });
    if (associatedData !== undefined) decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new SessionDecryptError();
  }
}
