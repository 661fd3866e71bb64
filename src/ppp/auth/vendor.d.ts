/**
 * Types for the two small CommonJS libraries behind src/ppp/auth/crypto.ts, which ship none.
 * Only the calls crypto.ts makes are declared; nothing here reaches the emitted .d.ts files.
 */

declare module 'js-md4' {
  /** A running MD4 computation (js-md4 0.3.x `md4.create()`). */
  interface Md4Hash {
    update(message: Uint8Array): Md4Hash;
    arrayBuffer(): ArrayBuffer;
  }
  interface Md4 {
    create(): Md4Hash;
  }
  const md4: Md4;
  export default md4;
}

declare module 'des.js' {
  /** A DES cipher in ECB mode (des.js `DES.create`). */
  interface DesCipher {
    update(data: Uint8Array): number[];
    final(): number[];
  }
  interface DesOptions {
    type: 'encrypt' | 'decrypt';
    key: Uint8Array;
    padding?: boolean;
  }
  const des: { DES: { create(options: DesOptions): DesCipher } };
  export default des;
}
