// These packages ship no type declarations (jpeg-lossless-decoder-js names a .d.ts it does not
// publish); only the parts this reader calls are declared.

declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}

declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  interface FrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
  }
  interface J2KDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    getDecodedBuffer(): Uint8Array;
    decode(): void;
    decodeSubResolution(decompositionLevel: number, decodeLayer: number): void;
    getFrameInfo(): FrameInfo;
    delete(): void;
  }
  interface OpenJpegModule {
    J2KDecoder: new () => J2KDecoder;
  }
  /** Emscripten module factory; `print`/`printErr` replace its console output. */
  const factory: (overrides?: { print?: (s: string) => void; printErr?: (s: string) => void }) => Promise<OpenJpegModule>;
  export = factory;
}

declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  interface FrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
  }
  interface JpegLSDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    getDecodedBuffer(): Uint8Array;
    decode(): void;
    decodeSubResolution(decompositionLevel: number, decodeLayer: number): void;
    getFrameInfo(): FrameInfo;
    delete(): void;
  }
  interface CharlsModule {
    JpegLSDecoder: new () => JpegLSDecoder;
  }
  /** Emscripten module factory; `print`/`printErr` replace its console output. */
  const factory: (overrides?: { print?: (s: string) => void; printErr?: (s: string) => void }) => Promise<CharlsModule>;
  export = factory;
}
