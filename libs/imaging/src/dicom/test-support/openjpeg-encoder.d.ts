// The full OpenJPEG build (encoder included) is used by tests only; the reader loads the
// decode-only build declared in ../codecs/vendor.d.ts.
declare module '@cornerstonejs/codec-openjpeg/wasmjs' {
  interface J2KEncoder {
    getDecodedBuffer(frameInfo: {
      width: number;
      height: number;
      bitsPerSample: number;
      componentCount: number;
      isSigned: boolean;
      isUsingColorTransform: boolean;
    }): Uint8Array;
    setQuality(lossless: boolean, quality: number): void;
    setDecompositions(levels: number): void;
    encode(): void;
    getEncodedBuffer(): Uint8Array;
    delete(): void;
  }
  const factory: (overrides?: {
    print?: (s: string) => void;
    printErr?: (s: string) => void;
  }) => Promise<{ J2KEncoder: new () => J2KEncoder }>;
  export = factory;
}
