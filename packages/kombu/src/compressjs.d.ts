// Minimal typing for the parts of `compressjs` (CommonJS, untyped) that ./compression.ts uses.
declare module 'compressjs' {
  interface Bzip2Codec {
    /** bzip2-compress `input`; `blockSize` is the 1..9 multiplier of 100 kB (Python's compresslevel). */
    compressFile(input: Uint8Array, output?: undefined, blockSize?: number): Uint8Array;
    /** Decompress a bzip2 stream; `multistream` also reads concatenated streams, as Python's bz2 does. */
    decompressFile(input: Uint8Array, output?: undefined, multistream?: boolean): Uint8Array;
    /** Same, writing each byte to `output` (which may throw to stop it); returns `output`. */
    decompressFile<T extends { writeByte(byte: number): void }>(input: Uint8Array, output: T, multistream?: boolean): T;
  }
  const compressjs: { Bzip2: Bzip2Codec };
  export = compressjs;
}
